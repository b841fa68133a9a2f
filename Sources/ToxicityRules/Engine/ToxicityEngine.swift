package import Foundation

/// A CRS or ICANS grade at an instant, with what set it: the grade, the worst grade of the
/// episode, the flags, the criteria checked and the episode. Built by an ``Explainer`` (or
/// ``ToxicityEngine/grade(_:at:)``) for what is published.
package struct GradeAssessment: Hashable, Sendable {
    /// The grade at the instant assessed, from the current findings (0–5; 5 is death and is never
    /// inferred); `nil` when findings the grade needs are past their freshness window (§A13.12,
    /// flag `cannot-grade`).
    package let grade: Int?
    /// The worst grade of the current episode (or the latest one, if closed) up to the instant.
    package let maxGrade: Int
    package let flags: GradeFlags
    /// While the grade is `nil`: the last grade on complete data and when it was given.
    package let lastGraded: LastGraded?
    /// The criteria that were checked, decisive ones marked.
    package let reasons: [Reason]
    /// The current or latest episode, if there has been one.
    package let episode: EpisodeSummary?

    package init(
        grade: Int?, maxGrade: Int, reasons: [Reason], flags: GradeFlags, episode: EpisodeSummary?,
        lastGraded: LastGraded? = nil
    ) {
        self.grade = grade
        self.maxGrade = maxGrade
        self.flags = flags
        self.lastGraded = lastGraded
        self.reasons = reasons
        self.episode = episode
    }

    /// The CRS assessment of `evaluation`, its alerts added to `alerts`.
    init(_ evaluation: CRSEvaluation, timeline: PatientTimeline, alerts: inout AlertList) {
        let cannotGrade = evaluation.core.flags.contains(.cannotGrade)
        self.init(
            grade: cannotGrade ? nil : evaluation.core.grade,
            maxGrade: evaluation.maxGrade,
            reasons: timeline.explainCRS(evaluation, alerts: &alerts),
            flags: evaluation.core.flags,
            episode: evaluation.status.map { EpisodeSummary($0, startEvents: timeline.storage.eventIds) },
            lastGraded: cannotGrade ? timeline.storage.crsCourse.lastGraded(atOrBefore: evaluation.time) : nil)
    }

    /// The ICANS assessment of `evaluation`, its alerts added to `alerts`.
    init(_ evaluation: ICANSEvaluation, timeline: PatientTimeline, alerts: inout AlertList) {
        let cannotGrade = evaluation.core.flags.contains(.cannotGrade)
        self.init(
            grade: cannotGrade ? nil : evaluation.core.grade,
            maxGrade: evaluation.maxGrade,
            reasons: timeline.explainICANS(evaluation, alerts: &alerts),
            flags: evaluation.core.flags,
            episode: evaluation.status.map { EpisodeSummary($0, startEvents: timeline.storage.eventIds) },
            lastGraded: cannotGrade ? timeline.storage.icansCourse.lastGraded(atOrBefore: evaluation.time) : nil)
    }

    /// Whether a flag is set.
    package func has(_ flag: GradeFlags) -> Bool { flags.contains(flag) }

    /// The reasons with a code.
    package func reasons(_ code: ReasonCode) -> [Reason] { reasons.filter { $0.code == code } }

}

