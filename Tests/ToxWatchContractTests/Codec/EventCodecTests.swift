import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

/// The edges of JSON where readers differ, each checked through the byte-level reader and against
/// the reference (Foundation's `JSONDecoder`), with what both must do.
@Suite("Event codec: JSON edges")
struct EventCodecTests {
    static let head = #"{"type":"vitals","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z""#

    /// A vitals event with `members` (JSON text) after the common fields.
    static func vitals(_ members: String) -> [UInt8] { Array((head + "," + members + "}").utf8) }

    static func codec(_ bytes: [UInt8]) -> CodecEquivalenceTests.Outcome { CodecEquivalenceTests.codec(bytes) }

    @Test func temperatureDecodes() throws {
        let envelope = try EventCodec.decode(Self.vitals(#""temperatureC":38.5"#))
        guard case .clinical(.vitals(let vitals)) = envelope.event else { throw Failure("not vitals") }
        #expect(vitals.temperatureC == 38.5)
        #expect(vitals.occurredAt == (try ISO8601Timestamp.parse("2026-03-02T06:00:00Z").get()))
    }

    @Test(
        "unknown fields are not read, whatever they hold",
        arguments: [
            #""note":"\q""#, #""note":01"#, #""note":"\ud800""#, #""note":1e400"#, #""note":{"\q":1}"#,
            #""note":[1,2,]"#, "\"note\":\"a\u{1}b\"",
        ]
    )
    func unknownFieldsAreNotRead(_ member: String) {
        let bytes = Self.vitals(#""temperatureC":38.5,"# + member)
        #expect(CodecEquivalenceTests.expectSameOutcome(bytes))
    }

    /// Foundation's parser fails on a known field's number it cannot read, and the document is
    /// then refused as a whole: `malformed-json`, or `out-of-range` naming the first number past a
    /// double.
    @Test(
        "a known field Foundation cannot read makes the document unreadable",
        arguments: [
            (#""temperatureC":01"#, EventDecodingError.malformedJSON(path: "", problem: notJSON)),
            (#""temperatureC":1e400"#, .outOfRange(path: "temperatureC", value: .infinity, range: .finiteNumber)),
            (#""temperatureC":1e-400"#, .malformedJSON(path: "", problem: notJSON)),
            (#""temperatureC":-"#, .malformedJSON(path: "", problem: notJSON)),
            (#""temperatureC":38,"oxygen":{"device":"cpap","\q":1}"#, .malformedJSON(path: "", problem: notJSON)),
        ]
    )
    func unreadableKnownFields(_ member: String, _ expected: EventDecodingError) {
        let bytes = Self.vitals(member)
        CodecEquivalenceTests.expectSameOutcome(bytes)
        #expect(Self.codec(bytes) == .failure(expected))
    }

    static let notJSON = "not valid JSON (or a number past what a 64-bit float holds)"

    @Test func subnormalNumbersAreNumbersAndUnderflowIsNot() {
        // 4.9e-324 is the smallest double; 2e-324 rounds to zero, which Foundation refuses.
        for (text, decodes) in [("4.9e-324", true), ("2e-324", false), ("0e999", true)] {
            let bytes = Self.vitals(#""temperatureC":38,"spo2":"# + text)
            #expect(CodecEquivalenceTests.expectSameOutcome(bytes) == decodes, "\(text)")
        }
    }

    @Test func keysCompareAsSwiftStrings() throws {
        // U+212A KELVIN SIGN is canonically equivalent to K: Foundation's dictionary finds
        // `weightKg` under it, and so must the codec; `\u0074ype` is `type`.
        let kelvin = Array(
            #"{"\u0074ype":"patient","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","allergies":[],"ageYears":4,"weight\#u{212A}g":18}"#
                .utf8)
        #expect(CodecEquivalenceTests.expectSameOutcome(kelvin))
        guard case .success(let envelope) = Self.codec(kelvin), case .clinical(.patient(let patient)) = envelope.event
        else { throw Failure("not a patient") }
        #expect(patient.weightKg == 18)
    }

    @Test func stringsUnescapeLikeFoundation() throws {
        let bytes = Array(
            #"{"type":"inventory","eventId":"e\ud834\udd1e\u00e9\/\"\n","occurredAt":"2026-03-02T07:00:00.250+01:00","site":"s","drug":"anakinra","status":"low"}"#
                .utf8)
        #expect(CodecEquivalenceTests.expectSameOutcome(bytes) == false)  // a newline is a control character
        let printable = Array(
            #"{"type":"inventory","eventId":"e\ud834\udd1e\u00e9\/\"","occurredAt":"2026-03-02T07:00:00.250+01:00","site":"s","drug":"anakinra","status":"low"}"#
                .utf8)
        #expect(CodecEquivalenceTests.expectSameOutcome(printable))
        #expect(try EventCodec.decode(printable).event.eventId == "e𝄞é/\"")
        #expect(
            try EventCodec.decode(printable).event.occurredAt
                == (try ISO8601Timestamp.parse("2026-03-02T06:00:00.25Z").get()))
    }

    @Test func trailingCommasAreAcceptedAsFoundationDoes() {
        #expect(CodecEquivalenceTests.expectSameOutcome(Self.vitals(#""temperatureC":38.5,"#)))
        #expect(!CodecEquivalenceTests.expectSameOutcome(Self.vitals(#""temperatureC":38.5,,"#)))
    }

    @Test func nestingIsLimitedTo512Levels() {
        for depth in [511, 512] {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            CodecEquivalenceTests.expectSameOutcome(Self.vitals(#""temperatureC":38.5,"deep":"# + nested))
        }
        let accepted = String(repeating: "[", count: 510) + String(repeating: "]", count: 510)
        #expect((try? EventCodec.decode(Self.vitals(#""temperatureC":38.5,"deep":"# + accepted))) != nil)
        let refused = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect((try? EventCodec.decode(Self.vitals(#""temperatureC":38.5,"deep":"# + refused))) == nil)
    }

    @Test(
        "duplicate keys are refused naming the first one",
        arguments: [
            (#""temperatureC":38.5,"temperatureC":39"#, "temperatureC"),
            (#""temperatureC":38.5,"te\u006dperatureC":39"#, "temperatureC"),
            (#""oxygen":{"device":"room-air","device":"cpap"},"x":1,"x":2"#, "oxygen.device"),
            (#""temperatureC":38.5,"patientId":"P2""#, "patientId"),
        ]
    )
    func duplicateKeys(_ members: String, _ path: String) {
        let bytes = Self.vitals(members)
        CodecEquivalenceTests.expectSameOutcome(bytes)
        #expect(Self.codec(bytes) == .failure(.duplicateKey(path)))
    }

    /// An object with many keys (past the tokens on the stack, so scanned on the heap with a
    /// larger key table): a duplicate among them is found, and many distinct keys are accepted.
    @Test func manyKeysAreCheckedForDuplicates() {
        let keys = (0..<200).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(CodecEquivalenceTests.expectSameOutcome(Self.vitals(#""temperatureC":38.5,"# + keys)))
        let duplicated = Self.vitals(#""temperatureC":38.5,"# + keys + #","k150":1"#)
        CodecEquivalenceTests.expectSameOutcome(duplicated)
        #expect(Self.codec(duplicated) == .failure(.duplicateKey("k150")))
    }

    /// An event's tokens are scanned into memory on the stack (``JSONTape/stackTokens``); a
    /// document with more is scanned again on the heap, with the same result.
    @Test func documentsPastTheStackTokensReadAlike() {
        // 11 tokens for the object and its five fields, 3 per unknown member: 41 to 131 tokens,
        // across the 64 on the stack (17 members make 62, 18 make 65).
        for count in 10...40 {
            let members = (0..<count).map { #""n\#($0)":[\#($0)]"# }.joined(separator: ",")
            let bytes = Self.vitals(#""temperatureC":38.5,"# + members)
            #expect(CodecEquivalenceTests.expectSameOutcome(bytes), "\(count) unknown members")
            let duplicated = Self.vitals(#""temperatureC":38.5,"# + members + #","temperatureC":39"#)
            #expect(Self.codec(duplicated) == .failure(.duplicateKey("temperatureC")))
        }
    }

    /// Keys are entered in the key table by a hash of their length and three bytes, then compared
    /// by their bytes: keys that share the hash's bytes are not duplicates, and a duplicate is
    /// found at any position.
    @Test func keysSharingTheirHashedBytesAreDistinct() {
        let keys = ["ab", "aab", "abb", "a.b", "aXb", "axxb", "aXXb", "a..b", "aaab", "abab", "a", "b", ""]
        let members = keys.enumerated().map { #""\#($1)":\#($0)"# }
        #expect(CodecEquivalenceTests.expectSameOutcome(Self.vitals(#""spo2":95,"# + members.joined(separator: ","))))
        for (index, key) in keys.enumerated() {
            let bytes = Self.vitals(#""spo2":95,"# + (members + [#""\#(key)":\#(index)"#]).joined(separator: ","))
            // Refused, naming the key as Foundation's path does (a key that is not a plain name
            // by its digest).
            #expect(!CodecEquivalenceTests.expectSameOutcome(bytes), "\(key) twice")
            guard case .failure(.malformedJSON(let path, _)) = Self.codec(bytes) else {
                Issue.record("\(key) twice: not malformed-json")
                continue
            }
            #expect(path == key || path.hasPrefix("<key of"), "\(key) twice: \(path)")
        }
    }

    /// A nested object's reader finds its coding path on the tape when an error names it: the
    /// key as the document spells it, escaped or not, as Foundation's path names it.
    @Test(
        "errors in a nested object name its path",
        arguments: [#""oxygen":{"device":"bogus"}"#, #""o\u0078ygen":{"device":"bogus"}"#, #""oxygen":{"device":1}"#]
    )
    func nestedErrorsNameTheirPath(_ member: String) {
        let bytes = Self.vitals(#""spo2":95,"note":{"device":2},"# + member)
        #expect(!CodecEquivalenceTests.expectSameOutcome(bytes))
        switch Self.codec(bytes) {
        case .failure(.unknownValue(let path, _, _)), .failure(.wrongType(let path, _, _)):
            #expect(path == "oxygen.device")
        default: Issue.record("\(member): not an error naming oxygen.device")
        }
    }

    @Test func aByteOrderMarkIsSkipped() {
        #expect(CodecEquivalenceTests.expectSameOutcome([0xEF, 0xBB, 0xBF] + Self.vitals(#""temperatureC":38.5"#)))
    }

    /// The one deliberate difference: Foundation detects UTF-16 and UTF-32 documents and reads
    /// them; the contract's JSON is UTF-8 (DESIGN.md §3, "Edges"), which the codec reads only.
    @Test func utf16DocumentsAreNotRead() {
        let text = String(decoding: Self.vitals(#""temperatureC":38.5"#), as: UTF8.self)
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect((try? EventEnvelope.decodeWithFoundation(Data(utf16))) != nil)
        #expect(Self.codec(utf16) == .failure(.malformedJSON(path: "", problem: "not valid UTF-8")))
    }

    @Test(
        "documents that are not an object",
        arguments: ["[1]", "\"s\"", "1", "true", "null", "", " ", "{", "{\"a\":1}x"]
    )
    func notAnObject(_ text: String) {
        #expect(!CodecEquivalenceTests.expectSameOutcome(Array(text.utf8)))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
