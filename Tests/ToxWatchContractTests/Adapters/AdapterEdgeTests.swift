import Foundation
import KafkaClient
import Testing
import ToxicityRules

@testable import ToxWatchContract

/// The HL7 v2 and FHIR adapters at their edges (issue 15 items 13–15, issue 18 items 6 and 8).
@Suite("Adapter edges")
struct AdapterEdgeTests {
    static let msh = "MSH|^~\\&|MON|CNH|TW|CNH|20260302090000+0100||ORU^R01|X1|P|2.5"
    static let t = "|||||F|||20260302080000+0100"

    static func message(_ segments: String...) -> [UInt8] { message(segments) }
    static func message(_ segments: [String]) -> [UInt8] { Array(segments.joined(separator: "\r").utf8) }

    /// PID-3 repeated `count` times, the MR identifier last.
    static func repeatedPID3(_ count: Int) -> [UInt8] {
        let identifiers = (0..<(count - 1)).map { "ID\($0)^^^HOSP^XX" } + ["MRN00123^^^HOSP^MR"]
        return message(msh, "PID|1||" + identifiers.joined(separator: "~"), "OBX|1|NM|8867-4^HR^LN||90|/min" + t)
    }

    // MARK: HL7 bounds and linear decoding (18.6)

    @Test("a message over a bound is malformed-hl7 naming it; the bounds are configurable")
    func hl7Bounds() throws {
        // Before: 16,000 repetitions of PID-3 took 16–18 s (quadratic), and nothing bounded them.
        let big = Self.repeatedPID3(16_000)
        let error = decodingError { () throws(EventDecodingError) in try HL7Adapter.decode(message: big) }
        #expect(error?.reason == .malformedHL7)
        #expect(error?.field == "PID-3 (segment 2)")
        #expect(error?.description.contains("longer than 262144 bytes") == true)
        let repeated = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: Self.repeatedPID3(2_000))
        }
        #expect(repeated?.field == "PID-3 (segment 2)")
        #expect(repeated?.description.contains("more than 1000 repetitions") == true)

        let raised = HL7DecodingOptions(limits: HL7Limits(maxRepetitions: 20_000, maxFieldBytes: 1 << 20))
        let result = try HL7Adapter.decode(message: big, options: raised)
        #expect(result.vitals.first?.patientId == "MRN00123")

        let segments = Self.message(
            [Self.msh, "PID|1||P1^^^CNH^MR"] + (1...11).map { "OBX|\($0)|NM|8867-4^HR^LN||90|/min" + Self.t })
        let tooMany = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: segments, options: HL7DecodingOptions(limits: HL7Limits(maxSegments: 12)))
        }
        #expect(tooMany?.reason == .malformedHL7)
        #expect(tooMany?.description.contains("more than 12 segments") == true)
        let longField = Self.message(Self.msh, "PID|1||P1^^^CNH^MR", "NTE|1||" + String(repeating: "x", count: 300))
        let tooLong = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(
                message: longField, options: HL7DecodingOptions(limits: HL7Limits(maxFieldBytes: 256)))
        }
        #expect(tooLong?.field == "NTE-3 (segment 3)")
    }

    @Test func repetitionsAreSplitOnceAndReadByIndex() throws {
        // Every repetition reads back where it is, the last as fast as the first (no re-split).
        let parsed = try HL7Message(
            parsing: Self.repeatedPID3(5_000), limits: HL7Limits(maxRepetitions: 10_000, maxFieldBytes: 1 << 20))
        let pid = parsed.segments[1]
        #expect(pid.repetitionCount(3) == 5_000)
        #expect(try pid.text(3, component: 1, repetition: 1) == "ID0")
        #expect(try pid.text(3, component: 5, repetition: 5_000) == "MR")
        #expect(try pid.components(3, repetition: 4_999) == ["ID4998", nil, nil, "HOSP", "XX"])
    }

    // MARK: Empty input (18.8)

    @Test("an empty or blank input is 'the input is empty' whatever the format", arguments: InputFormat.allCases)
    func emptyInput(_ format: InputFormat) {
        // Before: `--from hl7` of an empty file decoded to nothing, silently, exit 0.
        for bytes in [[], Array(" \r\n\t\n".utf8), [0xEF, 0xBB, 0xBF, 0x0A]] as [[UInt8]] {
            #expect(throws: InputError.empty) { try InputDecoder.decode(bytes, format: format) }
        }
    }

    // MARK: O2 flow without a device (15.13)

    @Test("an O2 flow without a device is graded by the flow, flagged oxygen-device-unknown")
    func oxygenFlowWithoutDeviceIsGraded() throws {
        let patient = PatientEvent(
            eventId: "adm", patientId: "P1", occurredAt: try utc("2026-03-01T06:00:00Z"), ageYears: 9, weightKg: 28,
            allergies: [],
            infusion: Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: try utc("2026-02-27T06:00:00Z")))
        for (flow, grade) in [("6", 2), ("6.5", 3), ("12", 3), ("1", 2)] {
            let result = try HL7Adapter.decode(
                message: Self.message(
                    Self.msh, "PID|1||P1^^^CNH^MR", "OBX|1|NM|8310-5^Temp^LN||39|Cel" + Self.t,
                    "OBX|2|NM|3151-8^O2 flow^LN||\(flow)|L/min" + Self.t))
            #expect(result.rejected.isEmpty)
            let vitals = try #require(result.vitals.first)
            #expect(vitals.oxygen?.device == .unknown)
            let grades = ToxicityEngine().grade(
                ToxicityEngine().timeline([.patient(patient), .vitals(vitals)]), at: try utc("2026-03-02T08:00:00Z"))
            #expect(grades.crs.grade == grade, "flow \(flow)")
            #expect(grades.crs.flags.contains(.oxygenDeviceUnknown), "flow \(flow)")
            #expect(grades.crs.flags.names.contains("oxygen-device-unknown"))
        }
        // The contract: `unknown` carries its flow.
        let noFlow =
            #"{"type":"vitals","eventId":"e","patientId":"P","occurredAt":"2026-03-02T06:00:00Z","oxygen":{"device":"unknown"}}"#
        let error = decodingError { () throws(EventDecodingError) in try decodeEvent(Data(noFlow.utf8)) }
        #expect(error?.field == "oxygen.flowLPerMin")
    }

    // MARK: Numbers (15.14)

    @Test("a repeated numeric OBX-5 is rejected naming the field")
    func repeatedNumericValue() throws {
        // Before: 120~130 silently became 120.
        let result = try HL7Adapter.decode(
            message: Self.message(Self.msh, "PID|1||P1^^^CNH^MR", "OBX|1|NM|8480-6^SBP^LN||120~130|mm[Hg]" + Self.t))
        #expect(result.vitals.isEmpty)
        #expect(result.rejected.map(\.field) == ["OBX-5 (segment 3)"])
        #expect(result.rejected.first?.description.contains("2 repetitions") == true)
    }

    @Test("conversions are rounded to the field's precision")
    func conversionsAreRounded() throws {
        // Before: 55 lb became 24.947580350000003 kg.
        let result = try HL7Adapter.decode(
            message: Self.message(
                Self.msh, "PID|1||P1^^^CNH^MR", "OBX|1|NM|29463-7^Weight^LN||55|[lb_av]" + Self.t,
                "OBX|2|NM|8302-2^Height^LN||50.5|[in_i]" + Self.t, "OBX|3|NM|1975-2^Bili^LN||20|umol/L" + Self.t))
        #expect(result.patients.first?.weightKg == 24.95)
        #expect(result.patients.first?.heightCm == 128.3)
        #expect(result.labs.first?.value == 1.17)
        let json = String(decoding: try #require(result.events.first).encoded(), as: UTF8.self)
        #expect(json.contains(#""weightKg":24.95"#), "\(json)")
        // A value already in the field's unit is kept exactly.
        #expect(UnitConversion.identity.apply(24.947580350000003, decimals: 2) == 24.947580350000003)
    }

    @Test("Kafka timestamps format from integer milliseconds")
    func kafkaTimestamps() {
        // Before: a dead letter's source.timestamp read …44.6489999Z.
        for (milliseconds, text) in [
            (Int64(1_772_431_844_649), "2026-03-02T06:10:44.649Z"), (1_772_431_844_000, "2026-03-02T06:10:44Z"),
            (1_772_431_844_001, "2026-03-02T06:10:44.001Z"), (1_772_431_844_999, "2026-03-02T06:10:44.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ] {
            let date = KafkaTimestamp(kind: .createTime, millisecondsSinceEpoch: milliseconds).date
            #expect(ISO8601Timestamp.format(date) == text)
        }
    }

    // MARK: FHIR (15.15)

    @Test("a MedicationRequest subject that is not a FHIR id falls back to subject.identifier")
    func medicationRequestSubjectFallback() throws {
        #expect(AnakinraFHIR.patientReference("MRN00123") == FHIRReference(reference: "Patient/MRN00123"))
        let fallback = AnakinraFHIR.patientReference("MRN 00123/45_ü")
        #expect(fallback.reference == nil)
        #expect(fallback.type == "Patient")
        #expect(fallback.identifier == FHIRIdentifier(system: FHIRSystems.patientIdentifier, value: "MRN 00123/45_ü"))
        #expect(AnakinraFHIR.patientReference(String(repeating: "a", count: 65)).reference == nil)
    }

    @Test("NDJSON ($export): lines gathered into one bundle per patient, references across lines")
    func ndjsonBulkExport() throws {
        // Before: each line was its own document, so a MedicationAdministration whose Medication is
        // on another line was rejected, and a Patient's allergies on another line were lost.
        let lines = [
            #"{"resourceType":"Patient","id":"P1","birthDate":"2015-06-30","gender":"female","meta":{"lastUpdated":"2026-03-02T05:00:00Z"}}"#,
            #"{"resourceType":"Medication","id":"toci","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"612865"}],"text":"tocilizumab"}}"#,
            #"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"subject":{"reference":"Patient/P2"},"effectiveDateTime":"2026-03-02T06:00:00Z","valueQuantity":{"value":39,"code":"Cel"}}"#,
            #"{"resourceType":"MedicationAdministration","id":"ma1","status":"completed","medicationReference":{"reference":"Medication/toci"},"subject":{"reference":"Patient/P1"},"effectiveDateTime":"2026-03-02T07:00:00Z","dosage":{"dose":{"value":224,"unit":"mg"}}}"#,
            #"{"resourceType":"AllergyIntolerance","id":"al1","code":{"text":"E. coli derived protein"},"patient":{"reference":"Patient/P1"}}"#,
            #"{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/P2"},"effectiveDateTime":"2026-03-02T06:00:00Z","valueQuantity":{"value":120,"code":"/min"}}"#,
            "not json",
        ]
        let report = try InputDecoder.decode(Array(lines.joined(separator: "\n").utf8), format: .fhir)
        #expect(report.units == 7)
        #expect(report.failed.map(\.unit) == [7])
        #expect(report.rejected.isEmpty, "\(report.rejected)")
        let events = report.events.map(\.event)
        let patients = events.compactMap { if case .clinical(.patient(let p)) = $0 { p } else { nil } }
        #expect(patients.map(\.patientId) == ["P1"])
        #expect(patients.first?.allergies == ["e-coli-derived-protein"])
        let medications = events.compactMap { if case .clinical(.medication(let m)) = $0 { m } else { nil } }
        #expect(medications.map(\.drug) == [.tocilizumab])
        #expect(medications.first?.patientId == "P1")
        let vitals = events.compactMap { if case .clinical(.vitals(let v)) = $0 { v } else { nil } }
        #expect(vitals.count == 1)
        #expect(vitals.first?.temperatureC == 39)
        #expect(vitals.first?.heartRate == 120)
    }
}
