// How a protocol's dose is given (clinical-spec A5, A8): frequency, routes, caps and rounding.

/// The protocol's dosing frequency.
package struct ProtocolFrequency: Sendable, Hashable {
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

    package init(
        default: DoseFrequency?,
        allowed: [DoseFrequency],
        options: [DoseFrequency],
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.default = `default`
        self.allowed = allowed
        self.options = options
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// Routes the protocol allows.
package struct ProtocolRoutes: Sendable, Hashable {
    package var allowed: [Route]
    package var preferred: Route
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        allowed: [Route],
        preferred: Route,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.allowed = allowed
        self.preferred = preferred
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// The protocol's own hard caps. Absent caps are not invented: above the seed's common
/// maximum (100 mg/dose, 400 mg/day) a dose carries warning `above-common-cap` instead (A5).
package struct ProtocolCaps: Sendable, Hashable {
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

    /// Whether the protocol states any hard cap.
    package var statesAnyCap: Bool { perDoseMg != nil || dailyMg != nil || mgPerKgPerDay != nil }
}

/// How a computed dose is rounded.
package struct ProtocolRounding: Sendable, Hashable {
    package var rule: RoundingRule
    /// Syringe size for `whole-syringe` (100 mg).
    package var syringeMg: Int?
    /// How far a whole number of syringes may lie from the computed dose, in percent (10).
    package var tolerancePercent: Int?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        rule: RoundingRule,
        syringeMg: Int?,
        tolerancePercent: Int?,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.rule = rule
        self.syringeMg = syringeMg
        self.tolerancePercent = tolerancePercent
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// Dose rounding rules (A5).
package enum RoundingRule: String, Sendable, Hashable, CaseIterable {
    /// Nearest 1 mg, half up (IMPL).
    case nearestMg = "nearest-mg"
    /// St. Jude "nearest vial": a whole number of syringes within the tolerance and under every
    /// cap, otherwise the 1 mg-rounded dose with alert `rounding-confirmation-required` (IMPL).
    case wholeSyringe = "whole-syringe"
}
