// How a protocol's dose is given (clinical-spec A5, A8): frequency, routes, caps and rounding.

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
