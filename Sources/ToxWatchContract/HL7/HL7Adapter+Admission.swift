import Foundation
import ToxicityRules

// Admission messages of the HL7 v2 adapter (Docs/HL7-FHIR.md): ADT^A01/A08 → one `patient` event
// (PID-7, PID-8, PV1 site, OBX weight/height, AL1 allergies).

extension HL7Mapper {
    // MARK: ADT^A01 / A08

    mutating func mapAdmission(pid: HL7Segment) throws(EventDecodingError) {
        let evn = message.segments.first { $0.id == "EVN" }
        var occurredAt: Date?
        do throws(EventDecodingError) {
            if let evn { occurredAt = try time(evn, 6) }
            if occurredAt == nil, let evn { occurredAt = try time(evn, 2) }
            if occurredAt == nil { occurredAt = try time(message.header, 7) }
        } catch {
            result.rejected.append(error)
            return
        }
        guard let occurredAt else {
            result.rejected.append(.missingField(path: "EVN-6, EVN-2 and MSH-7 (event time)"))
            return
        }
        var patient = PatientEvent(eventId: "", patientId: patientId, occurredAt: occurredAt)
        do throws(EventDecodingError) {
            if let text = try pid.text(7) {
                guard let birth = HL7Timestamp.parse(text)?.day0 else {
                    throw .invalidTimestamp(
                        path: location(pid, 7),
                        value: text,
                        problem: TimestampProblem.notHL7DTM.description
                    )
                }
                guard birth <= occurredAt else {
                    throw .invalidValue(path: location(pid, 7), value: text, problem: "is after the event time")
                }
                patient.birthDate = birth
            }
        } catch {
            result.rejected.append(error)
        }
        if let sex = try pid.text(8) {
            switch sex.uppercased() {
            case "F": patient.sex = .female
            case "M": patient.sex = .male
            case "O", "A": patient.sex = .other
            case "U", "N": patient.sex = .unknown
            default: result.skip(location(pid, 8), "administrative sex \(sex) is not mapped")
            }
        }
        if let pv1 = message.segments.first(where: { $0.id == "PV1" }) {
            patient.site = try pv1.text(3, component: 4)
            if patient.site == nil { patient.site = try pv1.text(39) }
            if let site = patient.site { try InputIdentifier.check(site, path: location(pv1, 3) + " (site)") }
        }
        for segment in message.segments {
            switch segment.id {
            case "OBX": observation(segment, group: 0, requestTime: .success(occurredAt), admission: true)
            case "AL1": try allergy(segment, into: &patient)
            default: break
            }
        }
        // Body measurements taken at the event time belong to it; older ones become patient
        // events of their own, so that the engine ages the weight from when it was measured.
        for (index, body) in bodyGroups.enumerated() {
            if body.occurredAt == occurredAt {
                patient.weightKg = body.weightKg ?? patient.weightKg
                patient.heightCm = body.heightCm ?? patient.heightCm
            } else {
                slots.append(.body(index))
            }
        }
        slots.insert(.event(.patient(patient)), at: 0)
    }

    mutating func allergy(_ al1: HL7Segment, into patient: inout PatientEvent) throws(EventDecodingError) {
        let code = try al1.text(3, component: 1)
        let text = try al1.text(3, component: 2)
        let system = try al1.text(3, component: 3)
        guard let mapped = ClinicalVocabulary.allergyCode(code: code, text: text, system: system) else {
            result.skip(location(al1, 3), "allergen \(text ?? code ?? "(empty)") is not one the rules use")
            return
        }
        if !patient.allergies.contains(mapped) { patient.allergies.append(mapped) }
    }
}
