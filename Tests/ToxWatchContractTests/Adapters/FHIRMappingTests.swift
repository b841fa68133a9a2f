import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

@Suite("FHIR R4 mappings")
struct FHIRMappingTests {
    func decode(_ fixture: String) throws -> AdapterResult { try FHIRAdapter.decode(Fixtures.data("fhir/" + fixture)) }

    @Test func temperatureInFahrenheit() throws {
        let result = try decode("observation-temperature-fahrenheit.json")
        #expect(
            result.vitals == [
                VitalsEvent(
                    eventId: "Observation/temp-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T11:00:00Z"),
                    temperatureC: 38.0
                )
            ]
        )
        #expect(result.events.first?.source == EventSource(system: "fhir", messageType: "Observation"))
    }

    @Test func bloodPressureComponents() throws {
        let result = try decode("observation-blood-pressure.json")
        #expect(result.vitals.map(\.systolicBP) == [92])
        #expect(result.vitals.map(\.diastolicBP) == [54])
        #expect(result.vitals.first?.eventId == "Observation/bp-1")
    }

    @Test func bundleOfVitalsGroupsByPatientAndTime() throws {
        let result = try decode("bundle-vitals.json")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.vitals == [
                VitalsEvent(
                    eventId: "Observation/temp-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T11:00:00Z"),
                    temperatureC: 38.0,
                    systolicBP: 92,
                    diastolicBP: 54,
                    heartRate: 128,
                    spo2: 94,
                    oxygen: OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: 2, fio2: 0.28)
                ),
                VitalsEvent(
                    eventId: "Observation/temp-2",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T12:00:00Z"),
                    temperatureC: 37.94
                ),
            ]
        )
        #expect(result.skipped.contains { $0.reason.contains("preliminary") })
        #expect(result.skipped.contains { $0.reason.contains("Encounter") })
    }

    @Test func labsWithUnitsReferenceRangesAndStatuses() throws {
        let result = try decode("bundle-labs.json")
        let at = try utc("2026-03-06T20:00:00Z")
        let labs = result.labs
        try #require(labs.count == 4)
        #expect(
            labs[0]
                == LabEvent(
                    eventId: "Observation/ferritin-1",
                    patientId: "MRN00456",
                    occurredAt: at,
                    test: .ferritin,
                    loinc: "2276-4",
                    value: 38000,
                    upperLimitOfNormal: 400
                )
        )
        #expect(
            labs[1]
                == LabEvent(
                    eventId: "Observation/fib-1",
                    patientId: "MRN00456",
                    occurredAt: at,
                    test: .fibrinogen,
                    loinc: "3255-7",
                    value: 95,
                    upperLimitOfNormal: 400
                )
        )
        #expect(
            labs[2]
                == LabEvent(
                    eventId: "Observation/plt-1",
                    patientId: "MRN00456",
                    occurredAt: at,
                    test: .platelets,
                    loinc: "777-3",
                    value: 80
                )
        )
        #expect(labs[3].test == .triglycerides)
        #expect(abs(labs[3].value - 283.424) < 1e-9)
        #expect(result.skipped.contains { $0.location == "entry[3].resource.status" })
        #expect(result.rejected.map(\.reason) == [.unknownUnit])
        #expect(result.rejected.first?.field == "entry[4].resource.valueQuantity.code")
    }

    @Test func medicationAdministrationVersionedId() throws {
        let result = try decode("medication-administration.json")
        #expect(
            result.medications == [
                MedicationEvent(
                    eventId: "MedicationAdministration/ma-toci-1/_history/2",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T12:00:00Z"),
                    drug: .tocilizumab,
                    rxnorm: "612865",
                    action: .administered,
                    doseMg: 256,
                    route: .iv
                )
            ]
        )
    }

    @Test func infusionsContainedMedicationGramsAndNotDone() throws {
        let result = try decode("bundle-medications.json")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.medications == [
                MedicationEvent(
                    eventId: "MedicationAdministration/ma-ne-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T23:00:00Z"),
                    drug: .norepinephrine,
                    action: .infusionStarted,
                    route: .iv,
                    rate: 0.05
                ),
                MedicationEvent(
                    eventId: "MedicationAdministration/ma-mp-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T02:00:00Z"),
                    drug: .methylprednisolone,
                    action: .administered,
                    doseMg: 1000,
                    route: .iv
                ),
            ]
        )
        #expect(result.skipped.contains { $0.reason.contains("not-done") })
    }

    @Test func patientWithAllergiesAndWeight() throws {
        let result = try decode("bundle-patient.json")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.patients == [
                PatientEvent(
                    eventId: "Patient/MRN00123",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-02T11:00:00Z"),
                    birthDate: try utc("2015-06-30T00:00:00Z"),
                    sex: .female,
                    allergies: ["e-coli-derived-protein"]
                ),
                PatientEvent(
                    eventId: "Observation/wt-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-01T15:00:00Z"),
                    weightKg: 32.39  // 71.4 lb, rounded to 0.01 kg
                ),
            ]
        )
        // The resolved anakinra allergy and the peanut allergy are not used.
        #expect(result.skipped.contains { $0.reason.contains("resolved") })
        #expect(result.skipped.contains { $0.reason.contains("allergen") })
    }

    @Test func allergyWithoutPatientResourceIsItsOwnPatientEvent() throws {
        let json = #"""
            {"resourceType": "AllergyIntolerance", "id": "al-9", "recordedDate": "2026-03-01T08:00:00Z",
             "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "72435", "display": "Kineret"}]},
             "patient": {"reference": "Patient/P7"}}
            """#
        let result = try FHIRAdapter.decode(Data(json.utf8))
        #expect(
            result.patients == [
                PatientEvent(
                    eventId: "AllergyIntolerance/al-9",
                    patientId: "P7",
                    occurredAt: try utc("2026-03-01T08:00:00Z"),
                    allergies: ["anakinra"]
                )
            ]
        )
    }

    @Test func neuroObservationsGroupIntoOneEvent() throws {
        let result = try decode("bundle-neuro.json")
        #expect(result.rejected.isEmpty, "\(result.rejected)")
        #expect(
            result.neuro == [
                NeuroEvent(
                    eventId: "Observation/ice-1",
                    patientId: "MRN00123",
                    occurredAt: try utc("2026-03-03T23:00:00Z"),
                    iceScore: 6,
                    consciousness: .awakensToVoice,
                    raisedIcpSigns: [.papilledema],
                    sedated: false
                )
            ]
        )
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var json: String
        var reason: DeadLetterReason
        var field: String?
        var testDescription: String { json }
    }

    @Test(
        "documents that are not FHIR JSON throw",
        arguments: [
            Bad(json: "[]", reason: .wrongType, field: nil),
            Bad(json: "{}", reason: .missingField, field: "resourceType"),
            Bad(json: "{\"resourceType\": 3}", reason: .wrongType, field: "resourceType"),
            Bad(json: "{\"resourceType\": \"Bundle\", \"entry\": {}}", reason: .wrongType, field: "entry"),
            Bad(json: "{\"resourceType\": ", reason: .malformedJSON, field: nil),
        ]
    )
    func notFHIR(_ c: Bad) {
        let error = decodingError { () throws(EventDecodingError) in try FHIRAdapter.decode(Data(c.json.utf8)) }
        #expect(error?.reason == c.reason)
        #expect(error?.field == c.field)
    }

    @Test func malformedCodesAndImpossibleBirthDatesAreRejected() throws {
        let json = #"""
            {"resourceType": "Bundle", "type": "collection", "entry": [
              {"resource": {"resourceType": "MedicationAdministration", "id": "m", "status": "completed",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "61x865"}],
                                              "text": "tocilizumab"},
                "subject": {"reference": "Patient/P"}, "effectiveDateTime": "2026-03-02T06:00:00Z"}},
              {"resource": {"resourceType": "Patient", "id": "P", "birthDate": "2027-01-01",
                "meta": {"lastUpdated": "2026-03-02T06:00:00Z"}}},
              {"resource": {"resourceType": "Patient", "id": "  ", "meta": {"lastUpdated": "2026-03-02T06:00:00Z"}}}
            ]}
            """#
        let result = try FHIRAdapter.decode(Data(json.utf8))
        #expect(result.events.isEmpty)
        #expect(
            result.rejected.map(\.description) == [
                "entry[0].resource.medicationCodeableConcept.coding: is not an RxNorm RXCUI (digits) "
                    + "[value: 6 bytes, sha256:7cb90b9eeb8d0093]",
                "entry[1].resource.birthDate: is after the time of the record [value: 10 bytes, sha256:56bb7ffbcf7166a9]",
                "entry[2].resource.id: required field is missing",
            ]
        )
    }

    @Test func observationProblemsRejectOnlyThatResource() throws {
        let json = #"""
            {"resourceType": "Bundle", "type": "collection", "entry": [
              {"resource": {"resourceType": "Observation", "id": "a", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]}, "subject": {"reference": "Patient/P"},
                "effectiveDateTime": "2026-03-02T06:00:00", "valueQuantity": {"value": 38, "code": "Cel"}}},
              {"resource": {"resourceType": "Observation", "id": "b", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]}, "subject": {"reference": "Patient/P"},
                "effectiveDateTime": "2026-03-02T06:00:00Z", "valueQuantity": {"value": 60, "code": "Cel"}}},
              {"resource": {"resourceType": "Observation", "id": "c", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}, "subject": {"reference": "Patient/P"},
                "effectiveDateTime": "2026-03-02T06:00:00Z", "valueQuantity": {"value": 90, "code": "/min"}}},
              {"resource": {"resourceType": "Observation", "id": "d", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]}, "subject": {"reference": "Patient/P"},
                "effectiveDateTime": "2026-03-02T06:00:00Z", "valueQuantity": {"value": 94, "comparator": "<", "code": "%"}}},
              {"resource": {"resourceType": "Observation", "id": "e", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                "effectiveDateTime": "2026-03-02T06:00:00Z", "valueQuantity": {"value": 91, "code": "/min"}}}
            ]}
            """#
        let result = try FHIRAdapter.decode(Data(json.utf8))
        #expect(result.vitals.map(\.heartRate) == [90])
        #expect(
            result.rejected.map(\.description) == [
                "entry[0].resource.effectiveDateTime: has no UTC offset (add Z or ±hh:mm) "
                    + "[value: 19 bytes, sha256:b298d9bd0d953a9e]",
                "entry[1].resource.valueQuantity.value: out of range: expected 25–45 °C "
                    + "[value: 2 bytes, sha256:39fa9ec190eee7b6]",
                "entry[3].resource.valueQuantity.comparator: is a bound, not a value (not representable) "
                    + "[value: 1 byte, sha256:dabd3aff769f07eb]",
                "entry[4].resource.subject: required field is missing",
            ]
        )
    }
}
