public import Foundation

/// Checks a `toxctl chart` SVG against a course: every event and output must be drawn by an element
/// carrying its id (`data-event-id` / `data-output-id`) and its time (`data-time`), placed on the
/// time axis where that time falls. The axis is read from the root's `data-t0`, `data-t1`,
/// `data-x0` and `data-x1`; an element's position is its `translate(x,y)` or its `x`.
public struct DrawnChart {
    public let root: XMLElementNode
    public let elements: [XMLElementNode]
    private let t0: Date
    private let t1: Date
    private let x0: Double
    private let x1: Double

    public init(_ svg: Data) throws {
        root = try XMLElementNode.parse(svg)
        elements = root.all
        guard let t0 = root["data-t0"].flatMap(Self.date), let t1 = root["data-t1"].flatMap(Self.date),
            let x0 = root["data-x0"].flatMap(Double.init), let x1 = root["data-x1"].flatMap(Double.init)
        else { throw ProcessError("the SVG root has no time axis attributes (data-t0, data-t1, data-x0, data-x1)") }
        (self.t0, self.t1, self.x0, self.x1) = (t0, t1, x0, x1)
    }

    /// Where an instant falls on the time axis.
    public func x(of time: Date) -> Double {
        x0 + time.timeIntervalSince(t0) / t1.timeIntervalSince(t0) * (x1 - x0)
    }

    /// The elements drawn for an event id or an output id.
    public func drawn(event id: String) -> [XMLElementNode] { elements.filter { $0["data-event-id"] == id } }
    public func drawn(output id: String) -> [XMLElementNode] { elements.filter { $0["data-output-id"] == id } }

    /// What is wrong with how `items` (id, ISO-8601 time) are drawn: missing, at another time, or
    /// placed elsewhere than their time on the axis. Empty when all is right.
    public func problems(events items: [(id: String, time: String)]) -> [String] {
        problems(items, attribute: "data-event-id")
    }

    public func problems(outputs items: [(id: String, time: String)]) -> [String] {
        problems(items, attribute: "data-output-id")
    }

    private func problems(_ items: [(id: String, time: String)], attribute: String) -> [String] {
        var problems: [String] = []
        for item in items {
            let marks = elements.filter { $0[attribute] == item.id }
            guard !marks.isEmpty else {
                problems.append("\(item.id): not drawn")
                continue
            }
            guard let time = Self.date(item.time) else {
                problems.append("\(item.id): bad expected time \(item.time)")
                continue
            }
            for mark in marks {
                guard let drawnTime = mark["data-time"].flatMap(Self.date), drawnTime == time else {
                    problems.append("\(item.id): data-time \(mark["data-time"] ?? "none"), expected \(item.time)")
                    continue
                }
                let expected = x(of: time)
                guard let position = Self.position(mark), abs(position - expected) <= 0.02 else {
                    problems.append(
                        "\(item.id): drawn at x \(Self.position(mark).map { "\($0)" } ?? "none"), its time is at \(expected)"
                    )
                    continue
                }
            }
        }
        return problems
    }

    /// The x of a mark: its translation, or its `x` attribute.
    public static func position(_ element: XMLElementNode) -> Double? {
        if let transform = element["transform"], transform.hasPrefix("translate("),
            let inner = transform.dropFirst("translate(".count).split(separator: ")").first,
            let x = inner.split(separator: ",").first.flatMap({ Double($0) })
        {
            return x
        }
        return element["x"].flatMap(Double.init)
    }

    public static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
