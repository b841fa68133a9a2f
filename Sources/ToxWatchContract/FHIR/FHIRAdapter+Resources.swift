import Foundation
import ToxicityRules

// MedicationAdministration (+ Medication), Patient and AllergyIntolerance resources of the FHIR R4
// adapter (Docs/HL7-FHIR.md).

extension FHIRMapper {
    // MARK: MedicationAdministration

    mutating func administration(_ node: JSONNode) throws(EventDecodingError) {
        let status = try node.string("status") ?? "(none)"
        let action: MedicationAction
        switch status {
        case "completed": action = .administered
        case "in-progress": action = .infusionStarted
        case "stopped": action = .infusionStopped
        default:
            result.skip(node.path("status"), "status \(status) is not an administration")
            return
        }
        let (drug, rxnorm) = try medication(node)
        var occurredAt: Date
        if action == .infusionStopped, let period = try node.object("effectivePeriod"),
            let end = try Self.optionalTime(period, "end")
        {
            occurredAt = end
        } else {
            occurredAt = try effectiveTime(node)
        }
        var doseMg: Double?
        var route: Route?
        var rate: Double?
        if let dosage = try node.object("dosage") {
            if let dose = try dosage.object("dose") {
                guard let amount = try dose.number("value") else { throw .missingField(path: dose.path("value")) }
                let unit = try dose.firstString("code", "unit") ?? ""
                guard let conversion = DoseUnits.conversion(for: unit) else {
                    throw .unknownUnit(path: dose.path("code"), unit: unit, allowed: DoseUnits.acceptedSpellings)
                }
                let mg = conversion.apply(amount, decimals: DoseUnits.decimals)
                guard PlausibleRange.doseMg.contains(mg) else {
                    throw .outOfRange(path: dose.path("value"), value: mg, range: .doseMg)
                }
                doseMg = mg
            }
            if let routeNode = try dosage.object("route") {
                let candidates =
                    try codings(routeNode).compactMap(\.code) + [try routeNode.string("text")].compactMap { $0 }
                route = candidates.lazy.compactMap(ClinicalVocabulary.route).first
                if route == nil { result.skip(routeNode.path, "route \(candidates.first ?? "") is not IV, SC or PO") }
            }
            if let rateQuantity = try dosage.object("rateQuantity") {
                rate = try rateQuantity.number("value")
            } else if let ratio = try dosage.object("rateRatio") {
                rate = try ratio.object("numerator")?.number("value")
            }
            if let rate, !PlausibleRange.rate.contains(rate) {
                throw .outOfRange(path: dosage.path("rate[x]"), value: rate, range: .rate)
            }
        }
        slots.append(
            .event(
                .medication(
                    MedicationEvent(
                        eventId: try eventId(node),
                        patientId: try patientId(node, field: "subject"),
                        occurredAt: occurredAt,
                        drug: drug,
                        rxnorm: rxnorm,
                        action: action,
                        doseMg: action == .infusionStopped ? nil : doseMg,
                        route: route,
                        rate: action == .infusionStopped ? nil : rate
                    )
                )
            )
        )
    }

    /// medicationCodeableConcept, or medicationReference to a contained or bundled Medication.
    func medication(_ node: JSONNode) throws(EventDecodingError) -> (Drug, String?) {
        var concept = try node.object("medicationCodeableConcept")
        if concept == nil, let reference = try node.object("medicationReference")?.string("reference") {
            let contained = try node.array("contained").first { (try? $0.string("id")).map { "#" + $0 } == reference }
            let bundled = medicationByReference[reference].map { resources[$0].node }
            guard let medication = contained ?? bundled else {
                throw .invalidValue(
                    path: node.path("medicationReference.reference"),
                    value: reference,
                    problem: "is not a Medication in this document"
                )
            }
            concept = try medication.object("code")
        }
        guard let concept else { throw .missingField(path: node.path("medication[x]")) }
        let codings = try codings(concept)
        for coding in codings where ClinicalVocabulary.isRxNormSystem(coding.system) {
            if let code = coding.code, let known = ObservationCodes.rxnorm[code] { return (known, code) }
        }
        let rxnorm = codings.first { ClinicalVocabulary.isRxNormSystem($0.system) }?.code
        if let rxnorm, !rxnorm.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw .invalidValue(path: concept.path("coding"), value: rxnorm, problem: "is not an RxNorm RXCUI (digits)")
        }
        guard let text = try concept.string("text") ?? codings.lazy.compactMap(\.display).first else {
            throw .missingField(path: concept.path("text"))
        }
        let drug = ObservationCodes.drug(fromText: text)
        try InputIdentifier.check(drug.name, path: concept.path("text"))
        return (drug, rxnorm)
    }

    // MARK: Patient and AllergyIntolerance

    mutating func patient(_ node: JSONNode, allergies: [String: [(code: String, node: JSONNode)]])
        throws(EventDecodingError)
    {
        guard let id = try node.string("id") else { throw .missingField(path: node.path("id")) }
        try InputIdentifier.check(id, path: node.path("id"))
        let occurredAt = try time(of: node, fields: [])
        var birthDate: Date?
        if let text = try node.string("birthDate") {
            guard let date = ISO8601Date.parse(text) else {
                throw .invalidTimestamp(
                    path: node.path("birthDate"),
                    value: text,
                    problem: "is not a full date (YYYY-MM-DD)"
                )
            }
            guard date <= occurredAt else {
                throw .invalidValue(
                    path: node.path("birthDate"),
                    value: text,
                    problem: "is after the time of the record"
                )
            }
            birthDate = date
        }
        var sex: Sex?
        if let gender = try node.string("gender") {
            guard let value = Sex(rawValue: gender) else {
                throw .unknownValue(path: node.path("gender"), value: gender, allowed: Sex.allCases.map(\.rawValue))
            }
            sex = value
        }
        var codes: [String] = []
        for allergy in allergies[id] ?? [] where !codes.contains(allergy.code) { codes.append(allergy.code) }
        slots.append(
            .event(
                .patient(
                    PatientEvent(
                        eventId: try eventId(node),
                        patientId: id,
                        occurredAt: occurredAt,
                        birthDate: birthDate,
                        sex: sex,
                        allergies: codes
                    )
                )
            )
        )
    }

    /// The patient and allergy code of an active, not refuted AllergyIntolerance; `nil` (and a
    /// skip note) for one the rules do not use.
    mutating func allergy(_ node: JSONNode) throws(EventDecodingError) -> (String, String)? {
        if let clinical = try codings(node.object("clinicalStatus")).first?.code, clinical != "active" {
            result.skip(node.path("clinicalStatus"), "allergy status \(clinical) is not active")
            return nil
        }
        if let verification = try codings(node.object("verificationStatus")).first?.code,
            ["refuted", "entered-in-error"].contains(verification)
        {
            result.skip(node.path("verificationStatus"), "allergy is \(verification)")
            return nil
        }
        let concept = try node.object("code")
        let text = try concept?.string("text")
        var code: String?
        for coding in try codings(concept) {
            code = ClinicalVocabulary.allergyCode(code: coding.code, text: coding.display, system: coding.system)
            if code != nil { break }
        }
        if code == nil { code = ClinicalVocabulary.allergyCode(code: nil, text: text, system: nil) }
        guard let code else {
            result.skip(node.path("code"), "allergen is not one the rules use")
            return nil
        }
        return (try patientId(node, field: "patient"), code)
    }
}
