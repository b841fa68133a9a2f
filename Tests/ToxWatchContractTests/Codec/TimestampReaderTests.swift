import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract

/// The byte-level timestamp parser (``ISO8601Timestamp/parse(utf8:)``, which the event codec runs
/// on a string's bytes in place, and which ``ISO8601Timestamp/parse(_:)`` runs on a `String`'s)
/// against the parser it replaced (``StringTimestampParser``): the same date or the same problem
/// on edge cases and on seeded random mutations of valid timestamps, directly and through both
/// event readers.
@Suite("Event codec: timestamps read from bytes")
struct TimestampReaderTests {
    static let edges = [
        // Accepted: offsets, fractions of every length, lower-case separators, calendar edges.
        "2026-03-02T06:00:00Z", "2026-03-02t06:00:00z", "2026-03-02T07:00:00.250+01:00", "2026-03-02T00:30:00-05:30",
        "2026-03-02T06:00:00.1Z", "2026-03-02T06:00:00.123456789Z", "2026-03-02T06:00:00.1234567891234Z",
        "2026-03-02T06:00:00.000000000Z", "2024-02-29T23:59:59Z", "2000-02-29T12:00:00Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z", "2026-03-02T06:00:00+23:59", "2026-03-02T06:00:00-23:59",
        "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "2026-03-02T06:00:00+00:00", "2026-03-02T06:00:00-00:00",
        // Refused, each for its reason.
        "", " ", "2026", "2026-03-02", "2026-03-02T", "2026-03-02T06", "2026-03-02T06:00", "2026-03-02T06:00Z",
        "2026-03-02T06:00:0Z", "2026-03-02T06:00:00", "2026-03-02T06:00:00.", "2026-03-02T06:00:00.Z",
        "2026-03-02T06:00:00.x", "2026-03-02T06:00:00+01", "2026-03-02T06:00:00+0100", "2026-03-02T06:00:00+24:00",
        "2026-03-02T06:00:00+01:60", "2026-03-02T06:00:00 Z", "2026-03-02T06:00:00Zx", "2026-03-02 06:00:00Z",
        "20260302T060000Z", "2023-02-29T06:00:00Z", "1900-02-29T06:00:00Z", "2026-04-31T06:00:00Z",
        "2026-13-01T06:00:00Z", "2026-00-01T06:00:00Z", "2026-03-00T06:00:00Z", "0000-01-01T00:00:00Z",
        "2026-03-02T24:00:00Z", "2026-03-02T23:60:00Z", "2026-03-02T23:59:60Z", "2016-12-31T23:59:60Z",
        "+2026-03-02T06:00:00Z", "2026-03-02T06:00:00\u{0}Z", "２０２６-03-02T06:00:00Z", "2026-03-02T06:00:00Ｚ",
        "2026-03-02T06:00:00.٣Z", "-2026-03-02T06:00:00Z", "2026/03/02T06:00:00Z", "2026-03-02T06:00:00.5-",
    ]

    @Test func edgesParseAsBefore() {
        for text in Self.edges {
            #expect(ISO8601Timestamp.parse(text) == StringTimestampParser.parse(text), "\(text.debugDescription)")
            let bytes = Array(text.utf8)
            let fromBytes = bytes.withUnsafeBytes { ISO8601Timestamp.parse(utf8: $0) }
            #expect(fromBytes == StringTimestampParser.parse(text), "\(text.debugDescription)")
        }
        // Cases run: every edge; each of the refusal reasons occurs among them.
        let problems = Set(
            Self.edges.compactMap { text -> TimestampProblem? in
                if case .failure(let problem) = ISO8601Timestamp.parse(text) { problem } else { nil }
            })
        #expect(problems == [.notISO8601, .noTime, .noSeconds, .noOffset, .badOffset, .notACalendarTime])
    }

