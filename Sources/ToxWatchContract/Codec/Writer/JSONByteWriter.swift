package import Foundation

/// Writes JSON bytes exactly as Foundation's `JSONEncoder` writes them with `.sortedKeys` (and,
/// when asked, `.withoutEscapingSlashes`), without building the encoder's intermediate tree: the
/// output records' and the changelog record's writers (`encode(into:)` of the wire types) append
/// their members to one `[UInt8]`.
///
/// What is matched, byte for byte (swift-foundation's `JSONWriter` and `JSONEncoder`):
/// - strings: `"` and `\` escaped, `/` escaped as `\/` unless slashes are kept, `\b \f \n \r \t`,
///   other control characters as `\u00xx` (lowercase hex); everything else, `DEL` and non-ASCII
///   included, as its UTF-8 bytes;
/// - numbers: integers in decimal; a `Double` as its `description` without a trailing `.0`
///   (`1e+16`, `0.1`, `-0`), a non-finite one refused (``Unwritable``);
/// - dates: `.iso8601` as `yyyy-MM-ddTHH:mm:ssZ` in UTC, the fraction of the second dropped;
///   `.deferredToDate` as the seconds since 2001-01-01 (a `Double`).
///
/// Keys are not sorted here: each writer writes its members in the order `.sortedKeys` gives (the
/// UTF-8 bytes of the keys, compared lexicographically), and ``writeSorted(_:_:)`` sorts the keys
/// of a dictionary. Commas are placed by the writer: every value or key after the first in its
/// container gets one.
///
/// ```swift
/// var writer = JSONByteWriter(escapingSlashes: false)
/// writer.beginObject()
/// writer.key("grade")
/// writer.int(2)
/// writer.key("id")
/// writer.string("a/b")
/// writer.endObject()
/// writer.bytes  // {"grade":2,"id":"a/b"}
/// ```
package struct JSONByteWriter {
    /// A value JSON cannot carry (a non-finite number): the document is not written, as
    /// `JSONEncoder` throws for it.
    package struct Unwritable: Error, CustomStringConvertible {
        package var value: String
        package var description: String { "\(value) cannot be written in JSON" }
    }

    /// The document so far.
    package private(set) var bytes: [UInt8] = []
    /// Whether `/` is written `\/` (`JSONEncoder` without `.withoutEscapingSlashes`).
    private let escapesSlashes: Bool
    /// Whether the next value or key follows another in its container (and needs a comma).
    private var followsValue = false

    /// - Parameters:
    ///   - escapingSlashes: `false` for `.withoutEscapingSlashes`.
    ///   - capacity: bytes to reserve (a guess of the document's size).
    package init(escapingSlashes: Bool, capacity: Int = 1024) {
        self.escapesSlashes = escapingSlashes
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    package mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        followsValue = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        followsValue = true
    }

    package mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        followsValue = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        followsValue = true
    }

    /// A member's key: an ASCII name that needs no escape (a property's key).
    package mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        followsValue = false
    }

    /// A member's key from data (a dictionary's key), escaped like any string.
    package mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        followsValue = false
    }

    /// Bytes that are already one JSON value (an event's JSON as the changelog record holds it).
    package mutating func rawValue(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        followsValue = true
    }

    // MARK: Values

    package mutating func null() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
        followsValue = true
    }

    package mutating func bool(_ value: Bool) {
        separate()
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(
                contentsOf: [
                    UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
                ]
            )
        }
        followsValue = true
    }

    package mutating func int(_ value: Int) { int64(Int64(value)) }

    package mutating func int64(_ value: Int64) {
        separate()
        appendDecimal(value)
        followsValue = true
    }

    /// A `Double` as `JSONEncoder` writes it: its `description` without a trailing `.0`.
    package mutating func double(_ value: Double) throws(Unwritable) {
        guard value.isFinite else { throw Unwritable(value: "\(value)") }
        separate()
        // Whole numbers below 10^15 print as their integer followed by `.0`: write the integer.
        if value.rounded(.towardZero) == value, value.magnitude < 1e15 {
            if value == 0, value.sign == .minus {
                bytes.append(contentsOf: [UInt8(ascii: "-"), UInt8(ascii: "0")])
            } else {
                appendDecimal(Int64(value))
            }
        } else {
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
        followsValue = true
    }

    /// A string, escaped as `JSONEncoder` escapes it.
    package mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
        followsValue = true
    }

    /// A string of bytes that need no escape (such as base64url text: letters, digits, `-`, `_`, `=`),
    /// copied as they are.
    package mutating func unescapedString(_ ascii: [UInt8]) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: ascii)
        bytes.append(UInt8(ascii: "\""))
        followsValue = true
    }

    /// A string, or `null` when there is none (an optional encoded with `encode`, not `encodeIfPresent`).
    package mutating func string(orNull value: String?) {
        if let value { string(value) } else { null() }
    }

    /// An array of strings.
    package mutating func strings(_ values: some Sequence<String>) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A date as `.iso8601` writes it: `2026-03-04T08:00:00Z`, the second rounded down.
    package mutating func iso8601(_ date: Date) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        if !ISO8601Digits.append(date, to: &bytes) {
            // Before 1601 or after 9999: Foundation's own formatting (no contract date is there).
            bytes.append(contentsOf: date.formatted(.iso8601).utf8)
        }
        bytes.append(UInt8(ascii: "\""))
        followsValue = true
    }

    /// A date as `.deferredToDate` writes it: `timeIntervalSinceReferenceDate`, a `Double`.
    package mutating func referenceSeconds(_ date: Date) throws(Unwritable) {
        try double(date.timeIntervalSinceReferenceDate)
    }

    // MARK: Dictionaries

    /// A dictionary as an object, its keys in `.sortedKeys` order (their UTF-8 bytes compared).
    package mutating func writeSorted<Value>(
        _ dictionary: [String: Value], _ writeValue: (inout JSONByteWriter, Value) throws(Unwritable) -> Void
    ) throws(Unwritable) {
        beginObject()
        for (key, value) in dictionary.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            self.key(key)
            try writeValue(&self, value)
        }
        endObject()
    }

    // MARK: Bytes

    private mutating func separate() {
        if followsValue { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // UInt64 has at most 20 decimal digits.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            let escape: UInt8
            switch byte {
            case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case UInt8(ascii: "/") where escapesSlashes: escape = UInt8(ascii: "/")
            case 0x08: escape = UInt8(ascii: "b")
            case 0x0C: escape = UInt8(ascii: "f")
            case 0x0A: escape = UInt8(ascii: "n")
            case 0x0D: escape = UInt8(ascii: "r")
            case 0x09: escape = UInt8(ascii: "t")
            case 0x00..<0x20: escape = UInt8(ascii: "u")
            default: continue
            }
            if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(escape)
            if escape == UInt8(ascii: "u") {
                bytes.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hexDigit(byte >> 4)])
                bytes.append(Self.hexDigit(byte & 0xF))
            }
            runStart = index + 1
        }
        if utf8.count > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") &+ value : UInt8(ascii: "a") &+ (value &- 10)
    }
}

