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

// MARK: - Indications

/// One situation in which the protocol gives anakinra, and its line of therapy.
package struct ProtocolIndication: Sendable, Hashable, Codable {
    package var toxicity: IndicationToxicity
    package var line: LineOfTherapy
    /// Lowest grade of `toxicity` at which the indication applies (`nil`: any grade / not stated).
    package var minimumGrade: Int?
    /// CAR T-cell antigen targets the centre states (`CD19`, `CD22`); empty when not stated.
    package var antigenTargets: [String]
    /// Whether a corticosteroid must accompany anakinra, and how.
    package var corticosteroid: CorticosteroidRequirement?
    /// Seattle CRS: the grade has persisted this many hours after the first tocilizumab dose.
    package var persistingHoursAfterFirstTocilizumab: Int?
    /// Seattle CRS: started before a second tocilizumab dose.
    package var beforeSecondTocilizumab: Bool
    /// Oliai: CRS without ICANS.
    package var withoutIcans: Bool
    /// NIH: isolated, late-onset toxicity with no fever and no hypotension.
    package var isolatedLateOnset: Bool
    /// Park prophylaxis: start on this day after infusion …
    package var fromDayAfterInfusion: Int?
    /// … or earlier, after this many documented fevers.
    package var orAfterFeverCount: Int?
    /// `false` when the source gives no dose for this indication (MUSC ICANS/carHLH): the
    /// recommendation carries `dose-not-specified-by-protocol` and offers the protocol's dose.
    package var doseSpecified: Bool
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case toxicity, line, minimumGrade, antigenTargets, corticosteroid, persistingHoursAfterFirstTocilizumab
        case beforeSecondTocilizumab, withoutIcans, isolatedLateOnset, fromDayAfterInfusion, orAfterFeverCount
        case doseSpecified, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        toxicity = try c.enumeration(.toxicity)
        line = try c.enumeration(.line)
        minimumGrade = try c.optionalInteger(.minimumGrade, in: 1...4)
        antigenTargets = try c.optional(.antigenTargets) ?? []
        corticosteroid = try c.optionalEnumeration(.corticosteroid)
        persistingHoursAfterFirstTocilizumab = try c.optionalInteger(.persistingHoursAfterFirstTocilizumab, in: 1...168)
        beforeSecondTocilizumab = try c.optional(.beforeSecondTocilizumab) ?? false
        withoutIcans = try c.optional(.withoutIcans) ?? false
        isolatedLateOnset = try c.optional(.isolatedLateOnset) ?? false
        fromDayAfterInfusion = try c.optionalInteger(.fromDayAfterInfusion, in: 0...365)
        orAfterFeverCount = try c.optionalInteger(.orAfterFeverCount, in: 1...20)
        doseSpecified = try c.optional(.doseSpecified) ?? true
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        if line == .prophylaxis, fromDayAfterInfusion == nil {
            throw c.error(.fromDayAfterInfusion, "is required for line prophylaxis")
        }
    }
}

/// What anakinra is given for.
package enum IndicationToxicity: String, Sendable, Hashable, CaseIterable, Codable {
    case crs
    case icans
    /// IEC-HS / carHLH.
    case iecHs = "iec-hs"
    /// CHOP: prolonged refractory thrombocytopenia after CD22 CAR T-cells (clinician-coded).
    case prolongedRefractoryThrombocytopenia = "prolonged-refractory-thrombocytopenia"
}

