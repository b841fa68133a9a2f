import Foundation
import PropertyBased
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

/// An invalid contract document and the error it must produce.
struct InvalidFixture: CustomTestStringConvertible, Sendable {
    var name: String
    var reason: DeadLetterReason
    /// The exact message, or its beginning when it ends with "…".
    var message: String
    /// Whether the JSON Schema can express the rule too (cross-field rules cannot).
    var schemaRejects = true

    var testDescription: String { name }

    func matches(_ description: String) -> Bool {
        message.hasSuffix("…") ? description.hasPrefix(String(message.dropLast())) : description == message
    }
}

let invalidFixtures: [InvalidFixture] = [
    .init(
        name: "vitals-temperature-60",
        reason: .outOfRange,
        message: "temperatureC: out of range: expected 25–45 °C [value: 2 bytes, sha256:39fa9ec190eee7b6]"
    ),
    .init(
        name: "vitals-temperature-string",
        reason: .wrongType,
        message: "temperatureC: wrong type: expected a number, found a string [value: 2 bytes, sha256:0b918943df0962bc]"
    ),
    .init(
        name: "vitals-spo2-101",
        reason: .outOfRange,
        message: "spo2: out of range: expected 0–100 % [value: 3 bytes, sha256:16dc368a89b428b2]"
    ),
    .init(
        name: "vitals-no-offset",
        reason: .invalidTimestamp,
        message: "occurredAt: has no UTC offset (add Z or ±hh:mm) [value: 19 bytes, sha256:b298d9bd0d953a9e]"
    ),
    .init(
        name: "vitals-no-seconds",
        reason: .invalidTimestamp,
        message:
            "occurredAt: has no seconds (expected e.g. 2026-03-02T06:00:00Z) [value: 17 bytes, sha256:e39178400653e2b1]"
    ),
    .init(
        name: "vitals-impossible-date",
        reason: .invalidTimestamp,
        message: "occurredAt: is not a real calendar date and time [value: 20 bytes, sha256:f85c9ea491371f58]",
        // The schema's pattern cannot see 30 February; jsonschema's date-time format check can,
        // but only with its optional rfc3339-validator dependency installed.
        schemaRejects: false
    ),
    .init(
        name: "vitals-misspelled-field",
        reason: .missingField,
        message:
            "event: at least one of temperatureC, systolicBP, diastolicBP, meanArterialPressure, heartRate, respiratoryRate, spo2, oxygen is required"
    ),
    .init(
        name: "vitals-room-air-with-flow",
        reason: .invalidValue,
        message:
            "oxygen.flowLPerMin: is a flow, which contradicts device room-air [value: 1 byte, sha256:4b227777d4dd1fc6]"
    ),
    .init(
        name: "vitals-unknown-device",
        reason: .unknownValue,
        message: "oxygen.device: unknown value: expected one of room-air, blow-by, …"
    ),
    .init(
        name: "vitals-flow-81",
        reason: .outOfRange,
        message: "oxygen.flowLPerMin: out of range: expected 0–80 L/min [value: 2 bytes, sha256:5316ca1c5ddca8e6]"
    ),
    .init(
        name: "vitals-fio2-percent",
        reason: .outOfRange,
        message: "oxygen.fio2: out of range: expected 0.21–1 (fraction) [value: 2 bytes, sha256:d59eced1ded07f84]"
    ),
    .init(name: "vitals-missing-event-id", reason: .missingField, message: "eventId: required field is missing"),
    .init(
        name: "vitals-blank-patient-id",
        reason: .invalidValue,
        message: "patientId: is empty [value: 2 bytes, sha256:6c179f21e6f62b62]"
    ),
    .init(
        name: "patient-weight-700",
        reason: .outOfRange,
        message: "weightKg: out of range: expected 0.3–350 kg [value: 3 bytes, sha256:99ee50221221864d]"
    ),
    .init(
        name: "patient-weight-0.2",
        reason: .outOfRange,
        message: "weightKg: out of range: expected 0.3–350 kg [value: 3 bytes, sha256:44896b09365746b5]"
    ),
    .init(name: "patient-missing-allergies", reason: .missingField, message: "allergies: required field is missing"),
    .init(
        name: "patient-born-after-event",
        reason: .invalidValue,
        message: "birthDate: is after occurredAt [value: 10 bytes, sha256:56bb7ffbcf7166a9]",
        schemaRejects: false
    ),
    .init(
        name: "patient-unknown-sex",
        reason: .unknownValue,
        message: "sex: unknown value: expected one of female, male, …"
    ),
    .init(
        name: "neuro-ice-11",
        reason: .outOfRange,
        message: "iceScore: out of range: expected whole numbers 0–10 [value: 2 bytes, sha256:4fc82b26aecb47d2]"
    ),
    .init(
        name: "neuro-ice-fraction",
        reason: .outOfRange,
        message: "iceScore: out of range: expected whole numbers 0–10 [value: 3 bytes, sha256:e0b04046fbfbc96f]"
    ),
    .init(
        name: "neuro-capd-33",
        reason: .outOfRange,
        message: "capdScore: out of range: expected whole numbers 0–32 [value: 2 bytes, sha256:c6f3ac57944a5314]"
    ),
    .init(
        name: "neuro-unknown-consciousness",
        reason: .unknownValue,
        message: "consciousness: unknown value: expected one of awake, awakens-spontaneously, …"
    ),
    .init(
        name: "neuro-unknown-icp-sign",
        reason: .unknownValue,
        message: "raisedIcpSigns[0]: unknown value: expected one of posturing, cn-vi-palsy, …"
    ),
    .init(
        name: "lab-unknown-unit",
        reason: .unknownUnit,
        message:
            "unit: unit not accepted here: expected one of ng/mL, ug/L, µg/L [value: 6 bytes, sha256:b2e1b9111c06117f]"
    ),
    .init(name: "lab-missing-unit", reason: .missingField, message: "unit: required field is missing"),
    .init(
        name: "lab-negative-value",
        reason: .outOfRange,
        message: "value: out of range: expected 0–10000000 mg/L [value: 2 bytes, sha256:1bad6b8cf97131fc]"
    ),
    .init(
        name: "lab-unknown-test",
        reason: .unknownValue,
        message: "test: unknown value: expected one of ferritin, crp, …"
    ),
    .init(
        name: "lab-loinc-of-another-test",
        reason: .invalidValue,
        message: "loinc: does not denote the test ferritin [value: 6 bytes, sha256:d2964fc408f809b4]"
    ),
    .init(
        name: "medication-negative-dose",
        reason: .outOfRange,
        message: "doseMg: out of range: expected 0–1000000 mg [value: 2 bytes, sha256:37aa1ccf80e48183]"
    ),
    .init(
        name: "medication-unknown-action",
        reason: .unknownValue,
        message: "action: unknown value: expected one of administered, infusion-started, …"
    ),
    .init(
        name: "medication-unknown-route",
        reason: .unknownValue,
        message: "route: unknown value: expected one of IV, SC, PO [value: 2 bytes, sha256:e03bb8a19b6aa9c8]"
    ),
    .init(
        name: "medication-rxnorm-of-another-drug",
        reason: .invalidValue,
        message: "rxnorm: denotes tocilizumab, not the drug named in drug [value: 6 bytes, sha256:1c25164a5a4b444c]",
        schemaRejects: false
    ),
    .init(
        name: "inventory-unknown-status",
        reason: .unknownValue,
        message: "status: unknown value: expected one of available, low, …"
    ),
    .init(
        name: "inventory-unit-zero-mg",
        reason: .outOfRange,
        message: "unitMg: out of range: expected 0.001–100000 mg [value: 1 byte, sha256:5feceb66ffc86f38]"
    ),
    .init(
        name: "unknown-type",
        reason: .unknownValue,
        message: "type: unknown value: expected one of patient, vitals, …"
    ),
    .init(name: "missing-type", reason: .missingField, message: "type: required field is missing"),
    .init(
        name: "top-level-array",
        reason: .wrongType,
        message: "document: wrong type: expected an object, found an array"
    ),
    .init(name: "not-json", reason: .malformedJSON, message: "malformed JSON: …"),
]