    /// Seeded random mutations of valid timestamps: a byte replaced, removed or inserted, the
    /// text cut; bytes taken from the characters a timestamp is made of, so that many stay near
    /// valid.
    @Test func mutatedTimestampsParseAsBefore() {
        var rng = SplitMix64(state: 0x7153)
        let alphabet = Array("0123456789-:.TtZz+ 9".utf8) + [0x00, 0xC3, 0xA9]
        var accepted = 0
        let cases = 20_000
        for _ in 0..<cases {
            var bytes = Array(Self.edges[Int(rng.next() % 18)].utf8)
            for _ in 0...(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 4 {
                case 0 where at < bytes.count: bytes[at] = byte
                case 1 where at < bytes.count: bytes.remove(at: at)
                case 2: bytes.insert(byte, at: at)
                default: bytes.removeSubrange(at...)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let expected = StringTimestampParser.parse(text)
            #expect(ISO8601Timestamp.parse(text) == expected, "\(text.debugDescription)")
            if String(validating: bytes, as: UTF8.self) != nil {
                #expect(bytes.withUnsafeBytes { ISO8601Timestamp.parse(utf8: $0) } == expected)
            }
            if case .success = expected { accepted += 1 }
        }
        // Cases run: 20,000 mutations; some stay valid, others are refused.
        #expect(accepted > cases / 100 && accepted < cases * 99 / 100, "\(accepted) accepted")
    }

    /// Through both event readers: the codec parses a plain string's bytes in place and an escaped
    /// one after unescaping; either way the event or the error is Foundation's.
    @Test func timestampsReadAlikeThroughBothReaders() {
        let escaped = [#"\u0032026-03-02T06:00:00Z"#, #"2026-03-02T06:00:00\u005a"#, #"2026-03-02T06:00:00\/Z"#]
        for text in Self.edges.map({ $0.replacingAll("\u{0}", with: "\\u0000") }) + escaped {
            let head = #"{"type":"vitals","eventId":"e1","patientId":"P1","temperatureC":38.5,"occurredAt":""#
            CodecEquivalenceTests.expectSameOutcome(Array((head + text + "\"}").utf8))
        }
    }
}

/// The timestamp parser as it was before it read bytes (over a `String`'s UTF-8 copied into an
/// array), kept as the reference the byte parser is compared with.
enum StringTimestampParser {
    static func parse(_ text: String) -> Result<Date, TimestampProblem> {
        var bytes = Array(text.utf8)[...]
        guard let year = takeDigits(&bytes, 4), take(&bytes, UInt8(ascii: "-")),
            let month = takeDigits(&bytes, 2), take(&bytes, UInt8(ascii: "-")),
            let day = takeDigits(&bytes, 2)
        else { return .failure(.notISO8601) }
        guard take(&bytes, UInt8(ascii: "T")) || take(&bytes, UInt8(ascii: "t")) else {
            return .failure(bytes.isEmpty ? .noTime : .notISO8601)
        }
        guard let hour = takeDigits(&bytes, 2), take(&bytes, UInt8(ascii: ":")),
            let minute = takeDigits(&bytes, 2)
        else { return .failure(.notISO8601) }
        guard take(&bytes, UInt8(ascii: ":")), let second = takeDigits(&bytes, 2) else {
            return .failure(.noSeconds)
        }
        var nanos = 0
        if take(&bytes, UInt8(ascii: ".")) {
            var digits = 0
            while let b = bytes.first, isDigit(b) {
                if digits < 9 { nanos = nanos * 10 + Int(b - 48) }
                digits += 1
                bytes.removeFirst()
            }
            guard digits > 0 else { return .failure(.notISO8601) }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        let offsetSeconds: Int
        if take(&bytes, UInt8(ascii: "Z")) || take(&bytes, UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            bytes.removeFirst()
            guard let oh = takeDigits(&bytes, 2), take(&bytes, UInt8(ascii: ":")), let om = takeDigits(&bytes, 2),
                oh <= 23, om <= 59
            else { return .failure(.badOffset) }
            offsetSeconds = (sign == UInt8(ascii: "+") ? 1 : -1) * (oh * 3600 + om * 60)
        } else if bytes.isEmpty {
            return .failure(.noOffset)
        } else {
            return .failure(.notISO8601)
        }
        guard bytes.isEmpty else { return .failure(.notISO8601) }
        guard
            let local = CivilTime.epochSeconds(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return .failure(.notACalendarTime) }
        return .success(CivilTime.date(epochSeconds: local - Int64(offsetSeconds), nanoseconds: nanos))
    }
}