/// Where anakinra sits relative to tocilizumab and corticosteroids.
package enum LineOfTherapy: String, Sendable, Hashable, CaseIterable, Codable {
    /// Before any toxicity (Park: from day +2).
    case prophylaxis
    /// First agent for the indication (St. Jude carHLH, NIH isolated late carHLH, Oliai).
    case firstLine = "first-line"
    /// Started together with a corticosteroid (Seattle severe ICANS).
    case concurrentWithCorticosteroid = "concurrent-with-corticosteroid"
    /// After a first tocilizumab dose and a corticosteroid, before tocilizumab is repeated (Seattle CRS).
    case afterFirstTocilizumabAndCorticosteroid = "after-first-tocilizumab-and-corticosteroid"
    /// After non-response to tocilizumab and corticosteroids (CNH, CHOP, MUSC; A6).
    case refractoryToTocilizumabAndCorticosteroid = "refractory-to-tocilizumab-and-corticosteroid"
    /// After non-response to corticosteroids (Gazeau, Wehrli ICANS).
    case refractoryToCorticosteroid = "refractory-to-corticosteroid"
    /// After non-response to tocilizumab (Gazeau CRS).
    case refractoryToTocilizumab = "refractory-to-tocilizumab"
    /// Given with tocilizumab (Jatiani).
    case withTocilizumab = "with-tocilizumab"
    /// The source states no line.
    case notStated = "not-stated"
}

/// How a corticosteroid must accompany anakinra for an indication.
package enum CorticosteroidRequirement: String, Sendable, Hashable, CaseIterable, Codable {
    /// A corticosteroid has been administered.
    case given
    /// A corticosteroid has been administered or ordered (Seattle ICANS).
    case givenOrOrdered = "given-or-ordered"
    /// Recommended with anakinra when the patient is more severely affected (NIH, St. Jude).
    case ifSevere = "if-severe"
}

// MARK: - Dose

/// How the protocol expresses its dose.
package enum DoseBasis: String, Sendable, Hashable, CaseIterable, Codable {
    case perDoseMgPerKg
    case perDayMgPerKg
    case perDoseMg
    case perDayMg

    /// Whether the amount is multiplied by the weight.
    package var isWeightBased: Bool { self == .perDoseMgPerKg || self == .perDayMgPerKg }
    /// Whether the amount is for a day, divided by the doses per day.
    package var isPerDay: Bool { self == .perDayMgPerKg || self == .perDayMg }

    /// The unit of the amount: `mg/kg/dose`, `mg/kg/day`, `mg/dose`, `mg/day`.
    package var unit: String {
        switch self {
        case .perDoseMgPerKg: "mg/kg/dose"
        case .perDayMgPerKg: "mg/kg/day"
        case .perDoseMg: "mg/dose"
        case .perDayMg: "mg/day"
        }
    }

    /// Plausibility ceiling for an amount in this basis (a typo guard, not a clinical cap).
    var plausibleMaximum: Int {
        switch self {
        case .perDoseMgPerKg, .perDayMgPerKg: 50
        case .perDoseMg, .perDayMg: 2000
        }
    }
}

/// A dose amount: one value, or a range with the dose for the severely ill inside it.
///
/// clinical-spec A5: start at `low` for the "less ill" branch, at `severe` for grade ≥ 3;
/// `high` is the escalation ceiling. A single number sets all three.
package struct DoseAmount: Sendable, Hashable, CustomStringConvertible {
    package var low: ExactAmount
    package var severe: ExactAmount
    package var high: ExactAmount

    package init(low: ExactAmount, severe: ExactAmount, high: ExactAmount) {
        self.low = low
        self.severe = severe
        self.high = high
    }

    /// One amount, no range.
    package init(_ value: ExactAmount) { self.init(low: value, severe: value, high: value) }

    package var isRange: Bool { low != high }

    package var description: String {
        guard isRange else { return "\(low)" }
        return severe == low ? "\(low)–\(high)" : "\(low)–\(high) (severe \(severe))"
    }
}

