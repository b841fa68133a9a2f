package import ToxicityRules

/// What an adapter made of one HL7 message or FHIR document: the events it mapped, what it
/// skipped (unknown segments, codes and resources, non-final results: never fatal), and the
/// observations it rejected (an unknown unit, an impossible value: an error for that observation
/// only).
package struct AdapterResult: Sendable, Hashable {
    package var events: [EventEnvelope] = []
    package var skipped: [AdapterNote] = []
    package var rejected: [EventDecodingError] = []

    package init(events: [EventEnvelope] = [], skipped: [AdapterNote] = [], rejected: [EventDecodingError] = []) {
        self.events = events
        self.skipped = skipped
        self.rejected = rejected
    }

    mutating func skip(_ location: String, _ reason: String) {
        skipped.append(AdapterNote(location: location, reason: reason))
    }
}

/// Something an adapter did not map, and why (`OBX-3 (segment 7)`: `code 1234-5 (LN) not mapped`).
package struct AdapterNote: Sendable, Hashable, CustomStringConvertible {
    package var location: String
    package var reason: String

    package init(location: String, reason: String) {
        self.location = location
        self.reason = reason
    }

    package var description: String { "\(location): \(reason)" }
}

/// Allergy and route vocabularies shared by the HL7 and FHIR adapters.
package enum ClinicalVocabulary {
    /// The allergy code for an allergen: `e-coli-derived-protein` for any mention of E. coli
    /// (a false positive holds anakinra, a false negative could harm), the drug name for a drug
    /// the rules know (by RxNorm code or name, brands included), else `nil`.
    package static func allergyCode(code: String?, text: String?, system: String?) -> String? {
        let haystack = [code, text].compactMap { $0 }.joined(separator: " ").lowercased()
        let coliMarkers = ["e-coli", "e. coli", "e.coli", "e coli", "escherichia"]
        if coliMarkers.contains(where: haystack.contains) { return "e-coli-derived-protein" }
        if let code, let drug = ObservationCodes.rxnorm[code], isRxNormSystem(system) || system == nil {
            return drug.name
        }
        for candidate in [text, code].compactMap({ $0 }) {
            let drug = ObservationCodes.drug(fromText: candidate)
            if Drug.known.contains(drug) { return drug.name }
        }
        return nil
    }

    /// HL7 v2 (`RXNORM`, `RxNorm`, `RXN`) and FHIR (`http://www.nlm.nih.gov/research/umls/rxnorm`) names of RxNorm.
    package static func isRxNormSystem(_ system: String?) -> Bool {
        guard let system else { return false }
        let s = system.lowercased()
        return s == "rxnorm" || s == "rxn" || s == "http://www.nlm.nih.gov/research/umls/rxnorm"
    }

    /// Routes by HL7 table 0162 code, SNOMED CT code or text.
    package static func route(_ codeOrText: String) -> Route? {
        switch codeOrText.trimmingWhitespace().lowercased() {
        case "iv", "ivp", "ivpb", "ivss", "iv push", "iv piggyback", "intravenous", "intravenous route", "47625008": .iv
        case "sc", "sq", "subq", "subcut", "sub-q", "subcutaneous", "subcutaneous route", "34206005": .sc
        case "po", "oral", "by mouth", "oral route", "26643006": .po
        default: nil
        }
    }
}
