import Foundation

/// Builds an SVG document as text: elements with escaped attributes and text, numbers written
/// the same way on every machine (so a chart is byte-for-byte reproducible).
struct SVGWriter {
    private(set) var text = ""
    private var depth = 0

    /// An attribute list in the order given; nil values are left out.
    struct Attributes: ExpressibleByDictionaryLiteral {
        var pairs: [(String, String?)]

        init(dictionaryLiteral elements: (String, String?)...) {
            pairs = elements
        }

        init(_ pairs: [(String, String?)]) {
            self.pairs = pairs
        }

        static func + (lhs: Attributes, rhs: Attributes) -> Attributes {
            Attributes(lhs.pairs + rhs.pairs)
        }
    }

    mutating func open(_ name: String, _ attributes: Attributes = [:]) {
        line("<\(name)\(Self.render(attributes))>")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    /// An element without children.
    mutating func element(_ name: String, _ attributes: Attributes) {
        line("<\(name)\(Self.render(attributes))/>")
    }

    /// An element with text content (escaped), e.g. `<text>` or `<title>`.
    mutating func element(_ name: String, _ attributes: Attributes = [:], text content: String) {
        line("<\(name)\(Self.render(attributes))>\(Self.escape(content))</\(name)>")
    }

    /// A group, its children written by `body`.
    mutating func group(_ attributes: Attributes = [:], _ body: (inout SVGWriter) -> Void) {
        open("g", attributes)
        body(&self)
        close("g")
    }

    mutating func raw(_ markup: String) {
        line(markup)
    }

    private mutating func line(_ markup: String) {
        text += String(repeating: " ", count: depth) + markup + "\n"
    }

    private static func render(_ attributes: Attributes) -> String {
        var out = ""
        for (name, value) in attributes.pairs {
            guard let value else { continue }
            out += " \(name)=\"\(escape(value))\""
        }
        return out
    }

    /// XML escaping for text and attribute values.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.count)
        for character in value {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters cannot appear in XML 1.0 at all.
                if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                    scalar.value < 0x20,
                    scalar != "\n", scalar != "\t"
                {
                    out += "\u{FFFD}"
                } else {
                    out.append(character)
                }
            }
        }
        return out
    }

    /// A coordinate or length with at most two decimals and no trailing zeros (`12`, `12.5`, `-3.25`).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

extension Double {
    /// ``SVGWriter/number(_:)``.
    var svg: String { SVGWriter.number(self) }
}