/// The IEC-HS (or carHLH, by the selected criteria) assessment at an instant, with the criteria
/// checked and the episode (built like ``GradeAssessment``).
package struct IECHSAssessment: Hashable, Sendable {
    /// Whether the selected criteria are met.
    package let present: Bool
    /// `true` while the criteria and the A4 grade rule are unverified (Hines 2023, status U).
    package let provisional: Bool
    /// The criteria set used (`astct-2023` or `cartox-2018`).
    package let criteria: IECHSCriteriaSet
    /// A4 grade: 0 absent, 1 present without directed therapy, 2 on directed therapy, 3 organ
    /// support, 4 positive pressure or dialysis.
    package let grade: Int
    package let maxGrade: Int
    package let flags: GradeFlags
    /// The criteria checked (features found and missing), decisive ones marked.
    package let reasons: [Reason]
    /// The current or latest IEC-HS episode, if there has been one.
    package let episode: EpisodeSummary?

    package init(
        present: Bool, provisional: Bool, criteria: IECHSCriteriaSet, grade: Int, maxGrade: Int, reasons: [Reason],
        flags: GradeFlags, episode: EpisodeSummary?
    ) {
        self.present = present
        self.provisional = provisional
        self.criteria = criteria
        self.grade = grade
        self.maxGrade = maxGrade
        self.flags = flags
        self.reasons = reasons
        self.episode = episode
    }

    /// The assessment of `evaluation`, its alerts added to `alerts`.
    init(_ evaluation: IECHSEvaluation, timeline: PatientTimeline, alerts: inout AlertList) {
        self.init(
            present: evaluation.present,
            provisional: !timeline.policy.iecHsCriteriaVerified,
            criteria: timeline.policy.iecHsCriteria,
            grade: evaluation.grade,
            maxGrade: evaluation.maxGrade,
            reasons: timeline.explainIECHS(evaluation, alerts: &alerts),
            flags: [],
            episode: evaluation.status.map { EpisodeSummary($0, startEvents: timeline.storage.eventIds) })
    }

    /// The reasons with a code.
    package func reasons(_ code: ReasonCode) -> [Reason] { reasons.filter { $0.code == code } }

}

/// Everything the engine says about a patient's toxicities at one instant.
package struct GradingResult: Hashable, Sendable {
    /// The instant evaluated (T).
    package let assessedAt: Date
    package let crs: GradeAssessment
    package let icans: GradeAssessment
    package let iecHs: IECHSAssessment
    /// Missing, stale, implausible or inconsistent input, and findings that need another
    /// explanation.
    package let alerts: [Alert]

    package init(
        assessedAt: Date, crs: GradeAssessment, icans: GradeAssessment, iecHs: IECHSAssessment, alerts: [Alert]
    ) {
        self.assessedAt = assessedAt
        self.crs = crs
        self.icans = icans
        self.iecHs = iecHs
        self.alerts = alerts
    }

    /// Every input event id a reason or an alert used, sorted.
    package var eventIds: [String] { eventIds(alerts: alerts) }

    /// The input event ids of the reasons and of `alerts`, sorted.
    package func eventIds(alerts: [Alert]) -> [String] {
        var ids = Set<String>()
        for reason in crs.reasons + icans.reasons + iecHs.reasons {
            for value in reason.observed { ids.insert(value.eventId) }
        }
        for alert in alerts { ids.formUnion(alert.eventIds) }
        return ids.sorted()
    }

    /// The three assessments with the input event ids they used: the `grades` object of `toxctl
    /// evaluate` and the body of a `toxicity-grades` output.
    package var grades: GradeSet { GradeSet(crs: crs, icans: icans, iecHs: iecHs, eventIds: eventIds) }

    /// Whether an alert with this code was raised.
    package func hasAlert(_ code: AlertCode) -> Bool { alerts.contains { $0.code == code } }

    /// The alert with this code, if raised.
    package func alert(_ code: AlertCode) -> Alert? { alerts.first { $0.code == code } }

}

/// CRS, ICANS and IEC-HS together, as they appear under `grades` in `toxctl evaluate` output and
/// in a `toxicity-grades` message (DESIGN.md §3, §4).
package struct GradeSet: Hashable, Sendable {
    package var crs: GradeAssessment
    package var icans: GradeAssessment
    package var iecHs: IECHSAssessment
    /// Every input event id the reasons and alerts used, sorted.
    package var eventIds: [String]

    package init(crs: GradeAssessment, icans: GradeAssessment, iecHs: IECHSAssessment, eventIds: [String]) {
        self.crs = crs
        self.icans = icans
        self.iecHs = iecHs
        self.eventIds = eventIds
    }
}

