package import Foundation

/// A CRS or ICANS grade at an instant, with what set it.
package struct GradeAssessment: Hashable, Sendable, Codable {
    /// The grade at the instant assessed, from the current findings (0–5; 5 is death and is never
    /// inferred).
    package var grade: Int
    /// The worst grade of the current episode (or the latest one, if closed) up to the instant.
    package var maxGrade: Int
    /// The criteria that were checked, decisive ones marked.
    package var reasons: [Reason]
    package var flags: GradeFlags
    /// The current or latest episode, if there has been one.
    package var episode: EpisodeSummary?

    package init(grade: Int, maxGrade: Int, reasons: [Reason], flags: GradeFlags, episode: EpisodeSummary?) {
        self.grade = grade
        self.maxGrade = maxGrade
        self.reasons = reasons
        self.flags = flags
        self.episode = episode
    }

    /// Whether a flag is set.
    package func has(_ flag: GradeFlags) -> Bool { flags.contains(flag) }

    /// The reasons with a code.
    package func reasons(_ code: ReasonCode) -> [Reason] { reasons.filter { $0.code == code } }
}

/// The IEC-HS (or carHLH, by the selected criteria) assessment at an instant.
package struct IECHSAssessment: Hashable, Sendable, Codable {
    /// Whether the selected criteria are met.
    package var present: Bool
    /// `true` while the criteria and the A4 grade rule are unverified (Hines 2023, status U).
    package var provisional: Bool
    /// The criteria set used (`astct-2023` or `cartox-2018`).
    package var criteria: IECHSCriteriaSet
    /// A4 grade: 0 absent, 1 present without directed therapy, 2 on directed therapy, 3 organ
    /// support, 4 positive pressure or dialysis.
    package var grade: Int
    package var maxGrade: Int
    package var reasons: [Reason]
    package var flags: GradeFlags
    package var episode: EpisodeSummary?

    package init(
        present: Bool, provisional: Bool, criteria: IECHSCriteriaSet, grade: Int, maxGrade: Int, reasons: [Reason],
        flags: GradeFlags, episode: EpisodeSummary?
    ) {
        self.present = present
        self.provisional = provisional
        self.criteria = criteria
        self.grade = grade
        self.maxGrade = maxGrade
        self.reasons = reasons
        self.flags = flags
        self.episode = episode
    }

    /// The reasons with a code.
    package func reasons(_ code: ReasonCode) -> [Reason] { reasons.filter { $0.code == code } }
}

/// Everything the engine says about a patient's toxicities at one instant.
package struct GradingResult: Hashable, Sendable, Codable {
    /// The instant evaluated (T).
    package var assessedAt: Date
    package var crs: GradeAssessment
    package var icans: GradeAssessment
    package var iecHs: IECHSAssessment
    /// Missing, stale, implausible or inconsistent input, and findings that need another
    /// explanation.
    package var alerts: [Alert]

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
    package var eventIds: [String] {
        var ids = Set<String>()
        for reason in crs.reasons + icans.reasons + iecHs.reasons {
            for value in reason.observed { ids.insert(value.eventId) }
        }
        for alert in alerts { ids.formUnion(alert.eventIds) }
        return ids.sorted()
    }

    /// Whether an alert with this code was raised.
    package func hasAlert(_ code: AlertCode) -> Bool { alerts.contains { $0.code == code } }

    /// The alert with this code, if raised.
    package func alert(_ code: AlertCode) -> Alert? { alerts.first { $0.code == code } }

    private enum CodingKeys: String, CodingKey {
        case assessedAt, crs, icans, iecHs, alerts, eventIds
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assessedAt = try container.decode(Date.self, forKey: .assessedAt)
        crs = try container.decode(GradeAssessment.self, forKey: .crs)
        icans = try container.decode(GradeAssessment.self, forKey: .icans)
        iecHs = try container.decode(IECHSAssessment.self, forKey: .iecHs)
        alerts = try container.decode([Alert].self, forKey: .alerts)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(assessedAt, forKey: .assessedAt)
        try container.encode(crs, forKey: .crs)
        try container.encode(icans, forKey: .icans)
        try container.encode(iecHs, forKey: .iecHs)
        try container.encode(alerts, forKey: .alerts)
        try container.encode(eventIds, forKey: .eventIds)
    }
}

/// The grading engine: pure, deterministic, no clock (the instant is an argument).
///
/// ```swift
/// let engine = ToxicityEngine(policy: .default)
/// let timeline = engine.timeline(events)
/// let result = engine.grade(timeline, at: instant)
/// result.crs.grade      // 0–4
/// result.iecHs.present
/// ```
package struct ToxicityEngine: Sendable {
    package var policy: GradingPolicy

    package init(policy: GradingPolicy = .default) {
        self.policy = policy
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
        let t = instant.timeIntervalSinceReferenceDate
        var alerts = AlertList()
        let crs = assessCRS(at: t, alerts: &alerts)
        let icans = assessICANS(at: t, alerts: &alerts)
        let iecHs = assessIECHS(at: t, alerts: &alerts)
        profileAlerts(at: t, alerts: &alerts)
        return GradingResult(assessedAt: instant, crs: crs, icans: icans, iecHs: iecHs, alerts: alerts.alerts)
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
