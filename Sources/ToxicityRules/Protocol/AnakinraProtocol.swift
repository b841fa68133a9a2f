// Anakinra protocols as data (clinical-spec.md §1, §2, Part A A5–A7).
//
// One value per institutional protocol (seed Table 1) or published regimen (seed Table 2).
// Values are decoded from the protocol files shipped by `ProtocolCatalog` (or a site's own
// directory) and validated as they are decoded, so an `AnakinraProtocol` that exists is
// internally consistent. Every clinically meaningful value carries its status (V/C/U/IMPL)
// and, where it differs from the protocol's, its own evidence string.

/// An anakinra protocol: indications, dose, frequency, routes, caps, rounding, escalation,
/// taper and the notes a pharmacist needs.
package struct AnakinraProtocol: Sendable, Hashable, Codable {
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

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case formatVersion, id, name, shortName, kind, population, evidence, indications, dose, frequency, routes, caps
        case rounding, escalation, reassessment, taper, duration, lastAgentWeaned, iecHsCriteria, alternativeRegimens
        case notes, choices
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        formatVersion = try c.integer(.formatVersion, in: 1...Int.max)
        guard formatVersion == Self.currentFormatVersion else {
            throw c.error(
                .formatVersion,
                "\(formatVersion) is not supported (this build reads \(Self.currentFormatVersion))"
            )
        }
        id = try c.string(.id)
        guard Self.isValidId(id) else {
            throw c.error(.id, "\"\(id)\" must be lower-case letters, digits and single hyphens")
        }
        name = try c.string(.name)
        shortName = try c.string(.shortName)
        kind = try c.enumeration(.kind)
        population = try c.enumeration(.population)
        evidence = try c.string(.evidence)
        indications = try c.required(.indications)
        guard !indications.isEmpty else { throw c.error(.indications, "must list at least one indication") }
        dose = try c.required(.dose)
        frequency = try c.required(.frequency)
        routes = try c.required(.routes)
        caps = try c.required(.caps)
        rounding = try c.required(.rounding)
        escalation = try c.required(.escalation)
        reassessment = try c.required(.reassessment)
        taper = try c.required(.taper)
        duration = try c.required(.duration)
        lastAgentWeaned = try c.required(.lastAgentWeaned)
        iecHsCriteria = try c.optionalEnumeration(.iecHsCriteria) ?? .astct2023
        alternativeRegimens = try c.optional(.alternativeRegimens) ?? []
        notes = try c.optional(.notes) ?? []
        choices = try c.optional(.choices) ?? []
        try validateConsistency(c)
    }

    /// Cross-field rules that no single field can check.
    private func validateConsistency(_ c: StrictKeyedContainer<CodingKeys>) throws {
        if escalation.rule == .toPerDoseCap, caps.perDoseMg == nil {
            throw c.error(.escalation, "rule to-per-dose-cap requires caps.perDoseMg")
        }
        if let perDose = caps.perDoseMg, let daily = caps.dailyMg, perDose > daily {
            throw c.error(.caps, "perDoseMg \(perDose) must be ≤ dailyMg \(daily)")
        }
        var seen: Set<String> = []
        for (index, regimen) in alternativeRegimens.enumerated() {
            guard seen.insert(regimen.id).inserted else {
                throw ProtocolValidationError(
                    field: "alternativeRegimens[\(index)].id",
                    message: "\"\(regimen.id)\" is used twice"
                )
            }
        }
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
package enum ProtocolKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// An institution's protocol (seed Table 1, or a site's own file).
    case institutional
    /// A regimen from a published study (seed Table 2).
    case publishedRegimen = "published-regimen"
}

/// The population a protocol was written for.
package enum ProtocolPopulation: String, Sendable, Hashable, CaseIterable, Codable {
    case pediatric
    case adult
    case pediatricAndYoungAdult = "pediatric-and-young-adult"
}

/// A boolean protocol value with its status.
package struct ProtocolFlag: Sendable, Hashable, Codable {
    package var value: Bool
    package var status: EvidenceStatus

    package init(value: Bool, status: EvidenceStatus) {
        self.value = value
        self.status = status
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case value, status }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        value = try c.required(.value)
        status = try c.enumeration(.status)
    }
}

/// An ambiguity in the source and what ToxWatch chose (recorded so it can be reviewed).
package struct ProtocolChoice: Sendable, Hashable, Codable {
    package var ambiguity: String
    package var choice: String
    package var status: EvidenceStatus

    enum CodingKeys: String, CodingKey, CaseIterable { case ambiguity, choice, status }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        ambiguity = try c.string(.ambiguity)
        choice = try c.string(.choice)
        status = try c.enumeration(.status)
    }
}