/// The grading engine: pure, deterministic, no clock (the instant is an argument).
///
/// ```swift
/// let engine = ToxicityEngine(policy: .default)
/// let timeline = engine.timeline(events)
/// let result = engine.grade(timeline, at: instant)
/// result.crs.grade      // 0–4, nil when stale findings leave it ungradable (§A13.12)
/// result.iecHs.present
/// ```
package struct ToxicityEngine: Sendable {
    package var policy: GradingPolicy

    package init(policy: GradingPolicy = .default) {
        self.policy = policy
    }

    /// The grading policy an assessment under `rules` uses: this engine's, with the protocol's
    /// IEC-HS criteria set. A timeline built with it is assessed without being rebuilt.
    package func policy(for rules: PreparedProtocol?) -> GradingPolicy {
        var policy = self.policy
        if let rules { policy.iecHsCriteria = rules.value.iecHsCriteria }
        return policy
    }

    /// Builds a timeline with this engine's policy.
    package func timeline(_ events: [ClinicalEvent], recommendations: [PriorRecommendation] = []) -> PatientTimeline {
        PatientTimeline(events: events, recommendations: recommendations, policy: policy)
    }

    /// Grades CRS, ICANS and IEC-HS at `instant` from the events with `occurredAt ≤ instant`.
    ///
    /// - Parameters:
    ///   - timeline: The patient's timeline (rebuilt if it was built with another policy).
    ///   - instant: The instant T.
    /// - Returns: The grades at T with their reasons, and the alerts.
    package func grade(_ timeline: PatientTimeline, at instant: Date) -> GradingResult {
        let prepared = timeline.policy == policy ? timeline : timeline.rebuilt(policy: policy)
        return prepared.grade(at: instant)
    }
}

extension PatientTimeline {
    /// Grades the timeline at `instant` with the policy it was built with.
    package func grade(at instant: Date) -> GradingResult {
        gradingResult(gradeSnapshot(at: instant.timeIntervalSinceReferenceDate))
    }

    /// The grades of `snapshot` explained, with every alert at its instant in a fixed order (CRS,
    /// ICANS, IEC-HS, profile): each grader's evaluation is explained once, never re-run.
    func gradingResult(_ snapshot: GradeSnapshot) -> GradingResult {
        let t = snapshot.time
        var alerts = AlertList()
        let crs = GradeAssessment(snapshot.crs, timeline: self, alerts: &alerts)
        let icans = GradeAssessment(snapshot.icans, timeline: self, alerts: &alerts)
        let iecHs = IECHSAssessment(snapshot.iecHs, timeline: self, alerts: &alerts)
        profileAlerts(at: t, alerts: &alerts)
        for end in index.assumedInfusionEnds(at: t, window: policy.episodeCloseWindow) {
            alerts.add(.infusionEndAssumed, fields: [.drug], events: [end.event], self)
        }
        return GradingResult(
            assessedAt: Date(timeIntervalSinceReferenceDate: t), crs: crs, icans: icans, iecHs: iecHs,
            alerts: alerts.alerts)
    }

    /// Weight and implausible-value alerts (A1, A5; DESIGN §2 "Safety").
    func profileAlerts(at t: Double, alerts: inout AlertList) {
        if let i = index.weights.latest(atOrBefore: t) {
            if t - index.weights.times[i] > policy.weightFreshness {
                alerts.add(.staleWeight, fields: [.weightKg], events: [index.weights.events[i]], self)
            }
        } else {
            alerts.add(.missingWeight, fields: [.weightKg], events: [], self)
        }
        // Implausible values recent enough to have been the current finding.
        let implausible = index.implausible
        guard !implausible.isEmpty, var i = implausible.latest(atOrBefore: t) else { return }
        while i >= 0, t - implausible.times[i] <= policy.weightFreshness {
            let field = implausible.values[i].field
            let window: Double =
                switch field {
                case .weightKg: policy.weightFreshness
                case .temperatureC, .systolicBP, .meanArterialPressure, .oxygenFlow: policy.vitalsFreshness
                case .iceScore, .capdScore: policy.neuroFreshness
                default: policy.labFreshness
                }
            if t - implausible.times[i] <= window {
                alerts.add(.implausibleValue, fields: [field], events: [implausible.events[i]], self)
            }
            i -= 1
        }
    }
}
