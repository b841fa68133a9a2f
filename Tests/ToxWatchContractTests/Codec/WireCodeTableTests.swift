import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

/// The byte reader matches enum codes on their bytes (``WireCodeTable``): for every code of every
/// type and for near misses of each (one byte changed, a prefix, one byte more, another case),
/// the table gives what `init(rawValue:)` gives; in a document, with escapes too, the byte
/// reader gives what the Foundation reader gives.
@Suite("Event codec: enum codes matched on their bytes")
struct WireCodeTableTests {
    /// The code, then texts one edit away from it (printable ASCII without a quote or a
    /// backslash, as a plain string holds).
    static func nearMisses(_ code: String) -> [String] {
        let bytes = Array(code.utf8)
        var texts = [code, code + "a", code + " ", " " + code, code + "-", code.uppercased(), code.capitalized, ""]
        texts += (0..<bytes.count).map { String(decoding: bytes[..<$0], as: UTF8.self) }
        for index in bytes.indices {
            for changed in [bytes[index] ^ 0x20, bytes[index] &+ 1, bytes[index] &- 1] {
                guard (0x20...0x7E).contains(changed), changed != UInt8(ascii: "\""), changed != UInt8(ascii: "\\")
                else { continue }
                var edited = bytes
                edited[index] = changed
                texts.append(String(decoding: edited, as: UTF8.self))
            }
        }
        return texts
    }

    /// Checks the table of `E` against `init(rawValue:)` on every code and its near misses.
    static func expectTableMatchesRawValues<E: WireCode & Equatable>(_ type: E.Type) -> Int {
        var cases = 0
        for code in E.allCases {
            #expect(Self.code(code.rawValue, in: E.self) == code, "\(E.self): \(code.rawValue)")
            for text in nearMisses(code.rawValue) {
                #expect(Self.code(text, in: E.self) == E(rawValue: text), "\(E.self): \(text.debugDescription)")
                cases += 1
            }
        }
        return cases
    }

    static func code<E: WireCode>(_ text: String, in type: E.Type) -> E? {
        Array(text.utf8).withUnsafeBytes { E.wireCodes.code($0) }
    }

    @Test func everyTableMatchesExactlyTheRawValues() {
        var cases = 0
        cases += Self.expectTableMatchesRawValues(EventType.self)
        cases += Self.expectTableMatchesRawValues(ClinicalEventType.self)
        cases += Self.expectTableMatchesRawValues(Sex.self)
        cases += Self.expectTableMatchesRawValues(OxygenDevice.self)
        cases += Self.expectTableMatchesRawValues(Consciousness.self)
        cases += Self.expectTableMatchesRawValues(Seizure.self)
        cases += Self.expectTableMatchesRawValues(MotorWeakness.self)
        cases += Self.expectTableMatchesRawValues(CerebralEdema.self)
        cases += Self.expectTableMatchesRawValues(RaisedICPSign.self)
        cases += Self.expectTableMatchesRawValues(LabTest.self)
        cases += Self.expectTableMatchesRawValues(ClinicalFinding.self)
        cases += Self.expectTableMatchesRawValues(MedicationAction.self)
        cases += Self.expectTableMatchesRawValues(Route.self)
        cases += Self.expectTableMatchesRawValues(StockStatus.self)
        cases += Self.expectTableMatchesRawValues(DeadLetterReason.self)
        // Cases run: every code of the 15 types with its near misses (thousands of texts).
        #expect(cases > 3000)
    }