/// The protocol's dose: exactly one basis key (`perDoseMgPerKg`, `perDayMgPerKg`, `perDoseMg`,
/// `perDayMg`) holding a number or `{ "low", "severe"?, "high" }`.
package struct ProtocolDose: Sendable, Hashable, Codable {
    package var basis: DoseBasis
    package var amount: DoseAmount
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        basis: DoseBasis,
        amount: DoseAmount,
        status: EvidenceStatus,
        evidence: String? = nil,
        note: String? = nil
    ) {
        self.basis = basis
        self.amount = amount
        self.status = status
        self.evidence = evidence
        self.note = note
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        (basis, amount) = try Self.decodeAmount(c)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }

    /// Decodes the single basis key of a dose or taper step.
    static func decodeAmount<K: CodingKey & CaseIterable>(_ c: StrictKeyedContainer<K>) throws -> (
        DoseBasis, DoseAmount
    ) {
        let present = DoseBasis.allCases.compactMap { basis in
            K.allCases.first { $0.stringValue == basis.rawValue }.flatMap { c.has($0) ? (basis, $0) : nil }
        }
        guard let (basis, key) = present.first else {
            throw ProtocolValidationError(
                codingPath: c.codingPath,
                message: "one of perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg is required"
            )
        }
        guard present.count == 1 else {
            throw c.error(present[1].1, "only one of \(present.map(\.0.rawValue).joined(separator: ", ")) may be given")
        }
        let amount: DoseAmount
        do {
            let single = try c.container.decode(ExactAmount.self, forKey: key)
            guard single > 0 else { throw c.error(key, "\(single) must be > 0") }
            amount = DoseAmount(single)
        } catch DecodingError.typeMismatch {
            // Not a number: a range object.
            do {
                amount = try DoseRange(from: try c.container.superDecoder(forKey: key)).amount
            } catch DecodingError.typeMismatch {
                throw c.error(key, "must be a number or an object {\"low\", \"severe\"?, \"high\"}")
            }
        }
        guard amount.high <= basis.plausibleMaximum else {
            throw c.error(key, "\(amount.high) \(basis.unit) is implausible (must be ≤ \(basis.plausibleMaximum))")
        }
        return (basis, amount)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try Self.encodeAmount(basis: basis, amount: amount, into: &c)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }

    static func encodeAmount<K: CodingKey & CaseIterable>(
        basis: DoseBasis,
        amount: DoseAmount,
        into c: inout KeyedEncodingContainer<K>
    ) throws {
        guard let key = K.allCases.first(where: { $0.stringValue == basis.rawValue }) else { return }
        if amount.isRange || amount.severe != amount.low {
            try c.encode(DoseRange(amount: amount), forKey: key)
        } else {
            try c.encode(amount.low, forKey: key)
        }
    }
}

/// `{ "low": 8, "severe": 8, "high": 10 }` in a protocol file.
struct DoseRange: Codable {
    var amount: DoseAmount

    init(amount: DoseAmount) { self.amount = amount }

    enum CodingKeys: String, CodingKey, CaseIterable { case low, severe, high }

    init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        let low = try c.positiveAmount(.low)
        let high = try c.positiveAmount(.high)
        let severe = try c.optionalPositiveAmount(.severe) ?? low
        guard low <= high else { throw c.error(.high, "\(high) must be ≥ low (\(low))") }
        guard severe >= low, severe <= high else {
            throw c.error(.severe, "\(severe) must lie between low (\(low)) and high (\(high))")
        }
        amount = DoseAmount(low: low, severe: severe, high: high)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(amount.low, forKey: .low)
        try c.encode(amount.severe, forKey: .severe)
        try c.encode(amount.high, forKey: .high)
    }
}

// MARK: - Frequency, routes, caps, rounding

