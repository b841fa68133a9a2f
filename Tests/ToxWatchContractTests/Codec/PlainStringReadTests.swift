import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract
@testable import ToxicityRules

/// The byte reader checks a plain string (ASCII without escapes or control characters below
/// U+0020) on its bytes before creating it: identifiers (blank, length, U+007F) in one pass, other
/// strings for blanks. Those checks must accept exactly what the checks on the `String` accept,
/// and a document must read alike through both readers.
@Suite("Event codec: plain strings checked on their bytes")
struct PlainStringReadTests {
    /// Bytes a plain string may hold that the checks look at, and a letter.
    static let alphabet: [UInt8] = [0x20, 0x7F, UInt8(ascii: "a"), UInt8(ascii: "-")]

    /// Every text of up to four bytes of ``alphabet``, and texts around the length limit with a
    /// space, a U+007F or nothing at the start, the middle or the end.
    static func texts() -> [[UInt8]] {
        var texts: [[UInt8]] = [[]]
        var previous: [[UInt8]] = [[]]
        for _ in 1...4 {
            previous = previous.flatMap { text in alphabet.map { text + [$0] } }
            texts += previous
        }
        for count in [InputIdentifier.maxBytes - 1, InputIdentifier.maxBytes, InputIdentifier.maxBytes + 1] {
            for byte in alphabet {
                for position in [0, count / 2, count - 1] {
                    var text = [UInt8](repeating: UInt8(ascii: "x"), count: count)
                    text[position] = byte
                    texts.append(text)
                }
                texts.append([UInt8](repeating: byte, count: count))
            }
        }
        return texts
    }

    @Test func identifierBytesAreCheckedAsTheStringIs() {
        var accepted = 0
        let texts = Self.texts()
        for bytes in texts {
            let text = String(decoding: bytes, as: UTF8.self)
            let fromBytes = bytes.withUnsafeBytes { InputIdentifier.text(ifIdentifier: $0) }
            let expected = InputIdentifier.problem(text) == nil ? text : nil
            #expect(fromBytes == expected, "\(text.debugDescription)")
            if expected != nil { accepted += 1 }
        }
        // Cases run: 341 short texts and 48 around the limit; some accepted, most not.
        #expect(texts.count > 380 && accepted > 50 && accepted < texts.count - 50)
    }

    static let head = #"{"type":"inventory","occurredAt":"2026-03-02T06:00:00Z","status":"low","#

    /// An inventory event with `json` (a JSON string) as `key`, whose other identifiers are valid.
    static func inventory(_ key: String, _ json: String) -> [UInt8] {
        var members = ["eventId": #""e1""#, "site": #""s""#, "drug": #""anakinra""#]
        members[key] = json
        return Array(
            (head + members.sorted { $0.key < $1.key }.map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}").utf8)
    }

    /// JSON strings of identifiers at the edges: blanks, U+007F plain and escaped, a control
    /// character escaped, the length limit exactly and one over (in ASCII and in two-byte UTF-8).
    static let identifiers: [String] = [
        #""""#, #"" ""#, #""   ""#, #""\t""#, #"" \n ""#, "\"\u{7F}\"", "\"a\u{7F}\"", #""a\u007f""#, #""a\u0001""#,
        #""a""#, #"" a ""#, #""\u0061""#, "\"" + String(repeating: "x", count: 128) + "\"",
        "\"" + String(repeating: "x", count: 129) + "\"", "\"" + String(repeating: " ", count: 129) + "\"",
        "\"" + String(repeating: "é", count: 64) + "\"", "\"" + String(repeating: "é", count: 64) + "x\"",
        "\"" + String(repeating: "x", count: 127) + "\u{7F}\"", #""a\/b""#, #""Anakinra""#, #"" anakinra ""#,
    ]

    @Test(arguments: ["eventId", "site", "drug"])
    func identifiersReadAlike(_ key: String) {
        var decoded = 0
        for json in Self.identifiers where CodecEquivalenceTests.expectSameOutcome(Self.inventory(key, json)) {
            decoded += 1
        }
        #expect(decoded > 5 && decoded < Self.identifiers.count - 5)
    }

    @Test func identifierErrorsNameTheirProblem() {
        let long = String(repeating: "x", count: 129)
        let cases: [(String, String)] = [
            (#"" ""#, "is empty"),
            ("\"" + long + "\"", "is longer than 128 bytes (an identifier is 1–128 bytes of UTF-8)"),
            (
                "\"a\u{7F}\"",
                "contains a control character (an identifier is 1–128 bytes of UTF-8 without control characters)"
            ),
        ]
        for (json, problem) in cases {
            let value = String(json.dropFirst().dropLast())
            #expect(
                CodecEquivalenceTests.codec(Self.inventory("eventId", json))
                    == .failure(.invalidValue(path: "eventId", value: value, problem: problem)))
        }
    }

    /// Drug names are matched on their bytes when no trimming or lower-casing is needed: every
    /// known name and its near misses, in a medication and an inventory event.
    @Test func drugNamesReadAlike() {
        let names = Drug.known.map(\.name) + ["x", "Anakinra", " anakinra", "anakinra ", "ANAKINRA"]
        var cases = 0
        for name in names {
            for text in WireCodeTableTests.nearMisses(name) {
                let medication =
                    #"{"type":"medication","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","#
                    + #""action":"ordered","drug":""# + text + #""}"#
                #expect(CodecEquivalenceTests.expectSameOutcome(Array(medication.utf8)) == !text.isBlank, "\(text)")
                CodecEquivalenceTests.expectSameOutcome(Self.inventory("drug", "\"" + text + "\""))
                cases += 2
            }
        }
        let escaped = Self.inventory("drug", #""anakinr\u0061""#)
        #expect(CodecEquivalenceTests.expectSameOutcome(escaped))
        #expect(
            (try? EventCodec.decode(escaped))?.event
                == .inventory(
                    InventoryEvent(
                        eventId: "e1", occurredAt: Date(timeIntervalSince1970: 1_772_431_200), site: "s",
                        drug: .anakinra, status: .low)))
        // Cases run: 34 names with their near misses, in two events.
        #expect(cases > 2000)
    }

    /// Strings that are not identifiers are refused only when blank.
    @Test func stringsReadAlike() {
        let patient =
            #"{"type":"patient","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","allergies":[],"#
        var cases = 0
        for json in Self.identifiers {
            for member in [
                #""protocol":"#, #""infusion":{"target":"CD19","infusedAt":"2026-03-01T00:00:00Z","product":"#,
            ] {
                let closing = member.hasPrefix(#""infusion""#) ? "}}" : "}"
                CodecEquivalenceTests.expectSameOutcome(Array((patient + member + json + closing).utf8))
                cases += 1
            }
            let sourced =
                #"{"type":"vitals","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","#
                + #""spo2":95,"source":{"system":"# + json + "}}"
            CodecEquivalenceTests.expectSameOutcome(Array(sourced.utf8))
            cases += 1
        }
        #expect(cases == Self.identifiers.count * 3)
    }
}
