// A protocol's escalation and reassessment rules (clinical-spec A7).

/// How the dose is raised when the grade has not fallen after the reassessment window (A7).
package struct ProtocolEscalation: Sendable, Hashable {
    package var rule: EscalationRule
    /// Optional bound on escalated doses only (not a hard cap on prescribed doses): an
    /// escalation never goes above this many mg/kg/day. Unset in the shipped files (A7 literal);
    /// a site can set it, e.g. 10 for `to-per-dose-cap` in small children.
    package var maxMgPerKgPerDay: ExactAmount?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        rule: EscalationRule,
        maxMgPerKgPerDay: ExactAmount?,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.rule = rule
        self.maxMgPerKgPerDay = maxMgPerKgPerDay
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// Escalation arithmetic (A5, A7).
package enum EscalationRule: String, Sendable, Hashable, CaseIterable {
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
package struct ProtocolReassessment: Sendable, Hashable {
    package var hours: HoursRange
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        hours: HoursRange,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.hours = hours
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}