/// The protocol's dosing frequency.
package struct ProtocolFrequency: Sendable, Hashable, Codable {
    /// The frequency used when the prescriber gives none; `nil` when the source states none
    /// (CHOP): the result then has alert `frequency-required` and the ``options`` computed.
    package var `default`: DoseFrequency?
    /// Frequencies within the protocol (others get warning `frequency-outside-protocol`).
    package var allowed: [DoseFrequency]
    /// Frequencies computed for the prescriber when there is no default.
    package var options: [DoseFrequency]
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case `default`, allowed, options, status, evidence, note }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        `default` = try c.optionalEnumeration(.default)
        allowed = try c.enumerations(.allowed)
        options = c.has(.options) ? try c.enumerations(.options) : []
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        guard !allowed.isEmpty else { throw c.error(.allowed, "must list at least one frequency") }
        if allowed.contains(.q48h) || options.contains(.q48h) || `default` == .q48h {
            throw c.error(.allowed, "Q48H is only available as a clinician's renal override, never in a protocol")
        }
        if let value = `default`, !allowed.contains(value) {
            throw c.error(
                .default,
                "\(value.rawValue) must be one of allowed (\(allowed.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        if `default` == nil, options.isEmpty {
            throw c.error(.options, "is required when there is no default frequency")
        }
        if let outside = options.first(where: { !allowed.contains($0) }) {
            throw c.error(.options, "\(outside.rawValue) must also be in allowed")
        }
    }
}

/// Routes the protocol allows.
package struct ProtocolRoutes: Sendable, Hashable, Codable {
    package var allowed: [Route]
    package var preferred: Route
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case allowed, preferred, status, evidence, note }

    /// Anakinra is given IV or SC only.
    static let anakinraRoutes: [Route] = [.iv, .sc]

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        let allowedRaw = try c.required(.allowed, as: [String].self)
        var allowed: [Route] = []
        for (index, raw) in allowedRaw.enumerated() {
            guard let route = Route(rawValue: raw), Self.anakinraRoutes.contains(route) else {
                throw ProtocolValidationError(
                    codingPath: c.codingPath + [CodingKeys.allowed, AnyProtocolKey(intValue: index)],
                    message: "unknown route \"\(raw)\" (expected IV or SC)"
                )
            }
            allowed.append(route)
        }
        guard !allowed.isEmpty else { throw c.error(.allowed, "must list at least one route") }
        let preferredRaw = try c.string(.preferred)
        guard let preferred = Route(rawValue: preferredRaw), allowed.contains(preferred) else {
            throw c.error(
                .preferred,
                "\"\(preferredRaw)\" must be one of allowed (\(allowed.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self.allowed = allowed
        self.preferred = preferred
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(allowed.map(\.rawValue), forKey: .allowed)
        try c.encode(preferred.rawValue, forKey: .preferred)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

/// The protocol's own hard caps. Absent caps are not invented: above the seed's common
/// maximum (100 mg/dose, 400 mg/day) a dose carries warning `above-common-cap` instead (A5).
package struct ProtocolCaps: Sendable, Hashable, Codable {
    package var perDoseMg: Int?
    package var dailyMg: Int?
    package var mgPerKgPerDay: ExactAmount?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        perDoseMg: Int? = nil,
        dailyMg: Int? = nil,
        mgPerKgPerDay: ExactAmount? = nil,
        status: EvidenceStatus,
        evidence: String? = nil,
        note: String? = nil
    ) {
        self.perDoseMg = perDoseMg
        self.dailyMg = dailyMg
        self.mgPerKgPerDay = mgPerKgPerDay
        self.status = status
        self.evidence = evidence
        self.note = note
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case perDoseMg, dailyMg, mgPerKgPerDay, status, evidence, note }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        perDoseMg = try Self.wholeMg(c, .perDoseMg)
        dailyMg = try Self.wholeMg(c, .dailyMg)
        mgPerKgPerDay = try c.optionalPositiveAmount(.mgPerKgPerDay)
        if let ceiling = mgPerKgPerDay, ceiling > DoseBasis.perDayMgPerKg.plausibleMaximum {
            throw c.error(.mgPerKgPerDay, "\(ceiling) mg/kg/day is implausible (must be ≤ 50)")
        }
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }

    private static func wholeMg(_ c: StrictKeyedContainer<CodingKeys>, _ key: CodingKeys) throws -> Int? {
        guard let value = try c.optional(key, as: ExactAmount.self) else { return nil }
        guard value > 0 else { throw c.error(key, "\(value) must be > 0") }
        guard value.isWhole else { throw c.error(key, "\(value) must be a whole number of mg") }
        guard value <= 10_000 else { throw c.error(key, "\(value) mg is implausible (must be ≤ 10000)") }
        return Int(value.numerator)
    }

    /// Whether the protocol states any hard cap.
    package var statesAnyCap: Bool { perDoseMg != nil || dailyMg != nil || mgPerKgPerDay != nil }
}

