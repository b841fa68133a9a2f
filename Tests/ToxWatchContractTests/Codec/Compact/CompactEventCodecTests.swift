import Foundation
import Testing
import ToxTestSupport
import ToxicityRules

@testable import ToxWatchContract

/// The compact event form (``CompactEventCodec``): exact round trips, headers read alone, stable code
/// tables, and bytes no encoder writes rejected without trapping.
@Suite("Compact event codec")
struct CompactEventCodecTests {
    @Test("random events of every kind, every optional present or absent, decode == to the original")
    func roundTrip() throws {
        var rng = SplitMix64(state: 0xC0DE_C0AE)
        for seed in 0..<4000 {
            let event = rng.clinicalEvent(patientId: "P1")
            let bytes = CompactEventCodec.encode(event, coursePatientId: "P1")
            #expect(try CompactEventCodec.decode(bytes, coursePatientId: "P1") == event, "event \(seed)")
            #expect(CompactEventCodec.occurredAt(in: bytes, at: 0) == event.occurredAt)
            #expect(CompactEventCodec.kind(in: bytes, at: 0) == CompactEventCodec.kind(of: event))
            let idRange = try #require(CompactEventCodec.eventIdRange(in: bytes, at: 0))
            #expect(bytes[idRange].elementsEqual(event.eventId.utf8))
        }
    }

    @Test("the course's own patient id is left out of the record; another patient's is kept")
    func patientIdOmitted() throws {
        let event = ClinicalEvent.finding(
            FindingEvent(
                eventId: "e", patientId: "PATIENT-123", occurredAt: Date(timeIntervalSince1970: 0), finding: .dialysis))
        let own = CompactEventCodec.encode(event, coursePatientId: "PATIENT-123")
        let other = CompactEventCodec.encode(event, coursePatientId: "P")
        #expect(other.count == own.count + 1 + "PATIENT-123".utf8.count)
        #expect(try CompactEventCodec.decode(own, coursePatientId: "PATIENT-123") == event)
        #expect(try CompactEventCodec.decode(other, coursePatientId: "P") == event)
    }

    @Test("every code table holds each value of its enum exactly once")
    func codeTablesAreComplete() {
        func check<Value: CaseIterable & Hashable & Sendable>(_ table: CompactCodeTable<Value>) {
            #expect(Set(table.values) == Set(Value.allCases), "\(Value.self)")
            #expect(table.values.count == Value.allCases.count, "\(Value.self)")
        }
        check(CompactCodes.sex)
        check(CompactCodes.oxygenDevice)
        check(CompactCodes.consciousness)
        check(CompactCodes.seizure)
        check(CompactCodes.motorWeakness)
        check(CompactCodes.cerebralEdema)
        check(CompactCodes.raisedICPSign)
        check(CompactCodes.labTest)
        check(CompactCodes.clinicalFinding)
        check(CompactCodes.medicationAction)
        check(CompactCodes.route)
        #expect(Set(CompactCodes.drug.values) == Set(Drug.known))
        #expect(CompactCodes.drug.values.count == Drug.known.count)
    }

    @Test("codes are stable: a value's code never changes once written")
    func pinnedCodes() {
        #expect(CompactCodes.oxygenDevice.code(of: .roomAir) == 1)
        #expect(CompactCodes.oxygenDevice.code(of: .unknown) == 11)
        #expect(CompactCodes.labTest.code(of: .inr) == 16)
        #expect(CompactCodes.drug.code(of: .anakinra) == 3)
        #expect(CompactCodes.drug.code(of: .fibrinogenConcentrate) == 29)
        #expect(CompactCodes.clinicalFinding.code(of: .activeInfection) == 9)
        #expect(CompactEventKind.medication.rawValue == 6)
    }

    /// The fields of each event struct the codec writes, in order. A field added to a struct fails
    /// this test until the codec writes and reads it (and the field is added here).
    static let codedFields: [String: [String]] = [
        "PatientEvent": [
            "eventId", "patientId", "occurredAt", "birthDate", "ageYears", "sex", "weightKg", "heightCm", "allergies",
            "infusion", "protocolId", "site", "baselineFerritin",
        ],
        "Infusion": ["product", "target", "infusedAt"],
        "VitalsEvent": [
            "eventId", "patientId", "occurredAt", "temperatureC", "systolicBP", "diastolicBP", "meanArterialPressure",
            "heartRate", "respiratoryRate", "spo2", "oxygen",
        ],
        "OxygenSupport": ["device", "flowLPerMin", "fio2"],
        "NeuroEvent": [
            "eventId", "patientId", "occurredAt", "iceScore", "capdScore", "consciousness", "seizure", "motorWeakness",
            "cerebralEdema", "raisedIcpSigns", "sedated",
        ],
        "LabEvent": ["eventId", "patientId", "occurredAt", "test", "loinc", "value", "upperLimitOfNormal"],
        "FindingEvent": ["eventId", "patientId", "occurredAt", "finding", "present"],
        "MedicationEvent": [
            "eventId", "patientId", "occurredAt", "drug", "rxnorm", "action", "doseMg", "route", "rate",
        ],
    ]