/// The digits of an `.iso8601` date in UTC, from the proleptic Gregorian calendar (days to civil
/// date, H. Hinnant's algorithm), for the years 1601–9999 where it agrees with Foundation's.
private enum ISO8601Digits {
    /// Seconds from 1970-01-01 to 2001-01-01.
    static let referenceOffset: Int64 = 978_307_200
    /// 1601-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds since 1970.
    static let supported: Range<Int64> = -11_644_473_600..<253_402_300_800

    /// Appends `yyyy-MM-ddTHH:mm:ssZ`, or returns `false` for a date outside ``supported``.
    static func append(_ date: Date, to bytes: inout [UInt8]) -> Bool {
        // Foundation rounds the date's own value (seconds since 2001) down to the second.
        let reference = date.timeIntervalSinceReferenceDate.rounded(.down)
        guard reference.isFinite, reference.magnitude < 1e15 else { return false }
        let seconds = Int64(reference) + referenceOffset
        guard supported.contains(seconds) else { return false }
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, dayRemainder) = secondOfDay < 0 ? (days - 1, secondOfDay + 86_400) : (days, secondOfDay)
        let (year, month, dayOfMonth) = CivilTime.civilFromDays(day)
        appendDigits(Int64(year), count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(month), count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(dayOfMonth), count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(dayRemainder / 3600, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(dayRemainder % 3600 / 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(dayRemainder % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return true
    }

    private static func appendDigits(_ value: Int64, count: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