/// How a computed dose is rounded.
package struct ProtocolRounding: Sendable, Hashable, Codable {
    package var rule: RoundingRule
    /// Syringe size for `whole-syringe` (100 mg).
    package var syringeMg: Int?
    /// How far a whole number of syringes may lie from the computed dose, in percent (10).
    package var tolerancePercent: Int?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case rule, syringeMg, tolerancePercent, status, evidence, note }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        rule = try c.enumeration(.rule)
        syringeMg = try c.optionalInteger(.syringeMg, in: 1...1000)
        tolerancePercent = try c.optionalInteger(.tolerancePercent, in: 0...50)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        if rule == .wholeSyringe {
            guard syringeMg != nil else { throw c.error(.syringeMg, "is required for rule whole-syringe") }
            guard tolerancePercent != nil else {
                throw c.error(.tolerancePercent, "is required for rule whole-syringe")
            }
        }
    }
}

/// Dose rounding rules (A5).
package enum RoundingRule: String, Sendable, Hashable, CaseIterable, Codable {
    /// Nearest 1 mg, half up (IMPL).
    case nearestMg = "nearest-mg"
    /// St. Jude "nearest vial": a whole number of syringes within the tolerance and under every
    /// cap, otherwise the 1 mg-rounded dose with alert `rounding-confirmation-required` (IMPL).
    case wholeSyringe = "whole-syringe"
}

// MARK: - Escalation, reassessment

/// How the dose is raised when the grade has not fallen after the reassessment window (A7).
package struct ProtocolEscalation: Sendable, Hashable, Codable {
    package var rule: EscalationRule
    /// Optional bound on escalated doses only (not a hard cap on prescribed doses): an
    /// escalation never goes above this many mg/kg/day. Unset in the shipped files (A7 literal);
    /// a site can set it, e.g. 10 for `to-per-dose-cap` in small children.
    package var maxMgPerKgPerDay: ExactAmount?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case rule, maxMgPerKgPerDay, status, evidence, note }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        rule = try c.enumeration(.rule)
        maxMgPerKgPerDay = try c.optionalPositiveAmount(.maxMgPerKgPerDay)
        if let bound = maxMgPerKgPerDay, bound > DoseBasis.perDayMgPerKg.plausibleMaximum {
            throw c.error(.maxMgPerKgPerDay, "\(bound) mg/kg/day is implausible (must be ≤ 50)")
        }
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }
}

/// Escalation arithmetic (A5, A7).
package enum EscalationRule: String, Sendable, Hashable, CaseIterable, Codable {
    /// CHOP: double the daily dose, up to the range high end, the mg/kg/day ceiling and the daily cap.
    case doubleDailyDose = "double-daily-dose"
    /// CNH, Seattle: the per-dose cap at the same frequency, within the daily cap (IMPL).
    case toPerDoseCap = "to-per-dose-cap"
    /// Ranges (NIH, Table 2): the high end of the dose range (A5).
    case toRangeHigh = "to-range-high"
    /// No escalation: hold with alert `at-protocol-ceiling`.
    case none
}

/// How long to wait before judging response (A7: default 24 h; MUSC 48–72 h).
package struct ProtocolReassessment: Sendable, Hashable, Codable {
    package var hours: HoursRange
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case hours, status, evidence, note }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        hours = try c.required(.hours)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }
}

// MARK: - Taper and duration

