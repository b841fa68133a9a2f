import Foundation
import ToxWatchContract

/// The shapes marks are drawn with: each kind of thing on the chart has its own shape, so the chart
/// reads without colour (greyscale print, colour-blind readers).
enum ChartShape: Sendable {
    case circle, hollowCircle, square, hollowSquare, triangleUp, hollowTriangleUp, triangleDown, hollowTriangleDown
    case diamond, hollowDiamond, doubleTriangleUp, pause, cross, bar

    /// The shape around (0, 0) at half-size `s`.
    func draw(_ svg: inout SVGWriter, size s: Double, color: String) {
        let filled = color
        switch self {
        case .circle:
            svg.element("circle", ["r": s.svg, "fill": filled, "stroke": "#000", "stroke-width": "0.6"])
        case .hollowCircle:
            svg.element("circle", ["r": s.svg, "fill": "#fff", "stroke": color, "stroke-width": "1.2"])
        case .square:
            svg.element(
                "rect",
                [
                    "x": (-s).svg, "y": (-s).svg, "width": (2 * s).svg, "height": (2 * s).svg, "fill": filled,
                    "stroke": "#000", "stroke-width": "0.6",
                ])
        case .hollowSquare:
            svg.element(
                "rect",
                [
                    "x": (-s).svg, "y": (-s).svg, "width": (2 * s).svg, "height": (2 * s).svg, "fill": "#fff",
                    "stroke": color, "stroke-width": "1.2",
                ])
        case .triangleUp:
            svg.element(
                "path", ["d": Self.triangle(s, up: true), "fill": filled, "stroke": "#000", "stroke-width": "0.6"])
        case .hollowTriangleUp:
            svg.element(
                "path", ["d": Self.triangle(s, up: true), "fill": "#fff", "stroke": color, "stroke-width": "1.2"])
        case .triangleDown:
            svg.element(
                "path", ["d": Self.triangle(s, up: false), "fill": filled, "stroke": "#000", "stroke-width": "0.6"])
        case .hollowTriangleDown:
            svg.element(
                "path", ["d": Self.triangle(s, up: false), "fill": "#fff", "stroke": color, "stroke-width": "1.2"])
        case .diamond:
            svg.element("path", ["d": Self.diamond(s), "fill": filled, "stroke": "#000", "stroke-width": "0.6"])
        case .hollowDiamond:
            svg.element("path", ["d": Self.diamond(s), "fill": "#fff", "stroke": color, "stroke-width": "1.2"])
        case .doubleTriangleUp:
            let half = s * 0.75
            svg.element(
                "path",
                [
                    "d": "M0,\((-s * 1.4).svg) L\(half.svg),\((-s * 0.2).svg) L\((-half).svg),\((-s * 0.2).svg) Z "
                        + "M0,\((-s * 0.2).svg) L\(half.svg),\((s).svg) L\((-half).svg),\((s).svg) Z",
                    "fill": filled, "stroke": "#000", "stroke-width": "0.6",
                ])
        case .pause:
            let w = s * 0.6
            svg.element(
                "path",
                [
                    "d":
                        "M\((-s).svg),\((-s).svg) h\(w.svg) v\((2 * s).svg) h\((-w).svg) Z M\((s - w).svg),\((-s).svg) h\(w.svg) v\((2 * s).svg) h\((-w).svg) Z",
                    "fill": filled, "stroke": "#000", "stroke-width": "0.6",
                ])
        case .cross:
            svg.element(
                "path",
                [
                    "d": "M\((-s).svg),\((-s).svg) L\(s.svg),\(s.svg) M\((-s).svg),\(s.svg) L\(s.svg),\((-s).svg)",
                    "stroke": color, "stroke-width": "1.6", "fill": "none",
                ])
        case .bar:
            svg.element(
                "path", ["d": "M0,\((-s).svg) V\(s.svg)", "stroke": color, "stroke-width": "1.6", "fill": "none"])
        }
    }

    private static func triangle(_ s: Double, up: Bool) -> String {
        let h = up ? s : -s
        return "M0,\((-h * 1.15).svg) L\((s * 1.05).svg),\((h * 0.75).svg) L\((-s * 1.05).svg),\((h * 0.75).svg) Z"
    }

    private static func diamond(_ s: Double) -> String {
        let d = s * 1.2
        return "M0,\((-d).svg) L\(d.svg),0 L0,\(d.svg) L\((-d).svg),0 Z"
    }
}

/// What a drawn mark stands for, written as data attributes so that tests (and any reader of the
/// SVG) can find every event and output: `data-event-id` or `data-output-id`, `data-time` (the
/// event's `occurredAt` or the output's `assessedAt`), `data-x` (where that instant is on the axis),
/// what it shows and its value.
struct MarkData {
    var eventId: String?
    var outputId: String?
    var time: Date
    var kind: String
    var series: String?
    var value: String?
    var extra: [(String, String)] = []

    static func event(_ id: String, _ time: Date, kind: String, series: String? = nil, value: String? = nil) -> MarkData
    {
        MarkData(eventId: id, time: time, kind: kind, series: series, value: value)
    }

    static func output(_ id: String, _ time: Date, kind: String, series: String? = nil, value: String? = nil)
        -> MarkData
    {
        MarkData(outputId: id, time: time, kind: kind, series: series, value: value)
    }
}

extension SVGWriter {
    /// A group at (x, y) carrying a mark's data attributes, a tooltip and the shape.
    mutating func mark(
        _ data: MarkData, x: Double, y: Double, shape: ChartShape, size: Double = 3.2, color: String, title: String
    ) {
        open("g", Self.markAttributes(data, x: x, y: y))
        element("title", text: title)
        shape.draw(&self, size: size, color: color)
        close("g")
    }

    /// The attributes of a mark group: its position as a translation, then its data.
    static func markAttributes(_ data: MarkData, x: Double, y: Double) -> Attributes {
        Attributes([("transform", "translate(\(x.svg),\(y.svg))")]) + dataAttributes(data, x: x)
    }

    /// Attributes for a rectangle (bar or band) standing for an event or an output starting at `x`.
    static func rectAttributes(
        _ data: MarkData, x: Double, y: Double, width: Double, height: Double, style: Attributes
    ) -> Attributes {
        Attributes([("x", x.svg), ("y", y.svg), ("width", max(0, width).svg), ("height", height.svg)])
            + dataAttributes(data, x: x) + style
    }

    private static func dataAttributes(_ data: MarkData, x: Double) -> Attributes {
        Attributes(
            [
                ("data-kind", data.kind), ("data-event-id", data.eventId), ("data-output-id", data.outputId),
                ("data-time", ISO8601Timestamp.format(data.time)), ("data-x", x.svg), ("data-series", data.series),
                ("data-value", data.value),
            ] + data.extra.map { ($0.0, $0.1) })
    }
}