@Suite("JSON contract")
struct JSONContractTests {
    static let validNames = (try? Fixtures.names(in: "json/valid")) ?? []

    @Test("every invalid fixture has an expectation", arguments: [0])
    func invalidFixturesAreAllListed(_: Int) throws {
        let files = try Fixtures.names(in: "json/invalid").map { String($0.dropLast(5)) }
        #expect(Set(files) == Set(invalidFixtures.map(\.name)))
        #expect(Self.validNames.count >= 15)
    }

    @Test("valid fixtures decode, and re-encode exactly", arguments: validNames)
    func validFixtureRoundTrips(_ name: String) throws {
        let envelope = try EventEnvelope.decode(Fixtures.data("json/valid/" + name))
        let encoded = try envelope.encoded()
        let again = try EventEnvelope.decode(encoded)
        #expect(again == envelope)
        #expect(try again.encoded() == encoded)
    }

    @Test(
        "invalid fixtures are rejected naming the field, the reason and the range, never the value",
        arguments: invalidFixtures
    )
    func invalidFixtureIsRejected(_ fixture: InvalidFixture) throws {
        let data = try Fixtures.data("json/invalid/\(fixture.name).json")
        let error = decodingError { () throws(EventDecodingError) in try EventEnvelope.decode(data) }
        #expect(error?.reason == fixture.reason)
        #expect(fixture.matches(error?.description ?? ""), "got: \(error?.description ?? "no error")")
    }