/// When and how anakinra is weaned (A7).
package struct ProtocolTaper: Sendable, Hashable, Codable {
    package var trigger: TaperTrigger
    package var method: TaperMethod
    /// `lengthen-interval`: the intervals to step through (each step moves to the next longer
    /// interval in this list, same mg per dose; after the last, stop).
    package var intervals: [DoseFrequency]
    /// `dose-steps`: explicit steps (MUSC 2 mg/kg Q12H); after the last, stop.
    package var steps: [TaperDoseStep]
    /// Time on each step unless the step says otherwise (default steps: 24 h).
    package var stepHours: HoursRange
    /// Taper length the source states (CNH 3–7 d).
    package var lengthDays: DaysRange?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trigger, method, intervals, steps, stepHours, lengthDays, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        trigger = try c.required(.trigger)
        method = try c.enumeration(.method)
        intervals = c.has(.intervals) ? try c.enumerations(.intervals) : []
        steps = try c.optional(.steps) ?? []
        stepHours = try c.required(.stepHours)
        lengthDays = try c.optional(.lengthDays)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        switch method {
        case .lengthenInterval:
            guard !intervals.isEmpty else { throw c.error(.intervals, "is required for method lengthen-interval") }
            guard intervals == intervals.sorted(), Set(intervals).count == intervals.count else {
                throw c.error(.intervals, "must be strictly increasing intervals (e.g. Q8H, Q12H, Q24H)")
            }
            guard !intervals.contains(.q48h) else {
                throw c.error(.intervals, "Q48H is only available as a clinician's renal override")
            }
            guard steps.isEmpty else { throw c.error(.steps, "must be empty for method lengthen-interval") }
        case .doseSteps:
            guard !steps.isEmpty else { throw c.error(.steps, "is required for method dose-steps") }
            guard intervals.isEmpty else { throw c.error(.intervals, "must be empty for method dose-steps") }
        case .stopWithoutTaper:
            guard steps.isEmpty, intervals.isEmpty else {
                throw c.error(.method, "stop-without-taper takes no intervals or steps")
            }
        }
    }
}

/// Taper methods.
package enum TaperMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Same mg per dose, longer interval each step (A7 default: Q6H → Q8H → Q12H → Q24H → stop).
    case lengthenInterval = "lengthen-interval"
    /// Explicit reduced doses (MUSC: 4 → 2 mg/kg Q12H for 2–3 days, then stop).
    case doseSteps = "dose-steps"
    /// Stop when the trigger holds, no taper (Oliai: until ICANS ≤ 1).
    case stopWithoutTaper = "stop-without-taper"
}

/// One explicit taper step: a dose in one basis key and a frequency.
package struct TaperDoseStep: Sendable, Hashable, Codable {
    package var basis: DoseBasis
    package var amount: ExactAmount
    package var frequency: DoseFrequency
    /// Time on this step; `nil` uses the taper's `stepHours`.
    package var hours: HoursRange?

    package init(basis: DoseBasis, amount: ExactAmount, frequency: DoseFrequency, hours: HoursRange? = nil) {
        self.basis = basis
        self.amount = amount
        self.frequency = frequency
        self.hours = hours
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, frequency, hours
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        let (basis, range) = try ProtocolDose.decodeAmount(c)
        guard !range.isRange else {
            throw ProtocolValidationError(
                codingPath: c.codingPath + [AnyProtocolKey(stringValue: basis.rawValue)],
                message: "a taper step takes one amount, not a range"
            )
        }
        self.basis = basis
        amount = range.low
        frequency = try c.enumeration(.frequency)
        guard frequency != .q48h else {
            throw c.error(.frequency, "Q48H is only available as a clinician's renal override")
        }
        hours = try c.optional(.hours)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try ProtocolDose.encodeAmount(basis: basis, amount: DoseAmount(amount), into: &c)
        try c.encode(frequency, forKey: .frequency)
        try c.encodeIfPresent(hours, forKey: .hours)
    }
}

