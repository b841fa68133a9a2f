/// A plain-text table with aligned columns, optional per-cell styles and separator rules.
///
/// Widths are computed on the unstyled text, so colour never breaks the alignment.
package struct TextTable: Sendable {
    package enum Alignment: Sendable { case left, right }

    package struct Column: Sendable {
        package var title: String
        package var alignment: Alignment

        package init(_ title: String, _ alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    package struct Cell: Sendable, ExpressibleByStringLiteral {
        package var text: String
        package var style: Palette.Style?

        package init(_ text: String, style: Palette.Style? = nil) {
            self.text = text
            self.style = style
        }

        package init(stringLiteral value: String) {
            self.init(value)
        }
    }

    package enum Row: Sendable {
        case cells([Cell])
        /// A rule across the whole table (before totals).
        case separator
    }

    package var columns: [Column]
    package private(set) var rows: [Row] = []

    package init(columns: [Column]) {
        self.columns = columns
    }

    /// Appends a row; missing cells are blank, extra cells are dropped.
    package mutating func append(_ cells: [Cell]) {
        rows.append(.cells(cells))
    }

    package mutating func appendSeparator() {
        rows.append(.separator)
    }

    /// The table as lines joined with newlines (no trailing newline), columns two spaces apart.
    package func render(palette: Palette = .plain) -> String {
        var widths = columns.map(\.title.count)
        for case .cells(let cells) in rows {
            for (index, cell) in cells.prefix(columns.count).enumerated() {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        let gap = "  "
        func line(_ cells: [Cell], header: Bool) -> String {
            var parts: [String] = []
            for (index, column) in columns.enumerated() {
                let cell = index < cells.count ? cells[index] : Cell("")
                let padding = String(repeating: " ", count: widths[index] - cell.text.count)
                let styled = palette.apply(header ? .bold : cell.style, cell.text)
                let isLast = index == columns.count - 1
                switch column.alignment {
                case .left: parts.append(isLast ? styled : styled + padding)
                case .right: parts.append(padding + styled)
                }
            }
            return parts.joined(separator: gap)
        }
        let totalWidth = widths.reduce(0, +) + gap.count * max(0, columns.count - 1)
        var lines = [line(columns.map { Cell($0.title) }, header: true)]
        for row in rows {
            switch row {
            case .cells(let cells): lines.append(line(cells, header: false))
            case .separator: lines.append(palette.apply(.dim, String(repeating: "-", count: totalWidth)))
            }
        }
        return lines.map { $0.trimmingTrailingSpaces() }.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}