    @Test func vitalsFieldsAndOxygen() throws {
        let event = try decodeEvent(Fixtures.data("json/valid/vitals.json"))
        guard case .clinical(.vitals(let vitals)) = event else {
            Issue.record("not vitals: \(event)")
            return
        }
        #expect(vitals.eventId == "ev-1")
        #expect(vitals.patientId == "MRN00123")
        #expect(vitals.occurredAt == (try utc("2026-03-02T06:00:00Z")))
        #expect(vitals.temperatureC == 39.2)
        #expect(vitals.systolicBP == 95)
        #expect(vitals.meanArterialPressure == 65)
        #expect(vitals.oxygen == OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: 4))
        #expect(event.key == "MRN00123")
        #expect(event.type.topic == "cart.vitals.v1")
    }

    @Test func unknownFieldsAreIgnoredAndNullMeansAbsent() throws {
        let event = try decodeEvent(Fixtures.data("json/valid/vitals-forward-compatible.json"))
        guard case .clinical(.vitals(let vitals)) = event else {
            Issue.record("not vitals")
            return
        }
        #expect(vitals.temperatureC == 38)
        #expect(vitals.spo2 == nil)
        #expect(vitals.oxygen == OxygenSupport(device: .cpap, fio2: 0.4))
    }

    @Test func offsetTimestampsAreConvertedToInstants() throws {
        let event = try decodeEvent(Fixtures.data("json/valid/vitals-room-air.json"))
        #expect(event.occurredAt == (try utc("2026-03-02T11:00:00.25Z")))
        let encoded = String(decoding: try encodeEvent(event), as: UTF8.self)
        #expect(encoded.contains(#""occurredAt":"2026-03-02T11:00:00.25Z""#))
    }

    struct LabCase: Sendable, CustomTestStringConvertible {
        var file: String
        var test: LabTest
        var value: Double
        var upper: Double?
        var testDescription: String { file }
    }

    @Test(
        "lab units convert to the test's canonical unit",
        arguments: [
            LabCase(file: "lab-ferritin", test: .ferritin, value: 38000, upper: 300),
            LabCase(file: "lab-fibrinogen-g-per-l", test: .fibrinogen, value: 95, upper: 400),
            LabCase(file: "lab-bilirubin-umol", test: .bilirubin, value: 2.0, upper: nil),
            LabCase(file: "lab-platelets-10e9", test: .platelets, value: 80, upper: nil),
            LabCase(file: "lab-inr", test: .inr, value: 1.6, upper: nil),
            LabCase(file: "lab-ddimer-ng", test: .dDimer, value: 4.5, upper: nil),
        ]
    )
    func labConversion(_ c: LabCase) throws {
        let event = try decodeEvent(Fixtures.data("json/valid/\(c.file).json"))
        guard case .clinical(.lab(let lab)) = event else {
            Issue.record("not a lab")
            return
        }
        #expect(lab.test == c.test)
        #expect(abs(lab.value - c.value) < 1e-9, "\(lab.value)")
        #expect(lab.upperLimitOfNormal.map { abs($0 - (c.upper ?? .nan)) < 1e-9 } ?? (c.upper == nil))
        let encoded = try JSONSerialization.jsonObject(with: encodeEvent(event)) as? [String: Any]
        #expect(encoded?["unit"] as? String == c.test.canonicalUnit)
    }

    @Test func medicationNamesAreCaseInsensitiveAndOtherDrugsAreKept() throws {
        guard
            case .clinical(.medication(let toci)) = try decodeEvent(
                Fixtures.data("json/valid/medication-tocilizumab.json")
            ),
            case .clinical(.medication(let other)) = try decodeEvent(
                Fixtures.data("json/valid/medication-other-drug.json")
            )
        else {
            Issue.record("not medications")
            return
        }
        #expect(toci.drug == .tocilizumab)
        #expect(toci.route == .iv)
        #expect(toci.doseMg == 256)
        #expect(other.drug == .other("vancomycin"))
        #expect(other.action == .ordered)
    }

