package import Foundation

/// ISO-8601 timestamps of the event contract: `2026-03-02T06:00:00Z`, `2026-03-02T07:00:00.250+01:00`.
///
/// Parsing is strict (RFC 3339 profile of ISO-8601): seconds are required, an offset (`Z` or
/// `±hh:mm`) is required, and calendar fields are checked (no 30 February). Formatting always
/// writes UTC with the shortest fraction that reads back to the same `Date`, so that
/// decode → encode → decode is exact.
package enum ISO8601Timestamp {
    /// Parses a date-time with offset; returns a problem sentence when the text is not one.
    package static func parse(_ text: String) -> Result<Date, TimestampProblem> {
        var text = text
        return text.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Parses the UTF-8 bytes of a date-time with offset (a JSON string's contents, read in
    /// place), as ``parse(_:)`` parses its text.
    static func parse(utf8: UnsafeRawBufferPointer) -> Result<Date, TimestampProblem> {
        var bytes = ByteCursor(utf8)
        guard let year = bytes.digits(4), bytes.take(UInt8(ascii: "-")),
            let month = bytes.digits(2), bytes.take(UInt8(ascii: "-")),
            let day = bytes.digits(2)
        else { return .failure(.notISO8601) }
        guard bytes.take(UInt8(ascii: "T")) || bytes.take(UInt8(ascii: "t")) else {
            return .failure(bytes.isAtEnd ? .noTime : .notISO8601)
        }
        guard let hour = bytes.digits(2), bytes.take(UInt8(ascii: ":")),
            let minute = bytes.digits(2)
        else { return .failure(.notISO8601) }
        guard bytes.take(UInt8(ascii: ":")), let second = bytes.digits(2) else {
            return .failure(.noSeconds)
        }
        var nanos = 0
        if bytes.take(UInt8(ascii: ".")) {
            var digits = 0
            while let b = bytes.next, isDigit(b) {
                if digits < 9 { nanos = nanos * 10 + Int(b - 48) }
                digits += 1
                bytes.position += 1
            }
            guard digits > 0 else { return .failure(.notISO8601) }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        let offsetSeconds: Int
        if bytes.take(UInt8(ascii: "Z")) || bytes.take(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = bytes.next, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            bytes.position += 1
            guard let oh = bytes.digits(2), bytes.take(UInt8(ascii: ":")), let om = bytes.digits(2),
                oh <= 23, om <= 59
            else { return .failure(.badOffset) }
            offsetSeconds = (sign == UInt8(ascii: "+") ? 1 : -1) * (oh * 3600 + om * 60)
        } else if bytes.isAtEnd {
            return .failure(.noOffset)
        } else {
            return .failure(.notISO8601)
        }
        guard bytes.isAtEnd else { return .failure(.notISO8601) }
        guard
            let local = CivilTime.epochSeconds(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second
            )
        else { return .failure(.notACalendarTime) }
        return .success(CivilTime.date(epochSeconds: local - Int64(offsetSeconds), nanoseconds: nanos))
    }

    /// Formats `date` in UTC (`2026-03-02T06:00:00Z`, `2026-03-02T06:00:00.25Z`).
    package static func format(_ date: Date) -> String {
        let (seconds, fraction) = CivilTime.split(date)
        var text = CivilTime.formatDate(epochSeconds: seconds)
        let secondOfDay = Int(((seconds % 86_400) + 86_400) % 86_400)
        text += "T" + pad(secondOfDay / 3600) + ":" + pad(secondOfDay / 60 % 60) + ":" + pad(secondOfDay % 60)
        if !fraction.isEmpty { text += "." + fraction }
        return text + "Z"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// Why a timestamp was refused; the message completes "'<value>' …".
package enum TimestampProblem: Error, Sendable, Hashable, CustomStringConvertible {
    case notISO8601, noTime, noSeconds, noOffset, badOffset, notACalendarTime
    case notHL7DTM, lacksTimeOfDay

    package var description: String {
        switch self {
        case .notISO8601: "is not an ISO-8601 date-time (expected e.g. 2026-03-02T06:00:00Z)"
        case .noTime: "is a date without a time (expected e.g. 2026-03-02T06:00:00Z)"
        case .noSeconds: "has no seconds (expected e.g. 2026-03-02T06:00:00Z)"
        case .noOffset: "has no UTC offset (add Z or ±hh:mm)"
        case .badOffset: "has an invalid UTC offset (expected Z or ±hh:mm)"
        case .notACalendarTime: "is not a real calendar date and time"
        case .notHL7DTM: "is not an HL7 date/time (expected YYYYMMDDHHMM[SS[.S]][+/-ZZZZ])"
        case .lacksTimeOfDay: "has no time of day (at least YYYYMMDDHHMM is required)"
        }
    }
}

/// Calendar dates without time (`birthDate`: `2015-06-30`), held as midnight UTC.
package enum ISO8601Date {
    package static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { utf8 in
            var bytes = ByteCursor(UnsafeRawBufferPointer(utf8))
            guard let year = bytes.digits(4), bytes.take(UInt8(ascii: "-")),
                let month = bytes.digits(2), bytes.take(UInt8(ascii: "-")),
                let day = bytes.digits(2), bytes.isAtEnd,
                let seconds = CivilTime.epochSeconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
            else { return nil }
            return CivilTime.date(epochSeconds: seconds, nanoseconds: 0)
        }
    }

    /// Formats the UTC calendar day of `date`.
    package static func format(_ date: Date) -> String {
        CivilTime.formatDate(epochSeconds: CivilTime.split(date).seconds)
    }
}

/// Proleptic Gregorian calendar arithmetic in UTC, without `Calendar` (fast and allocation-free).
enum CivilTime {
    private static let unixToReference: Int64 = 978_307_200

    /// Seconds since 1970 of a UTC civil time, or `nil` when a field is out of its range.
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    static func date(epochSeconds: Int64, nanoseconds: Int) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(epochSeconds - unixToReference) + Double(nanoseconds) / 1e9)
    }

    /// Whole seconds since 1970 and the shortest decimal fraction (no leading dot, empty when
    /// whole) that ``date(epochSeconds:nanoseconds:)`` turns back into exactly `date`.
    static func split(_ date: Date) -> (seconds: Int64, fraction: String) {
        let t = date.timeIntervalSinceReferenceDate
        guard t.isFinite, abs(t) < 1e15 else { return (0, "") }
        let whole = t.rounded(.down)
        let seconds = Int64(whole) + unixToReference
        if t == whole { return (seconds, "") }
        let frac = t - whole
        var scale = 1
        for digits in 1...9 {
            scale *= 10
            let n = Int((frac * Double(scale)).rounded())
            if n >= scale { continue }
            let nanos = n * (1_000_000_000 / scale)
            if Double(Int64(whole)) + Double(nanos) / 1e9 == t || digits == 9 {
                var text = String(n)
                text = String(repeating: "0", count: digits - text.count) + text
                while text.last == "0" { text.removeLast() }
                return text.isEmpty ? (seconds, "") : (seconds, text)
            }
        }
        return (seconds, "")
    }

    static func formatDate(epochSeconds: Int64) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let (y, m, d) = civilFromDays(days)
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + (m < 10 ? "0" : "") + String(m)
            + "-" + (d < 10 ? "0" : "") + String(d)
    }
}

func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

/// A cursor over the bytes of a timestamp or a date.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    /// The next byte, not consumed.
    var next: UInt8? { isAtEnd ? nil : bytes[position] }

    /// Consumes exactly `count` ASCII digits.
    mutating func digits(_ count: Int) -> Int? {
        guard bytes.count - position >= count else { return nil }
        var value = 0
        for _ in 0..<count {
            let b = bytes[position]
            guard isDigit(b) else { return nil }
            value = value * 10 + Int(b - 48)
            position += 1
        }
        return value
    }

    /// Consumes `byte` when it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        position += 1
        return true
    }
}

/// Consumes exactly `count` ASCII digits.
func takeDigits(_ bytes: inout ArraySlice<UInt8>, _ count: Int) -> Int? {
    guard bytes.count >= count else { return nil }
    var value = 0
    for _ in 0..<count {
        guard let b = bytes.first, isDigit(b) else { return nil }
        value = value * 10 + Int(b - 48)
        bytes.removeFirst()
    }
    return value
}

/// Consumes `byte` when it is next.
func take(_ bytes: inout ArraySlice<UInt8>, _ byte: UInt8) -> Bool {
    guard bytes.first == byte else { return false }
    bytes.removeFirst()
    return true
}