    /// A set with a code that is not ASCII matches nothing on bytes (its texts are read the
    /// general way, where `\u{212A}` KELVIN SIGN equals `K`); the first of two equal codes wins.
    @Test func tablesWithCodesPastASCIIMatchNothing() {
        let kelvin = WireCodeTable<Int>([(text: "ok", code: 1), (text: "\u{212A}", code: 2)])
        let ascii = WireCodeTable<Int>([(text: "K", code: 1), (text: "K", code: 2), (text: "KK", code: 3)])
        for (text, inKelvin, inASCII) in [("ok", nil, nil), ("K", nil, 1), ("KK", nil, 3), ("k", nil, nil)]
            as [(String, Int?, Int?)]
        {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { kelvin.code($0) } == inKelvin, "\(text)")
            #expect(bytes.withUnsafeBytes { ascii.code($0) } == inASCII, "\(text)")
        }
    }

    // MARK: In documents

    /// Members that make every event type valid (each type reads its own and ignores the rest).
    static let everyTypesFields =
        #""eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","allergies":[],"temperatureC":38,"#
        + #""iceScore":10,"test":"crp","unit":"mg/L","value":5,"finding":"splenomegaly","drug":"x","#
        + #""action":"ordered","site":"s","status":"low""#

    /// The JSON strings of a code and its near misses: the code plain, with its first and its
    /// last byte as a `\u` escape, and each near miss plain.
    static func jsonStrings(_ code: String) -> [(json: String, text: String)] {
        let bytes = Array(code.utf8)
        func escaped(_ index: Int) -> String {
            var json = ""
            for (i, byte) in bytes.enumerated() {
                json += i == index ? String(format: "\\u%04x", byte) : String(UnicodeScalar(byte))
            }
            return "\"" + json + "\""
        }
        return [(escaped(0), code), (escaped(bytes.count - 1), code)]
            + nearMisses(code).map { ("\"" + $0 + "\"", $0) }
    }

    /// Reads every code of `E` and its near misses in `document` through both readers: the same
    /// event or the same error; the code itself, plain or escaped, is read as its case.
    static func expectCodesReadAlike<E: WireCode>(
        _ type: E.Type,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ document: (_ json: String, _ code: E?) -> String
    ) -> Int {
        var cases = 0
        for code in E.allCases {
            for (json, text) in jsonStrings(code.rawValue) {
                let bytes = Array(document(json, E(rawValue: text)).utf8)
                let decodes = CodecEquivalenceTests.expectSameOutcome(bytes, sourceLocation: sourceLocation)
                if text == code.rawValue {
                    #expect(decodes, "\(E.self) \(json) does not decode", sourceLocation: sourceLocation)
                }
                cases += 1
            }
        }
        return cases
    }

    @Test func eventTypesReadAlike() {
        let cases = Self.expectCodesReadAlike(EventType.self) { json, _ in
            #"{"type":"# + json + "," + Self.everyTypesFields + "}"
        }
        #expect(cases > 100)
    }

    @Test func patientAndNeuroCodesReadAlike() {
        let patient =
            #"{"type":"patient","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","allergies":[],"sex":"#
        let neuro = #"{"type":"neuro","eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","#
        var cases = Self.expectCodesReadAlike(Sex.self) { json, _ in patient + json + "}" }
        cases += Self.expectCodesReadAlike(Consciousness.self) { json, _ in neuro + #""consciousness":"# + json + "}" }
        cases += Self.expectCodesReadAlike(Seizure.self) { json, _ in neuro + #""seizure":"# + json + "}" }
        cases += Self.expectCodesReadAlike(MotorWeakness.self) { json, _ in neuro + #""motorWeakness":"# + json + "}" }
        cases += Self.expectCodesReadAlike(CerebralEdema.self) { json, _ in neuro + #""cerebralEdema":"# + json + "}" }
        cases += Self.expectCodesReadAlike(RaisedICPSign.self) { json, _ in
            neuro + #""iceScore":9,"raisedIcpSigns":["posturing","# + json + "]}"
        }
        #expect(cases > 1000)
    }

    @Test func vitalsLabFindingMedicationAndInventoryCodesReadAlike() {
        let head = #""eventId":"e1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z","#
        var cases = Self.expectCodesReadAlike(OxygenDevice.self) { json, _ in
            #"{"type":"vitals","# + head + #""oxygen":{"device":"# + json + #","flowLPerMin":0}}"#
        }
        cases += Self.expectCodesReadAlike(LabTest.self) { json, test in
            #"{"type":"lab","# + head + #""value":1,"unit":""# + (test?.canonicalUnit ?? "mg/L") + #"","test":"# + json
                + "}"
        }
        cases += Self.expectCodesReadAlike(ClinicalFinding.self) { json, _ in
            #"{"type":"finding","# + head + #""finding":"# + json + "}"
        }
        cases += Self.expectCodesReadAlike(MedicationAction.self) { json, _ in
            #"{"type":"medication","# + head + #""drug":"x","route":"IV","action":"# + json + "}"
        }
        cases += Self.expectCodesReadAlike(Route.self) { json, _ in
            #"{"type":"medication","# + head + #""drug":"x","action":"ordered","route":"# + json + "}"
        }
        cases += Self.expectCodesReadAlike(StockStatus.self) { json, _ in
            #"{"type":"inventory","# + head + #""drug":"x","site":"s","status":"# + json + "}"
        }
        #expect(cases > 1500)
    }
}
