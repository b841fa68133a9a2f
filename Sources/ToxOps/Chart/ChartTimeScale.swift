import Foundation

/// The chart's one time axis: instants to x, in hours since the infusion (or the first event when
/// no infusion is known) and in clock time (UTC).
struct ChartTimeScale {
    /// The instant hours are counted from.
    let reference: Date
    /// Whether ``reference`` is the infusion.
    let referenceIsInfusion: Bool
    let start: Date
    let end: Date
    let x0: Double
    let x1: Double
    /// Hours between labelled ticks.
    let tickHours: Int

    /// Starts and ends on whole multiples of the tick spacing from the reference, covering `first...last`.
    init(reference: Date, referenceIsInfusion: Bool, first: Date, last: Date, x0: Double, x1: Double) {
        self.reference = reference
        self.referenceIsInfusion = referenceIsInfusion
        self.x0 = x0
        self.x1 = x1
        let spanHours = max(1, last.timeIntervalSince(first) / 3600)
        tickHours = [6, 12, 24, 48, 96, 168].first { spanHours / Double($0) <= 14 } ?? 336
        let step = Double(tickHours) * 3600
        let startSteps = (first.timeIntervalSince(reference) / step).rounded(.down)
        var endSteps = (last.timeIntervalSince(reference) / step).rounded(.up)
        if endSteps <= startSteps { endSteps = startSteps + 1 }
        start = reference.addingTimeInterval(startSteps * step)
        end = reference.addingTimeInterval(endSteps * step)
    }

    /// The x of an instant (clamped to the axis).
    func x(_ date: Date) -> Double {
        let span = end.timeIntervalSince(start)
        let fraction = span > 0 ? date.timeIntervalSince(start) / span : 0
        return x0 + min(1, max(0, fraction)) * (x1 - x0)
    }

    /// Hours since the reference.
    func hours(_ date: Date) -> Double { date.timeIntervalSince(reference) / 3600 }

    /// The labelled ticks, from start to end.
    var ticks: [Date] {
        var ticks: [Date] = []
        var t = start
        while t <= end {
            ticks.append(t)
            t = t.addingTimeInterval(Double(tickHours) * 3600)
        }
        return ticks
    }

    /// `03-02 14:30` (UTC).
    static func clock(_ date: Date) -> String {
        let c = Self.utc.dateComponents([.month, .day, .hour, .minute], from: date)
        return String(format: "%02d-%02d %02d:%02d", c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// `2026-03-02 14:30 UTC`.
    static func fullClock(_ date: Date) -> String {
        let c = Self.utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// `+36 h`, `-2 h`, `+36.5 h`.
    func hoursLabel(_ date: Date) -> String {
        let h = hours(date)
        let text = h == h.rounded() ? String(Int(h)) : String(format: "%.1f", h)
        return (h > 0 ? "+" : "") + text + " h"
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()
}
