// A protocol's escalation and reassessment rules (clinical-spec A7).

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
