package import Foundation

// Clinical-spec §A13.12 "stale is never normal": a CRS or ICANS grade whose needed findings are past
// their freshness window is not graded (`grade: null`, flag and reason `cannot-grade`), with the last
// grade the engine could give and when; `maxGrade` is kept.

/// The last grade a syndrome had on complete data, shown while it cannot be graded (§A13.12).
package struct LastGraded: Hashable, Sendable {
    package var grade: Int
    /// When the syndrome took that grade on complete data.
    package var at: Date

    package init(grade: Int, at: Date) {
        self.grade = grade
        self.at = at
    }
}

extension ReasonCode {
    /// The findings the grade needs are past their freshness window: no grade (§A13.12).
    package static let cannotGrade: ReasonCode = "cannot-grade"
}

extension Reading {
    /// Observed, but older than its freshness window.
    var isStale: Bool {
        if case .stale = self { return true }
        return false
    }
}

extension CRSFacts {
    /// Whether the grade cannot be given because a finding it needs went stale (§A13.12): fever
    /// unknown and not waived with a stale temperature, or, with fever present or waived, an
    /// unknown hypotension or hypoxia domain whose reading is stale. A current afebrile temperature
    /// (not waived) grades 0 whatever else is stale; grade 4 on known findings is graded (nothing can
    /// raise it).
    func cannotGrade(_ core: CRSCore, feverWaived: Bool) -> Bool {
        guard core.grade < 4 else { return false }
        guard core.fever == true || feverWaived else { return core.fever == nil && temperature.isStale }
        return (!core.hypotensionKnown && systolic.isStale) || (!core.hypoxiaKnown && oxygen.isStale)
    }
}

extension ICANSFacts {
    /// Whether the grade cannot be given because a required domain went stale (§A13.12): the
    /// age-appropriate instrument or the level of consciousness unknown with a stale reading, below
    /// grade 4 and not sedated (sedation is `not-assessable-sedated`, not staleness).
    func cannotGrade(_ core: ICANSCore) -> Bool {
        guard core.grade < 4, !sedated else { return false }
        let staleInstrument =
            !core.instrumentKnown
            && ((ice.isStale && core.iceAcceptable) || (capd.isStale && core.capdAcceptable))
        return staleInstrument || (!core.consciousnessKnown && consciousness.isStale)
    }
}

extension GradeAssessment {
    /// The grade for people: the number, or "not gradable (last N at T)" (§A13.12).
    package var gradeText: String {
        if let grade { return String(grade) }
        guard let lastGraded else { return "not gradable" }
        return "not gradable (last \(lastGraded.grade) at \(lastGraded.at.formatted(.iso8601)))"
    }
}

extension GradeCourse {
    /// The latest grade on complete data at or before `t`, with the instant it took that grade.
    func lastGraded(atOrBefore t: Double) -> LastGraded? {
        guard var p = pointIndex(atOrBefore: t) else { return nil }
        while !completeness[p] {
            guard p > 0 else { return nil }
            p -= 1
        }
        return LastGraded(grade: Int(grades[p]), at: Date(timeIntervalSinceReferenceDate: times[p]))
    }
}

extension PatientTimeline {
    /// The decisive `cannot-grade` reason: the stale readings and the freshness window they passed.
    func cannotGradeReason(stale observed: CompactList<ObservedValue>, window: Double) -> Reason {
        Reason(
            code: .cannotGrade, rule: .freshness, source: .policy, decisive: true, observed: observed,
            thresholds: [
                Threshold(
                    field: "observationAgeHours", comparator: .lessThanOrEqual, value: window / 3600, unit: "h",
                    source: .policy)
            ])
    }

    /// The latest observation of a stale reading, for a `cannot-grade` reason.
    func staleObserved<V>(
        _ reading: Reading, _ field: FieldName, series: Series<V>, value: (V) -> Double?, unit: String? = nil
    ) -> ObservedValue? {
        guard reading.isStale, let i = reading.latest else { return nil }
        return observed(field, value: value(series.values[i]), unit: unit, event: series.events[i], at: series.times[i])
    }
}

extension AssessmentContext {
    /// The syndromes that cannot be graded now (§A13.12), with their assessments.
    var ungradable: [(name: String, assessment: GradeAssessment, window: Double, findings: String)] {
        let policy = timeline.policy
        return [
            ("CRS", grading.crs, policy.vitalsFreshness, "vital signs"),
            ("ICANS", grading.icans, policy.neuroFreshness, "neurological assessment"),
        ].filter { $0.assessment.grade == nil }
    }

    /// One rationale sentence per syndrome that cannot be graded: which, why, and the last grade
    /// (§A13.12: the recommendation says what cannot be graded and why).
    func cannotGradeSentences() -> [String] {
        ungradable.map { name, assessment, window, findings in
            let stale = assessment.reasons.first { $0.code == .cannotGrade }?.observed ?? []
            let fields = " (" + stale.map(\.field.rawValue).joined(separator: ", ") + ")"
            let observedAt = stale.map(\.observedAt).max().map { " (last at \($0.formatted(.iso8601)))" } ?? ""
            let last =
                assessment.lastGraded.map { "last graded \(name) \($0.grade) at \($0.at.formatted(.iso8601))" }
                ?? "no earlier grade on complete data"
            let verb = findings.hasSuffix("s") ? "are" : "is"
            return "\(name) cannot be graded: its \(findings)\(fields) \(verb) older than the "
                + "\(Int(window / 3600)) h freshness window\(observedAt); \(last). "
                + "Record a new assessment: stale findings are never taken as normal."
        }
    }
}
