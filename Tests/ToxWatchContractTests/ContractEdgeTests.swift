import Foundation
import KafkaClient
import Testing
import ToxWorker
import ToxicityRules

@testable import ToxWatchContract

/// The contract's edges (DESIGN.md §3 "Edges", issue 18 items 3, 4, 5 and 10): identifiers,
/// duplicate keys, malformed inventory records, and errors that never quote the input.
@Suite("Contract edges")
struct ContractEdgeTests {
    static func vitals(eventId: String = "e-1", patientId: String = "P1") -> String {
        let event: [String: Any] = [
            "type": "vitals", "eventId": eventId, "patientId": patientId, "occurredAt": "2026-03-02T06:00:00Z",
            "temperatureC": 38,
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: event), as: UTF8.self)
    }

    /// The error decoding `json` gives (recording an issue when it decodes).
    static func decode(_ json: String) -> EventDecodingError? {
        decodingError { () throws(EventDecodingError) in try decodeEvent(Data(json.utf8)) }
    }

    /// Whether `json` decodes.
    static func decodes(_ json: String) -> Bool {
        (try? decodeEvent(Data(json.utf8))) != nil
    }

    // MARK: Identifiers (18.3)

    @Test("identifiers: 1–128 bytes of UTF-8 without control characters, else invalid-value naming the field")
    func identifiers() throws {
        // Before: a patientId with a NUL was accepted and keyed a patient.
        for bad in [
            "A\u{0}B", "P\u{1B}[31m", "P\u{7F}", "P\u{85}", "\t", "", String(repeating: "x", count: 129),
            String(repeating: "é", count: 65),
        ] {
            let error = Self.decode(Self.vitals(patientId: bad))
            #expect(error?.reason == .invalidValue, "\(bad.debugDescription)")
            #expect(error?.field == "patientId")
            let eventError = Self.decode(Self.vitals(eventId: bad))
            #expect(eventError?.field == "eventId")
        }
        for good in ["P1", String(repeating: "x", count: 128), String(repeating: "é", count: 64), "MRN 00123/45_ü"] {
            #expect(Self.decodes(Self.vitals(patientId: good)), "\(good)")
        }
        let inventory = { (site: String, drug: String) in
            let object: [String: Any] = [
                "type": "inventory", "eventId": "i", "occurredAt": "2026-03-02T06:00:00Z", "site": site, "drug": drug,
                "status": "low",
            ]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        #expect(Self.decode(inventory("cnh\u{0}", "tocilizumab"))?.field == "site")
        #expect(Self.decode(inventory("cnh", String(repeating: "t", count: 200)))?.field == "drug")
        // The encoders refuse what the decoder refuses.
        let event = VitalsEvent(eventId: "e", patientId: "A\u{0}", occurredAt: Date(), temperatureC: 38)
        #expect(
            decodingError { () throws(EventDecodingError) in try encodeEvent(.clinical(.vitals(event))) }?.field
                == "patientId")
    }

    @Test func hl7IdentifiersAfterMapping() throws {
        let obx = "OBX|1|NM|8867-4^HR^LN||90|/min|||||F|||20260302080000+0100"
        func decode(msh10: String, pid3: String) -> Result<AdapterResult, EventDecodingError> {
            let text = "MSH|^~\\&|MON|CNH|TW|CNH|20260302090000+0100||ORU^R01|\(msh10)|P|2.5\rPID|1||\(pid3)\r\(obx)"
            return Result { () throws(EventDecodingError) in try HL7Adapter.decode(message: Array(text.utf8)) }
        }
        // \X00\ unescapes to a NUL; a 200-byte MRN is no identifier.
        #expect(decode(msh10: "X1", pid3: "P\\X00\\1^^^CNH^MR").failure?.field == "PID-3 (segment 2)")
        #expect(
            decode(msh10: "X1", pid3: String(repeating: "9", count: 200) + "^^^CNH^MR").failure?.reason == .invalidValue
        )
        #expect(decode(msh10: "X\\X1B\\1", pid3: "P1^^^CNH^MR").failure?.field == "MSH-10 (segment 1)")
        #expect(decode(msh10: String(repeating: "M", count: 123), pid3: "P1").failure?.field == "MSH-10 (segment 1)")
        #expect(decode(msh10: String(repeating: "M", count: 122), pid3: "P1").failure == nil)
    }

    @Test func fhirIdentifiersAfterMapping() {
        let observation = #"""
            {"resourceType": "Observation", "id": "o1", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
             "subject": {"reference": "Patient/P\u0000"}, "effectiveDateTime": "2026-03-02T06:00:00Z",
             "valueQuantity": {"value": 90, "code": "/min"}}
            """#
        let result = try? FHIRAdapter.decode(Data(observation.utf8))
        #expect(result?.events.isEmpty == true)
        #expect(result?.rejected.first?.reason == .invalidValue)
        #expect(result?.rejected.first?.field == "subject")
    }

    // MARK: Duplicate keys (18.4)

    @Test("a key twice in one object, at any depth, is malformed-json naming the key")
    func duplicateKeys() {
        // Before: {"patientId":"A",…,"patientId":"B"} was patient A here, B for Python's json.
        let base = #""type":"vitals","eventId":"e","occurredAt":"2026-03-02T06:00:00Z","temperatureC":38"#
        let root = Self.decode(#"{"patientId":"A",\#(base),"patientId":"B"}"#)
        #expect(root?.reason == .malformedJSON)
        #expect(root?.field == "patientId")
        // The same key spelled with an escape is the same key.
        #expect(Self.decode(#"{"patientId":"A",\#(base),"patient\u0049d":"B"}"#)?.field == "patientId")
        let nested = Self.decode(
            #"{"patientId":"A",\#(base),"oxygen":{"device":"cpap","fio2":0.4,"device":"room-air"}}"#)
        #expect(nested?.reason == .malformedJSON)
        #expect(nested?.field == "oxygen.device")
        let inArray =
            #"{"patient":{"type":"patient","eventId":"a","patientId":"p","occurredAt":"2026-03-02T06:00:00Z","allergies":[]},"events":[{"x":1},{"y":1,"y":2}]}"#
        let evaluate = decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(Data(inArray.utf8)) }
        #expect(evaluate?.field == "events[1].y")
        // A key that is not a plain name is given by its length and digest.
        let odd = Self.decode(#"{"patientId":"A",\#(base),"\u001b[2J":1,"\u001b[2J":2}"#)
        #expect(odd?.reason == .malformedJSON)
        #expect(odd?.field?.contains("\u{1B}") == false)
        // FHIR too.
        let fhir = #"{"resourceType":"Patient","id":"A","id":"B"}"#
        #expect(
            decodingError { () throws(EventDecodingError) in try FHIRAdapter.decode(Data(fhir.utf8)) }?.field == "id")
        // The same key in different objects, or in strings, is not a duplicate.
        #expect(Self.decodes(#"{"patientId":"A",\#(base),"source":{"system":"patientId","messageType":"x"}}"#))
    }

    @Test func duplicateKeyScanIsOnePassOverLargeInputs() throws {
        // 200,000 distinct keys and 200,000 array elements: one pass, nothing repeated.
        var object = "{"
        for index in 0..<200_000 { object += "\"k\(index)\":[\(index),\"v,\\\"\(index)\"]," }
        object += "\"last\":{\"a\":1,\"a\":2}}"
        let path = decodingError { () throws(EventDecodingError) in try decodeEvent(Data(object.utf8)) }?.field
        #expect(path == "last.a")
    }

    // MARK: Malformed inventory records (18.5)

    @Test("malformed inventory records are dead letters with the reason, not skipped")
    func malformedInventoryRecords() throws {
        let now = try utc("2026-03-02T07:00:00Z")
        func read(_ value: String?, offset: Int64 = 3) -> InventoryRecord {
            InventoryRecord.read(
                KafkaMessage(
                    topic: "pharmacy.inventory.v1", partition: 2, offset: offset, key: Array("cnh/tocilizumab".utf8),
                    value: value.map { Array($0.utf8) }),
                now: now)
        }
        let head =
            #""type":"inventory","eventId":"i","occurredAt":"2026-03-02T06:00:00Z","site":"cnh","drug":"tocilizumab""#
        guard case .invalid(let noStatus) = read("{\(head)}") else {
            Issue.record("accepted")
            return
        }
        #expect(noStatus.reason == .missingField)
        #expect(noStatus.error.field == "status")
        #expect(noStatus.id == "pharmacy.inventory.v1/2/3")
        guard case .invalid(let notJSON) = read("tocilizumab: none left") else {
            Issue.record("accepted")
            return
        }
        #expect(notJSON.reason == .malformedJSON)
        #expect(notJSON.originalValue == Data("tocilizumab: none left".utf8))
        guard case .invalid(let patient) = read(Self.vitals()) else {
            Issue.record("accepted")
            return
        }
        #expect(patient.reason == .wrongTopic)
        guard case .invalid(let units) = read(#"{\#(head),"status":"low","unitsOnHand":"two"}"#) else {
            Issue.record("accepted")
            return
        }
        #expect(units.error.field == "unitsOnHand")
        #expect(read(nil) == .tombstone)
        guard case .event(let event) = read(#"{\#(head),"status":"shortage","unitsOnHand":2}"#) else {
            Issue.record("refused")
            return
        }
        #expect(event.unitsOnHand == 2)
    }

    // MARK: Errors never quote the input (18.10)

    @Test("errors name the field, the reason and the expectation; a value only by length and digest")
    func errorsNeverQuoteTheInput() throws {
        // Before: a wrong-type temperatureC put its text, escapes included, into the error.
        let secret = "\u{1B}]0;owned\u{07}MRN-4242"
        let cases: [String] = [
            #"{"type":"vitals","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z","temperatureC":"\#(secret)"}"#,
            #"{"type":"vitals","eventId":"e","patientId":"P","occurredAt":"\#(secret)","temperatureC":38}"#,
            #"{"type":"vitals","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z","oxygen":{"device":"\#(secret)"}}"#,
            #"{"type":"lab","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z","test":"crp","unit":"\#(secret)","value":1}"#,
            #"{"type":"\#(secret)","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z"}"#,
            #"{"type":"lab","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z","test":"crp","unit":"mg/L","value":1,"loinc":"\#(secret)"}"#,
        ].map {
            $0.replacingOccurrences(of: "\u{1B}", with: "\\u001b").replacingOccurrences(of: "\u{07}", with: "\\u0007")
        }
        for json in cases {
            let error = try #require(Self.decode(json))
            #expect(!error.description.contains("MRN-4242"), "\(error.description)")
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
            #expect(error.description.contains("[value: \(ValueDigest(secret))]"), "\(error.description)")
        }
        // HL7: an unknown unit and an unknown escape are not quoted either.
        let hl7 =
            "MSH|^~\\&|MON|CNH|TW|CNH|20260302090000+0100||ORU^R01|X1|P|2.5\rPID|1||P1^^^CNH^MR\r"
            + "OBX|1|NM|8867-4^HR^LN||90|MRN-4242|||||F|||20260302080000+0100\r"
            + "OBX|2|NM|8867-4^HR^LN||9\\Q-MRN-4242\\0|/min|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(message: Array(hl7.utf8))
        #expect(result.rejected.count == 2)
        #expect(result.rejected.allSatisfy { !$0.description.contains("MRN-4242") })
    }

    @Test func valueDigestIsSHA256() {
        // FIPS 180-4 test vectors, and the length in bytes of UTF-8.
        #expect(ValueDigest("").sha256Prefix == "e3b0c44298fc1c14")
        #expect(ValueDigest("abc").sha256Prefix == "ba7816bf8f01cfea")
        #expect(
            ValueDigest(bytes: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).sha256Prefix
                == "248d6a61d20638b8")
        #expect(ValueDigest(String(repeating: "a", count: 1_000)).sha256Prefix == "41edece42d63e8d9")
        #expect(ValueDigest("é").byteCount == 2)
        #expect(ValueDigest("60").description == "2 bytes, sha256:39fa9ec190eee7b6")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