    @Test("the codec knows every field of every event struct")
    func fieldsAreKnown() {
        let at = Date(timeIntervalSince1970: 0)
        let samples: [Any] = [
            PatientEvent(eventId: "", patientId: "", occurredAt: at),
            Infusion(product: "", target: "", infusedAt: at),
            VitalsEvent(eventId: "", patientId: "", occurredAt: at),
            OxygenSupport(device: .roomAir),
            NeuroEvent(eventId: "", patientId: "", occurredAt: at),
            LabEvent(eventId: "", patientId: "", occurredAt: at, test: .crp, value: 0),
            FindingEvent(eventId: "", patientId: "", occurredAt: at, finding: .dialysis),
            MedicationEvent(eventId: "", patientId: "", occurredAt: at, drug: .anakinra, action: .ordered),
        ]
        #expect(samples.count == Self.codedFields.count)
        for sample in samples {
            let name = "\(type(of: sample))"
            #expect(Mirror(reflecting: sample).children.map { $0.label ?? "" } == Self.codedFields[name], "\(name)")
        }
    }

    @Test("every truncation of a record is rejected")
    func truncated() {
        var rng = SplitMix64(state: 0x7A0C)
        for _ in 0..<300 {
            let bytes = CompactEventCodec.encode(rng.clinicalEvent(patientId: "P1"), coursePatientId: "P1")
            for length in 0..<bytes.count {
                #expect(throws: CompactDecodingError.self) {
                    try CompactEventCodec.decode(Array(bytes.prefix(length)), coursePatientId: "P1")
                }
            }
            #expect(throws: CompactDecodingError.self) {
                try CompactEventCodec.decode(bytes + [0], coursePatientId: "P1")
            }
        }
    }

    @Test("corrupted bytes are rejected or decode to some event, never trap")
    func corrupted() {
        var rng = SplitMix64(state: 0xBAD)
        var rejected = 0
        for _ in 0..<300 {
            var bytes = CompactEventCodec.encode(rng.clinicalEvent(patientId: "P1"), coursePatientId: "P1")
            for _ in 0..<Int(1 + rng.next() % 3) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if (try? CompactEventCodec.decode(bytes, coursePatientId: "P1")) == nil { rejected += 1 }
        }
        #expect(rejected > 0)
    }

    @Test("unknown kinds, flags, presence bits and codes, and invalid UTF-8 are rejected")
    func unknownBytes() throws {
        let at = Date(timeIntervalSince1970: 0)
        let vitals = CompactEventCodec.encode(
            .vitals(VitalsEvent(eventId: "v", patientId: "P", occurredAt: at, oxygen: OxygenSupport(device: .cpap))),
            coursePatientId: "P")
        func rejects(_ change: (inout [UInt8]) -> Void, _ expected: CompactDecodingError) {
            var bytes = vitals
            change(&bytes)
            #expect(throws: expected) { try CompactEventCodec.decode(bytes, coursePatientId: "P") }
        }
        rejects({ $0[0] = 0 }, .unknownCode(0))
        rejects({ $0[0] = 7 }, .unknownCode(7))
        rejects({ $0[1] = 2 }, .unknownCode(2))
        rejects({ $0[3] = 0x04 }, .unknownCode(0x04))  // presence bit 10: vitals have 10 optionals
        rejects(
            {
                $0[3] = 0x01
                $0[2] = 0
            }, .unknownCode(0x01))  // a flow without its oxygen
        rejects({ $0[CompactEventCodec.headerSize + 2] = 0 }, .unknownCode(0))  // the device's code
        rejects({ $0[CompactEventCodec.headerSize + 2] = 12 }, .unknownCode(12))
        rejects({ $0[CompactEventCodec.headerSize + 1] = 0xFF }, .invalidUTF8)  // the event id "v"
        rejects({ $0[CompactEventCodec.headerSize] = 0x80 }, .malformedNumber)  // a length past the end
    }
}
