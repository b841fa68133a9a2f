import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

@Suite("HL7 v2 mappings")
struct HL7MappingTests {
    func decode(_ fixture: String, options: HL7DecodingOptions = .init()) throws -> AdapterResult {
        let (messages, _) = HL7Framing.split(try Fixtures.bytes("hl7/" + fixture))
        try #require(messages.count == 1)
        return try HL7Adapter.decode(message: messages[0], options: options)
    }

    /// The issue's done-criterion: an ORU^R01 with temperature in °F, blood pressure, SpO2 and
    /// O2 flow becomes correct `vitals` events.
    @Test func oruVitalsWithFahrenheitBloodPressureSpO2AndOxygen() throws {
        let result = try decode("oru-r01-vitals-epic.hl7")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(result.skipped.isEmpty, "\(result.skipped)")
        #expect(result.events.count == 2)
        let source = EventSource(system: "EPIC", messageType: "ORU^R01")
        #expect(result.events.allSatisfy { $0.source == source })
        #expect(
            result.vitals == [
                VitalsEvent(
                    eventId: "MSG00017#1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T11:00:00Z"),
                    temperatureC: 38.0,
                    systolicBP: 92,
                    diastolicBP: 54,
                    heartRate: 128,
                    respiratoryRate: 30,
                    spo2: 94,
                    oxygen: OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: 2)
                ),
                VitalsEvent(
                    eventId: "MSG00017#2",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T12:00:00Z"),
                    temperatureC: 37.94,
                    systolicBP: 88,
                    diastolicBP: 50,
                    spo2: 92,
                    oxygen: OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: 4)
                ),
            ]
        )
        // The fever threshold comparison the engine makes.
        #expect((result.vitals.first?.temperatureC ?? 0) >= 38.0)
        #expect((result.vitals.last?.temperatureC ?? 99) < 38.0)
    }

    @Test func mllpCustomDelimitersObr7TimesAndBloodPressurePanel() throws {
        let result = try decode("oru-r01-vitals-mllp-custom-delimiters.hl7")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.vitals == [
                VitalsEvent(
                    eventId: "C-99812#1",
                    patientId: "MRN00777",
                    occurredAt: try utc("2026-03-02T07:00:00Z"),
                    temperatureC: 38.2,
                    systolicBP: 118,
                    diastolicBP: 76,
                    spo2: 97,
                    oxygen: OxygenSupport(device: .roomAir)
                ),
                VitalsEvent(
                    eventId: "C-99812#2",
                    patientId: "MRN00777",
                    occurredAt: try utc("2026-03-02T09:00:00Z"),
                    temperatureC: 38.9,
                    heartRate: 141
                ),
            ]
        )
        #expect(result.events.first?.source == EventSource(system: "CERNER", messageType: "ORU^R01"))
    }

    @Test func labsWithConversionsReferenceRangesAndStatuses() throws {
        let result = try decode("oru-r01-labs.hl7")
        let at = try utc("2026-03-06T20:00:00Z")
        func lab(_ n: Int, _ test: LabTest, _ loinc: String, _ value: Double, _ uln: Double?) -> LabEvent {
            LabEvent(
                eventId: "LAB7781#\(n)",
                patientId: "MRN00456",
                occurredAt: at,
                test: test,
                loinc: loinc,
                value: value,
                upperLimitOfNormal: uln
            )
        }
        let labs = result.labs
        try #require(labs.count == 8)
        #expect(labs[0] == lab(1, .ferritin, "2276-4", 38000, 400))
        #expect(labs[1] == lab(2, .fibrinogen, "3255-7", 95, 400))
        #expect(labs[2] == lab(3, .crp, "1988-5", 45, 5))
        #expect(labs[3] == lab(4, .platelets, "777-3", 80, 400))
        #expect(labs[4].test == .bilirubin)
        #expect(abs(labs[4].value - 2.0) < 1e-12)
        // Converted values keep 0.001 of the unit: 20.5 µmol/L / 17.1 = 1.19883… → 1.199 mg/dL.
        #expect(labs[4].upperLimitOfNormal == 1.199)
        #expect(labs[5].test == .creatinine)
        #expect(abs(labs[5].value - 1.0) < 1e-12)
        #expect(labs[6] == lab(7, .alt, "1742-6", 320, 40))
        #expect(labs[7].test == .triglycerides)
        #expect(abs(labs[7].value - 283.424) < 1e-9)
        // Preliminary IL-6, unmapped cholesterol, the Z-segment: skipped and counted.
        #expect(
            result.skipped.contains { $0.location == "OBX-11 (segment 12)" && $0.reason.contains("P is not final") }
        )
        #expect(result.skipped.contains { $0.location == "OBX-3 (segment 13)" && $0.reason.contains("2093-3") })
        #expect(result.skipped.contains { $0.location == "ZLA (segment 18)" })
        // AST in µkat/L: unknown unit, rejected alone; CRP ">300": a bound, rejected alone.
        #expect(result.rejected.map(\.reason) == [.unknownUnit, .invalidValue])
        #expect(result.rejected.first?.field == "OBX-6 (segment 15)")
        // The unit is named by its length and digest, never quoted.
        #expect(result.rejected.first?.description.contains("ukat") == false)
        #expect(result.rejected.first?.description.contains("[value: 6 bytes, sha256:") == true)
        #expect(result.rejected.last?.field == "OBX-5 (segment 16)")
    }

    @Test func neuroAssessmentWithLocalCodes() throws {
        let result = try decode("oru-r01-neuro.hl7")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.neuro == [
                NeuroEvent(
                    eventId: "NEU0042",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T23:00:00Z"),
                    iceScore: 6,
                    consciousness: .awakensToVoice,
                    seizure: Seizure.none,
                    motorWeakness: MotorWeakness.none,
                    cerebralEdema: .focal,
                    raisedIcpSigns: [.papilledema, .cnVIPalsy],
                    sedated: false
                )
            ]
        )
    }

    @Test func admissionWithPoundsAllergiesAndSite() throws {
        let result = try decode("adt-a01.hl7")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        let patient = try #require(result.patients.first)
        #expect(result.events.count == 1)
        #expect(patient.eventId == "ADT0001")
        #expect(patient.patientId == "MRN00123")  // the MR repetition of PID-3, not the SSN
        #expect(patient.occurredAt == (try utc("2026-03-02T11:00:00Z")))
        #expect(patient.birthDate == (try utc("2015-06-30T00:00:00Z")))
        #expect(patient.sex == .female)
        #expect(patient.weightKg == 32.39)  // 71.4 lb, rounded to 0.01 kg
        #expect(patient.heightCm == 139)
        #expect(patient.allergies == ["e-coli-derived-protein", "anakinra"])
        #expect(patient.site == "CNH")
        #expect(result.skipped.contains { $0.location == "OBX-3 (segment 7)" })
        #expect(result.skipped.contains { $0.location == "AL1-3 (segment 9)" })
    }

    @Test func updateWithOlderWeightInOuncesBecomesItsOwnEvent() throws {
        let result = try decode("adt-a08.hl7")
        #expect(result.rejected.isEmpty)
        #expect(
            result.patients == [
                PatientEvent(
                    eventId: "ADT0002#1",
                    patientId: "MRN00999",
                    occurredAt: try utc("2026-03-10T09:00:00Z"),
                    birthDate: try utc("2026-01-01T00:00:00Z"),
                    sex: .male
                ),
                PatientEvent(
                    eventId: "ADT0002#2",
                    patientId: "MRN00999",
                    occurredAt: try utc("2026-03-08T12:00:00Z"),
                    weightKg: 3.18  // 112 oz = 3.175146… kg, rounded to 0.01 kg
                ),
            ]
        )
    }

    @Test func administrationsWithRoutesInfusionsAndRefusals() throws {
        let result = try decode("ras-o17.hl7")
        #expect(
            result.medications == [
                MedicationEvent(
                    eventId: "RAS0001#1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T12:00:00Z"),
                    drug: .tocilizumab,
                    rxnorm: "612865",
                    action: .administered,
                    doseMg: 256,
                    route: .iv
                ),
                MedicationEvent(
                    eventId: "RAS0001#2",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T23:00:00Z"),
                    drug: .norepinephrine,
                    rxnorm: "7512",
                    action: .infusionStarted,
                    doseMg: 4,
                    route: .iv,
                    rate: 0.05
                ),
                MedicationEvent(
                    eventId: "RAS0001#3",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T03:00:00Z"),
                    drug: .norepinephrine,
                    rxnorm: "7512",
                    action: .infusionStopped,
                    route: .iv
                ),
            ]
        )
        #expect(result.rejected.count == 1)
        #expect(result.rejected.first?.reason == .unknownUnit)
        #expect(result.rejected.first?.field == "RXA-7 (segment 10)")
        #expect(result.skipped.contains { $0.location == "RXA-20 (segment 13)" && $0.reason.contains("RE") })
    }

    @Test func pharmacyOrdersAndDiscontinuations() throws {
        let result = try decode("rde-o11.hl7")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.medications == [
                MedicationEvent(
                    eventId: "RDE0001#1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T23:55:00Z"),
                    drug: .anakinra,
                    rxnorm: "72435",
                    action: .ordered,
                    doseMg: 100,
                    route: .sc
                ),
                MedicationEvent(
                    eventId: "RDE0001#2",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T23:56:00Z"),
                    drug: .dexamethasone,
                    rxnorm: "3264",
                    action: .discontinued,
                    doseMg: 10,
                    route: .iv
                ),
            ]
        )
    }

    @Test func batchFileMessagesEachMap() throws {
        let (messages, _) = HL7Framing.split(try Fixtures.bytes("hl7/batch-two-messages.hl7"))
        let results = try messages.map { try HL7Adapter.decode(message: $0) }
        #expect(results.map(\.events.count) == [1, 1])
        #expect(results[0].vitals.first?.heartRate == 110)
        #expect(results[0].vitals.first?.temperatureC == 37.4)
        #expect(results[1].patients.first?.birthDate == (try utc("2015-06-30T00:00:00Z")))
    }

    // MARK: Single-message cases

    func message(_ segments: String...) -> [UInt8] { Array(segments.joined(separator: "\r").utf8) }

    let msh = "MSH|^~\\&|MON|CNH|TW|CNH|20260302090000+0100||ORU^R01|X1|P|2.5"
    let pid = "PID|1||P1^^^CNH^MR"

    @Test func unsupportedMessageTypeIsSkippedNotFatal() throws {
        let result = try HL7Adapter.decode(
            message: message("MSH|^~\\&|A|B|||20260302||ORM^O01|O1|P|2.5", pid, "ORC|NW|1")
        )
        #expect(result.events.isEmpty)
        #expect(result.skipped.map(\.reason) == ["message type ORM^O01 is not mapped"])
    }

    @Test func missingIdentifiersAreErrors() {
        let noControlID = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: message("MSH|^~\\&|A|B|||20260302||ORU^R01||P|2.5", pid))
        }
        #expect(noControlID == .missingField(path: "MSH-10 (segment 1)"))
        let noPID = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: message(msh, "OBR|1"))
        }
        #expect(noPID?.reason == .missingField)
        let emptyPID3 = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: message(msh, "PID|1||"))
        }
        #expect(emptyPID3 == .missingField(path: "PID-3 (segment 2)"))
        let blankPID3 = decodingError { () throws(EventDecodingError) in
            try HL7Adapter.decode(message: message(msh, "PID|1||  ^^^H^MR"))
        }
        #expect(blankPID3 == .missingField(path: "PID-3 (segment 2)"))
    }

    @Test func timeFallsBackToObr7ThenIsAnError() throws {
        let withOBR = try HL7Adapter.decode(
            message: message(msh, pid, "OBR|1||||||20260302081500+0100", "OBX|1|NM|8867-4^HR^LN||90|/min|||||F")
        )
        #expect(withOBR.vitals.first?.occurredAt == (try utc("2026-03-02T07:15:00Z")))
        let without = try HL7Adapter.decode(message: message(msh, pid, "OBR|1", "OBX|1|NM|8867-4^HR^LN||90|/min|||||F"))
        #expect(without.events.isEmpty)
        #expect(without.rejected.first?.reason == .missingField)
        #expect(without.rejected.first?.field == "OBX-14 (segment 4) (and OBR-7)")
    }

    @Test func timestampWithoutOffsetUsesMSH7OffsetThenDefaultThenFails() throws {
        let obx = "OBX|1|NM|8867-4^HR^LN||90|/min|||||F|||202603020800"
        let fromMSH = try HL7Adapter.decode(message: message(msh, pid, obx))
        #expect(fromMSH.vitals.first?.occurredAt == (try utc("2026-03-02T07:00:00Z")))
        let bareMSH = "MSH|^~\\&|MON|CNH|TW|CNH|202603020900||ORU^R01|X1|P|2.5"
        let failing = try HL7Adapter.decode(message: message(bareMSH, pid, obx))
        #expect(failing.rejected.first?.reason == .invalidTimestamp)
        #expect(failing.rejected.first?.description.contains("no UTC offset") == true)
        let configured = try HL7Adapter.decode(
            message: message(bareMSH, pid, obx),
            options: .init(defaultUTCOffsetSeconds: -5 * 3600)
        )
        #expect(configured.vitals.first?.occurredAt == (try utc("2026-03-02T13:00:00Z")))
    }

    struct StatusCase: Sendable, CustomTestStringConvertible {
        var status: String
        var used: Bool
        var testDescription: String { status.isEmpty ? "(empty)" : status }
    }

    @Test(
        "OBX-11: F, C, U and empty are used; P, R, S, I, X, D, W are skipped",
        arguments: [
            StatusCase(status: "F", used: true), StatusCase(status: "C", used: true),
            StatusCase(status: "U", used: true),
            StatusCase(status: "", used: true), StatusCase(status: "P", used: false),
            StatusCase(status: "R", used: false),
            StatusCase(status: "S", used: false), StatusCase(status: "I", used: false),
            StatusCase(status: "X", used: false),
            StatusCase(status: "D", used: false), StatusCase(status: "W", used: false),
        ]
    )
    func resultStatus(_ c: StatusCase) throws {
        let result = try HL7Adapter.decode(
            message: message(msh, pid, "OBX|1|NM|8867-4^HR^LN||90|/min|||||\(c.status)|||20260302080000+0100")
        )
        #expect(result.events.count == (c.used ? 1 : 0))
        #expect(result.skipped.count == (c.used ? 0 : 1))
    }

    /// Issue 15.13: real feeds chart an O2 flow without the device; it is supplemental oxygen of
    /// unknown device, the flow kept (it was rejected).
    @Test func oxygenFlowWithoutDeviceIsSupplementalOxygenOfUnknownDevice() throws {
        let t = "|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(
            message: message(msh, pid, "OBX|1|NM|8867-4^HR^LN||90|/min" + t, "OBX|2|NM|3151-8^O2 flow^LN||6|L/min" + t)
        )
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(result.vitals.map(\.heartRate) == [90])
        #expect(result.vitals.first?.oxygen == OxygenSupport(device: .unknown, flowLPerMin: 6))
        let json = String(decoding: try #require(result.events.first).encoded(), as: UTF8.self)
        #expect(json.contains(#""oxygen":{"device":"unknown","flowLPerMin":6}"#))
    }

    @Test func fio2WithoutDeviceOrFlowIsRejectedButTheRestOfTheVitalsKept() throws {
        let t = "|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(
            message: message(msh, pid, "OBX|1|NM|8867-4^HR^LN||90|/min" + t, "OBX|2|NM|3150-0^FiO2^LN||40|%" + t)
        )
        #expect(result.vitals.map(\.heartRate) == [90])
        #expect(result.vitals.first?.oxygen == nil)
        #expect(result.rejected.first?.field == "OBX-5 (segment 4)")
    }

    @Test func conflictingValuesAtTheSameTimeRejectTheLaterObservation() throws {
        let t = "|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(
            message: message(
                msh,
                pid,
                "OBX|1|NM|8867-4^HR^LN||90|/min" + t,
                "OBX|2|NM|8867-4^HR^LN||95|/min" + t,
                "OBX|3|NM|8867-4^HR^LN||90|/min" + t
            )
        )
        #expect(result.vitals.map(\.heartRate) == [90])
        #expect(result.rejected.map(\.field) == ["OBX-5 (segment 4)"])
    }

    @Test func impossibleValuesNameFieldValueAndRange() throws {
        let t = "|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(message: message(msh, pid, "OBX|1|NM|8310-5^Temp^LN||140|[degF]" + t))
        #expect(
            result.rejected.map(\.description) == [
                "OBX-5 (segment 3): out of range: expected 25–45 °C [value: 2 bytes, sha256:39fa9ec190eee7b6]"
            ])
    }

    @Test func fio2PercentBecomesAFractionAndDeviceSynonymsAreRead() throws {
        let t = "|||||F|||20260302080000+0100"
        let result = try HL7Adapter.decode(
            message: message(
                msh,
                pid,
                "OBX|1|ST|o2-device^Device^99TXW||HFNC|" + t,
                "OBX|2|NM|3151-8^Flow^LN||8000|mL/min" + t,
                "OBX|3|NM|3150-0^FiO2^LN||40|%" + t
            )
        )
        #expect(result.vitals.first?.oxygen == OxygenSupport(device: .highFlowNasalCannula, flowLPerMin: 8, fio2: 0.4))
    }

    @Test func unknownDeviceIsRejected() throws {
        let result = try HL7Adapter.decode(
            message: message(msh, pid, "OBX|1|ST|o2-device^Device^99TXW||nasal prongs||||||F|||20260302080000+0100")
        )
        #expect(result.rejected.first?.reason == .unknownValue)
        #expect(result.events.isEmpty)
    }

    @Test func localCodesNeedTheLocalCodingSystem() throws {
        let result = try HL7Adapter.decode(
            message: message(msh, pid, "OBX|1|NM|ice-score^ICE^L||6||||||F|||20260302080000+0100")
        )
        #expect(result.events.isEmpty)
        #expect(result.skipped.count == 1)
    }

    @Test func alternateCodingInOBX3IsUsed() throws {
        let result = try HL7Adapter.decode(
            message: message(
                msh,
                pid,
                "OBX|1|NM|T1^Temp^LOCALSYS^8310-5^Body temperature^LN||38.4|Cel|||||F|||20260302080000+0100"
            )
        )
        #expect(result.vitals.first?.temperatureC == 38.4)
    }

    @Test func drugNamedOnlyByTextAndGramDoses() throws {
        let result = try HL7Adapter.decode(
            message: message(
                "MSH|^~\\&|MAR|CNH|TW|CNH|20260302090000+0100||RAS^O17|R9|P|2.5",
                pid,
                "RXA|0|1|20260302080000+0100||^Solu-Medrol 1 g IV|1|g",
                "RXR|IVPB"
            )
        )
        #expect(
            result.medications == [
                MedicationEvent(
                    eventId: "R9",
                    patientId: "P1",
                    occurredAt: try utc("2026-03-02T07:00:00Z"),
                    drug: .methylprednisolone,
                    action: .administered,
                    doseMg: 1000,
                    route: .iv
                )
            ]
        )
    }

    @Test func rxnormCodeAndTextThatDisagreeAreRejected() throws {
        let result = try HL7Adapter.decode(
            message: message(
                "MSH|^~\\&|MAR|CNH|TW|CNH|20260302090000+0100||RAS^O17|R9|P|2.5",
                pid,
                "RXA|0|1|20260302080000+0100||612865^anakinra^RXNORM|100|mg"
            )
        )
        #expect(result.events.isEmpty)
        #expect(result.rejected.first?.field == "RXA-5 (segment 3)")
    }
}