    @Test func inventoryKeyIsSiteSlashDrug() throws {
        let event = try decodeEvent(Fixtures.data("json/valid/inventory.json"))
        guard case .inventory(let inventory) = event else {
            Issue.record("not inventory")
            return
        }
        #expect(event.key == "cnh/tocilizumab")
        #expect(inventory.status == .shortage)
        #expect(inventory.unitsOnHand == 2)
        #expect(event.type.topic == "pharmacy.inventory.v1")
    }

    @Test func neuroSedatedAloneIsAnAssessment() throws {
        guard case .clinical(.neuro(let neuro)) = try decodeEvent(Fixtures.data("json/valid/neuro-sedated.json")) else {
            Issue.record("not neuro")
            return
        }
        #expect(neuro.sedated == true)
        #expect(neuro.iceScore == nil)
    }

    @Test func encoderRefusesValuesTheDecoderWouldRefuse() {
        let hot = VitalsEvent(
            eventId: "e",
            patientId: "p",
            occurredAt: Date(timeIntervalSince1970: 0),
            temperatureC: 60
        )
        let error = decodingError { () throws(EventDecodingError) in try encodeEvent(.clinical(.vitals(hot))) }
        #expect(error == .outOfRange(path: "temperatureC", value: 60, range: .temperatureC))
        let empty = VitalsEvent(eventId: "e", patientId: "p", occurredAt: Date(timeIntervalSince1970: 0))
        #expect(
            decodingError { () throws(EventDecodingError) in try encodeEvent(.clinical(.vitals(empty))) }?.reason
                == .missingField
        )
    }

    @Test func sourceRoundTrips() throws {
        let envelope = try EventEnvelope.decode(Fixtures.data("json/valid/patient.json"))
        #expect(envelope.source == EventSource(system: "EPIC", messageType: "ADT^A01"))
        guard case .clinical(.patient(let patient)) = envelope.event else {
            Issue.record("not a patient")
            return
        }
        #expect(patient.birthDate == (try utc("2015-06-30T00:00:00Z")))
        #expect(patient.sex == .female)
        #expect(patient.allergies == ["e-coli-derived-protein"])
        #expect(patient.protocolId == "childrens-national")
        #expect(patient.infusion?.target == "CD19")
    }

    @Test func vitalsRoundTripForAnyPlausibleValues() async {
        await propertyCheck(
            count: 300,
            input: Gen.double(in: 25...45),
            Gen.double(in: 0...300),
            Gen.double(in: 0...100),
            Gen.int64(in: -2_000_000_000...4_000_000_000),
            Gen.int(in: 0...999_999_999),
            Gen.element(of: OxygenDevice.allCases)
        ) { temperature, systolic, spo2, seconds, nanos, device in
            let date = CivilTime.date(epochSeconds: seconds, nanoseconds: nanos)
            let oxygen = OxygenSupport(
                device: device ?? .cpap,
                flowLPerMin: device == .roomAir ? nil : 3,
                fio2: device == .roomAir ? nil : 0.5
            )
            let vitals = VitalsEvent(
                eventId: "id-\(seconds)",
                patientId: "p",
                occurredAt: date,
                temperatureC: temperature,
                systolicBP: systolic,
                spo2: spo2,
                oxygen: oxygen
            )
            do {
                let encoded = try encodeEvent(.clinical(.vitals(vitals)))
                let decoded = try decodeEvent(encoded)
                #expect(decoded == .clinical(.vitals(vitals)))
                #expect(try encodeEvent(decoded) == encoded)
            } catch {
                Issue.record("round trip failed: \(error)")
            }
        }
    }

    @Test func labRoundTripForAnyTestAndValue() async {
        await propertyCheck(count: 300, input: Gen.element(of: LabTest.allCases), Gen.double(in: 0...1_000_000)) {
            test,
            value in
            guard let test else { return }
            let lab = LabEvent(
                eventId: "l",
                patientId: "p",
                occurredAt: Date(timeIntervalSince1970: 1_772_431_200),
                test: test,
                value: value,
                upperLimitOfNormal: value / 2
            )
            do {
                let decoded = try decodeEvent(encodeEvent(.clinical(.lab(lab))))
                #expect(decoded == .clinical(.lab(lab)))
            } catch {
                Issue.record("round trip failed: \(error)")
            }
        }
    }
}