/// What starts the taper (A7).
package struct TaperTrigger: Sendable, Hashable, Codable {
    package var kind: TaperTriggerKind
    /// `grade-at-most`: the grade threshold (CNH, Seattle: 2; Oliai: 1).
    package var grade: Int?
    /// `grade-at-most`: which toxicities must be at or below `grade`.
    package var scope: TaperTriggerScope?
    /// How long the condition must hold before the taper starts (A7: 24 h).
    package var holdHours: Int?
    /// `improving`: judged after this window of initial dosing (MUSC 48–72 h).
    package var afterHours: HoursRange?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, grade, scope, holdHours, afterHours, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        kind = try c.enumeration(.kind)
        grade = try c.optionalInteger(.grade, in: 0...4)
        scope = try c.optionalEnumeration(.scope)
        holdHours = try c.optionalInteger(.holdHours, in: 0...336)
        afterHours = try c.optional(.afterHours)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        switch kind {
        case .gradeAtMost:
            guard grade != nil else { throw c.error(.grade, "is required for kind grade-at-most") }
            guard scope != nil else { throw c.error(.scope, "is required for kind grade-at-most") }
        case .improving:
            guard afterHours != nil else { throw c.error(.afterHours, "is required for kind improving") }
        case .improvingOrStable, .notStated:
            break
        }
    }
}

/// Kinds of taper trigger.
package enum TaperTriggerKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The toxicities in `scope` are at or below `grade` (or resolved).
    case gradeAtMost = "grade-at-most"
    /// Clinical stability and/or improvement (St. Jude).
    case improvingOrStable = "improving-or-stable"
    /// Improving after the initial dosing window (MUSC).
    case improving
    /// The source states no trigger: tapering is prescriber-defined.
    case notStated = "not-stated"
}

/// Which toxicities a `grade-at-most` trigger looks at.
package enum TaperTriggerScope: String, Sendable, Hashable, CaseIterable, Codable {
    /// CRS and ICANS both (CNH).
    case crsAndIcans = "crs-and-icans"
    /// The toxicity anakinra was started for (Seattle).
    case indicatingToxicity = "indicating-toxicity"
    /// ICANS only (Oliai).
    case icans
}

/// Expected course length.
package struct ProtocolDuration: Sendable, Hashable, Codable {
    /// Total course including taper.
    package var totalDays: DaysRange?
    /// Initial full dosing before a taper may start (MUSC 48–72 h).
    package var initialHours: HoursRange?
    /// The source's wording.
    package var text: String
    package var status: EvidenceStatus
    package var evidence: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case totalDays, initialHours, text, status, evidence }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        totalDays = try c.optional(.totalDays)
        initialHours = try c.optional(.initialHours)
        text = try c.string(.text)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
    }
}

/// Another regimen the source states beside the primary one (MUSC: 100 mg daily SC × 3–4 d,
/// then 50 mg daily with taper).
package struct AlternativeRegimen: Sendable, Hashable, Codable {
    package var id: String
    package var name: String
    package var dose: ProtocolDose
    package var frequency: ProtocolFrequency
    /// Time on the starting dose.
    package var initialHours: HoursRange?
    /// The regimen's own taper; `nil` uses the protocol's.
    package var taper: ProtocolTaper?
    /// How a prescriber chooses between regimens (often not stated).
    package var selection: String?
    package var status: EvidenceStatus
    package var evidence: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, dose, frequency, initialHours, taper, selection, status, evidence
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        id = try c.string(.id)
        guard AnakinraProtocol.isValidId(id) else {
            throw c.error(.id, "\"\(id)\" must be lower-case letters, digits and single hyphens")
        }
        name = try c.string(.name)
        dose = try c.required(.dose)
        frequency = try c.required(.frequency)
        initialHours = try c.optional(.initialHours)
        taper = try c.optional(.taper)
        selection = try c.optional(.selection)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
    }
}
