import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

@Suite("toxctl evaluate input")
struct EvaluationInputTests {
    /// The pinned examples of /work/shared/examples/evaluate, copied into the fixtures.
    static let examples = [
        "tc01-cnh-70kg-refractory-crs3", "tc07-masked-fever-crs2", "tc09-seattle-capd10", "tc17-st-jude-40kg-carhlh",
        "tc23-ecoli-hold",
    ]

    @Test("the pinned examples decode", arguments: examples)
    func pinnedExampleDecodes(_ name: String) throws {
        let data = try Fixtures.data("evaluate/\(name).input.json")
        let input = try EvaluationInput.decode(data)
        let raw = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rawEvents = try #require(raw["events"] as? [[String: Any]])
        #expect(input.events.count == rawEvents.count)
        #expect(input.events.map(\.eventId) == rawEvents.compactMap { $0["eventId"] as? String })
        #expect(input.events.allSatisfy { $0.patientId == input.patient.patientId })
        #expect(input.timeline.first == .patient(input.patient))
        // Encoding and decoding again gives the same input.
        #expect(try EvaluationInput.decode(encodeJSON(input)) == input)
    }

    @Test func tc01ValuesAreThoseOfTheFile() throws {
        let input = try EvaluationInput.decode(Fixtures.data("evaluate/tc01-cnh-70kg-refractory-crs3.input.json"))
        #expect(input.patient.weightKg == 70)
        #expect(input.patient.ageYears == 16)
        #expect(
            input.patient.infusion
                == Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: try utc("2026-02-26T06:00:00Z"))
        )
        #expect(input.inventory.isEmpty)
        guard case .medication(let norepinephrine) = input.events[3] else {
            Issue.record("events[3] is not a medication")
            return
        }
        #expect(norepinephrine.drug == .norepinephrine)
        #expect(norepinephrine.action == .infusionStarted)
        guard case .neuro(let neuro) = input.events[4] else {
            Issue.record("events[4] is not neuro")
            return
        }
        #expect(neuro.iceScore == 10)
        #expect(neuro.consciousness == .awake)
    }

    @Test func tc23CarriesTheEColiAllergy() throws {
        let input = try EvaluationInput.decode(Fixtures.data("evaluate/tc23-ecoli-hold.input.json"))
        #expect(input.patient.allergies == ["e-coli-derived-protein"])
        guard case .vitals(let last) = input.events.last else {
            Issue.record("last event is not vitals")
            return
        }
        #expect(last.oxygen == OxygenSupport(device: .nonRebreather, flowLPerMin: 12))
    }

    @Test func inventoryIsDecodedBesideEvents() throws {
        let input = try EvaluationInput.decode(Fixtures.data("evaluate/with-inventory.input.json"))
        #expect(input.inventory.map(\.key) == ["cnh/tocilizumab"])
        #expect(input.inventory.first?.status == .shortage)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var file: String
        var message: String
        var testDescription: String { file }
    }

    @Test(
        "invalid inputs name the bad field by JSON path",
        arguments: [
            Invalid(
                file: "invalid-temperature",
                message:
                    "events[3].temperatureC: out of range: expected 25–45 °C [value: 2 bytes, sha256:39fa9ec190eee7b6]"
            ),
            Invalid(
                file: "invalid-patient-mismatch",
                message:
                    "events[1].patientId: is not the patient's id (patient.patientId) [value: 12 bytes, sha256:2cd7e476b240e946]"
            ),
            Invalid(
                file: "invalid-inventory-in-events",
                message:
                    "events[4].type: unknown value: expected one of patient, vitals, neuro, lab, finding, medication "
                    + "[value: 9 bytes, sha256:b11a85b296a90afc]"
            ),
        ]
    )
    func invalidInput(_ c: Invalid) throws {
        let data = try Fixtures.data("evaluate/\(c.file).input.json")
        let error = decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(data) }
        #expect(error?.description == c.message)
    }

    @Test func missingPartsAreNamed() {
        let noEvents = Data(
            #"{"patient": {"type": "patient", "eventId": "a", "patientId": "p", "occurredAt": "2026-03-02T06:00:00Z", "allergies": []}}"#
                .utf8
        )
        #expect(
            decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(noEvents) }?.description
                == "events: required field is missing"
        )
        let noPatient = Data(#"{"events": []}"#.utf8)
        #expect(
            decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(noPatient) }?.description
                == "patient: required field is missing"
        )
        let wrongPatient = Data(
            #"{"patient": {"type": "vitals", "eventId": "a", "patientId": "p", "occurredAt": "2026-03-02T06:00:00Z", "spo2": 90}, "events": []}"#
                .utf8
        )
        #expect(
            decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(wrongPatient) }?.description
                == "patient.type: unknown value: expected one of patient [value: 6 bytes, sha256:e6978aa4de206ac1]"
        )
        let eventsNotArray = Data(
            #"{"patient": {"type": "patient", "eventId": "a", "patientId": "p", "occurredAt": "2026-03-02T06:00:00Z", "allergies": []}, "events": {}}"#
                .utf8
        )
        #expect(
            decodingError { () throws(EventDecodingError) in try EvaluationInput.decode(eventsNotArray) }?.reason
                == .wrongType
        )
    }
}
