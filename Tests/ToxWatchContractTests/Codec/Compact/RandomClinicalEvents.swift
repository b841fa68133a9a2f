import Foundation
import ToxTestSupport
import ToxicityRules

/// Random events of every kind, every optional field present or absent, with strings, numbers and
/// instants of every kind the random JSON values give (the compact codec must keep each exactly).
extension SplitMix64 {
    mutating func optional<Value>(_ make: (inout SplitMix64) -> Value) -> Value? {
        next() % 2 == 0 ? nil : make(&self)
    }

    mutating func clinicalEvent(patientId: String) -> ClinicalEvent {
        // A third of the events belong to another patient than the course's.
        let patient = next() % 3 == 0 ? jsonString() : patientId
        let id = jsonString(maxLength: 20)
        let at = jsonDate()
        switch next() % 6 {
        case 0:
            return .patient(
                PatientEvent(
                    eventId: id, patientId: patient, occurredAt: at, birthDate: optional { $0.jsonDate() },
                    ageYears: optional { $0.jsonDouble() }, sex: optional { $0.pick(Sex.allCases) },
                    weightKg: optional { $0.jsonDouble() }, heightCm: optional { $0.jsonDouble() },
                    allergies: (0..<count(max: 3)).map { _ in jsonString() },
                    infusion: optional {
                        Infusion(product: $0.jsonString(), target: $0.jsonString(), infusedAt: $0.jsonDate())
                    }, protocolId: optional { $0.jsonString() }, site: optional { $0.jsonString() },
                    baselineFerritin: optional { $0.jsonDouble() }))
        case 1:
            return .vitals(
                VitalsEvent(
                    eventId: id, patientId: patient, occurredAt: at, temperatureC: optional { $0.jsonDouble() },
                    systolicBP: optional { $0.jsonDouble() }, diastolicBP: optional { $0.jsonDouble() },
                    meanArterialPressure: optional { $0.jsonDouble() }, heartRate: optional { $0.jsonDouble() },
                    respiratoryRate: optional { $0.jsonDouble() }, spo2: optional { $0.jsonDouble() },
                    oxygen: optional {
                        OxygenSupport(
                            device: $0.pick(OxygenDevice.allCases), flowLPerMin: $0.optional { $0.jsonDouble() },
                            fio2: $0.optional { $0.jsonDouble() })
                    }))
        case 2:
            return .neuro(
                NeuroEvent(
                    eventId: id, patientId: patient, occurredAt: at, iceScore: optional { $0.jsonInt() },
                    capdScore: optional { $0.jsonInt() }, consciousness: optional { $0.pick(Consciousness.allCases) },
                    seizure: optional { $0.pick(Seizure.allCases) },
                    motorWeakness: optional { $0.pick(MotorWeakness.allCases) },
                    cerebralEdema: optional { $0.pick(CerebralEdema.allCases) },
                    raisedIcpSigns: (0..<count(max: 4)).map { _ in pick(RaisedICPSign.allCases) },
                    sedated: optional { $0.next() % 2 == 0 }))
        case 3:
            return .lab(
                LabEvent(
                    eventId: id, patientId: patient, occurredAt: at, test: pick(LabTest.allCases),
                    loinc: optional { $0.jsonString() }, value: jsonDouble(),
                    upperLimitOfNormal: optional { $0.jsonDouble() }))
        case 4:
            return .finding(
                FindingEvent(
                    eventId: id, patientId: patient, occurredAt: at, finding: pick(ClinicalFinding.allCases),
                    present: next() % 2 == 0))
        default:
            return .medication(
                MedicationEvent(
                    eventId: id, patientId: patient, occurredAt: at,
                    drug: next() % 4 == 0 ? .other(jsonString()) : pick(Drug.known),
                    rxnorm: optional { $0.jsonString() },
                    action: pick(MedicationAction.allCases), doseMg: optional { $0.jsonDouble() },
                    route: optional { $0.pick(Route.allCases) }, rate: optional { $0.jsonDouble() }))
        }
    }
}
