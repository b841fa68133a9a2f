// Anakinra protocols as data (clinical-spec.md §1, §2, Part A A5–A7).
//
// One value per institutional protocol (seed Table 1) or published regimen (seed Table 2).
// Values are decoded from the protocol files shipped by `ProtocolCatalog` (or a site's own
// directory) and validated as they are decoded, so an `AnakinraProtocol` that exists is
// internally consistent. Every clinically meaningful value carries its status (V/C/U/IMPL)
// and, where it differs from the protocol's, its own evidence string.

/// An anakinra protocol: indications, dose, frequency, routes, caps, rounding, escalation,
/// taper and the notes a pharmacist needs.
package struct AnakinraProtocol: Sendable, Hashable {
    /// The file format version this build reads.
    package static let currentFormatVersion = 1

    /// File format version (must be ``currentFormatVersion``).
    package var formatVersion: Int
    /// Stable id, lower-case kebab (`childrens-national`, `st-jude`, `park-prophylaxis`).
    package var id: String
    /// Display name (institution or regimen).
    package var name: String
    /// Short label for tables (`CNH`, `St. Jude`).
    package var shortName: String
    package var kind: ProtocolKind
    package var population: ProtocolPopulation
    /// Where the protocol comes from, e.g. `seed Table 1 row CNH`.
    package var evidence: String
    package var indications: [ProtocolIndication]
    package var dose: ProtocolDose
    package var frequency: ProtocolFrequency
    package var routes: ProtocolRoutes
    package var caps: ProtocolCaps
    package var rounding: ProtocolRounding
    package var escalation: ProtocolEscalation
    package var reassessment: ProtocolReassessment
    package var taper: ProtocolTaper
    package var duration: ProtocolDuration
    /// Anakinra is the last agent weaned: no taper while a corticosteroid is active (A7).
    package var lastAgentWeaned: ProtocolFlag
    /// IEC-HS/carHLH criteria set used with this protocol (A4; default `astct-2023`).
    package var iecHsCriteria: IECHSCriteriaSet
    /// Other regimens the source states (MUSC fixed 100 mg daily, Gazeau 100–200 mg/day).
    package var alternativeRegimens: [AlternativeRegimen]
    /// Free-text notes for the pharmacist.
    package var notes: [String]
    /// Each ambiguity of the source and what ToxWatch chose.
    package var choices: [ProtocolChoice]

    package init(
        formatVersion: Int,
        id: String,
        name: String,
        shortName: String,
        kind: ProtocolKind,
        population: ProtocolPopulation,
        evidence: String,
        indications: [ProtocolIndication],
        dose: ProtocolDose,
        frequency: ProtocolFrequency,
        routes: ProtocolRoutes,
        caps: ProtocolCaps,
        rounding: ProtocolRounding,
        escalation: ProtocolEscalation,
        reassessment: ProtocolReassessment,
        taper: ProtocolTaper,
        duration: ProtocolDuration,
        lastAgentWeaned: ProtocolFlag,
        iecHsCriteria: IECHSCriteriaSet,
        alternativeRegimens: [AlternativeRegimen],
        notes: [String],
        choices: [ProtocolChoice]
    ) {
        self.formatVersion = formatVersion
        self.id = id
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.population = population
        self.evidence = evidence
        self.indications = indications
        self.dose = dose
        self.frequency = frequency
        self.routes = routes
        self.caps = caps
        self.rounding = rounding
        self.escalation = escalation
        self.reassessment = reassessment
        self.taper = taper
        self.duration = duration
        self.lastAgentWeaned = lastAgentWeaned
        self.iecHsCriteria = iecHsCriteria
        self.alternativeRegimens = alternativeRegimens
        self.notes = notes
        self.choices = choices
    }

    /// Whether `id` is lower-case kebab: `[a-z0-9]+(-[a-z0-9]+)*`, at most 64 characters.
    package static func isValidId(_ id: String) -> Bool {
        guard !id.isEmpty, id.count <= 64, !id.hasPrefix("-"), !id.hasSuffix("-"), !id.contains("--") else {
            return false
        }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// The primary regimen (the protocol's `dose` and `frequency`).
    package var primaryRegimen: DosingRegimen {
        DosingRegimen(id: nil, dose: dose, frequency: frequency, taper: taper)
    }

    /// The regimen with `id`, or the primary regimen for `nil`.
    package func regimen(id: String?) -> DosingRegimen? {
        guard let id else { return primaryRegimen }
        guard let alternative = alternativeRegimens.first(where: { $0.id == id }) else { return nil }
        return DosingRegimen(
            id: alternative.id,
            dose: alternative.dose,
            frequency: alternative.frequency,
            taper: alternative.taper ?? taper
        )
    }

    /// The source tag outputs cite for a value with `status` (`policy` for IMPL values).
    package func sourceTag(_ status: EvidenceStatus, evidence specific: String? = nil) -> String {
        status.sourceTag(evidence: specific ?? evidence)
    }
}

/// A dose and frequency that can be calculated: the primary regimen or an alternative one.
package struct DosingRegimen: Sendable, Hashable {
    /// `nil` for the primary regimen.
    package var id: String?
    package var dose: ProtocolDose
    package var frequency: ProtocolFrequency
    package var taper: ProtocolTaper
}

/// Whether a protocol is an institution's practice or a regimen from a publication.
package enum ProtocolKind: String, Sendable, Hashable, CaseIterable {
    /// An institution's protocol (seed Table 1, or a site's own file).
    case institutional
    /// A regimen from a published study (seed Table 2).
    case publishedRegimen = "published-regimen"
}

/// The population a protocol was written for.
package enum ProtocolPopulation: String, Sendable, Hashable, CaseIterable {
    case pediatric
    case adult
    case pediatricAndYoungAdult = "pediatric-and-young-adult"
}

/// A boolean protocol value with its status.
package struct ProtocolFlag: Sendable, Hashable {
    package var value: Bool
    package var status: EvidenceStatus

    package init(value: Bool, status: EvidenceStatus) {
        self.value = value
        self.status = status
    }
}

/// An ambiguity in the source and what ToxWatch chose (recorded so it can be reviewed).
package struct ProtocolChoice: Sendable, Hashable {
    package var ambiguity: String
    package var choice: String
    package var status: EvidenceStatus

    package init(
        ambiguity: String,
        choice: String,
        status: EvidenceStatus
    ) {
        self.ambiguity = ambiguity
        self.choice = choice
        self.status = status
    }
}
