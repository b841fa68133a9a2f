package import Foundation

// The engine's whole answer for a patient at an instant: the `toxctl evaluate` output of DESIGN.md
// §4 (`{"grades", "recommendation", "alternatives", "alerts"}`) and what the worker needs to
// schedule its time-driven outputs (`nextDecisionAt`).

/// Everything one assessment decided, shared by its parts: one allocation per assessment; the
/// explanations are built from it when read.
final class AssessmentContext: Sendable {
    let storage: PatientTimeline.Storage
    let rules: PreparedProtocol?
    let time: Double
    let profile: ProfileFacts
    let decision: RecommendationDecision
    let shortage: ShortageDecision
    let inventory: InventorySnapshot
    let dosing: DosingPolicy
    /// The earliest instant the recommendation rules could change their answer.
    let nextRecommendationChange: Double

    init(
        storage: PatientTimeline.Storage,
        rules: PreparedProtocol?,
        time: Double,
        profile: ProfileFacts,
        decision: RecommendationDecision,
        shortage: ShortageDecision,
        inventory: InventorySnapshot,
        dosing: DosingPolicy,
        nextRecommendationChange: Double
    ) {
        self.storage = storage
        self.rules = rules
        self.time = time
        self.profile = profile
        self.decision = decision
        self.shortage = shortage
        self.inventory = inventory
        self.dosing = dosing
        self.nextRecommendationChange = nextRecommendationChange
    }

    var timeline: PatientTimeline { PatientTimeline(storage: storage) }

    /// The evaluations at T, recomputed when explaining (deterministic; not kept, so that an
    /// assessment does not copy them).
    var grades: GradeSnapshot { timeline.gradeSnapshot(at: time) }

    var grading: GradingResult {
        let grades = self.grades  // evaluated once, not once per toxicity
        return GradingResult(
            assessedAt: Date(timeIntervalSinceReferenceDate: time),
            crs: GradeAssessment(grades.crs, storage: storage),
            icans: GradeAssessment(grades.icans, storage: storage),
            iecHs: IECHSAssessment(grades.iecHs, storage: storage),
            storage: storage
        )
    }
}

/// The grades, the anakinra recommendation, the shortage alternatives and the alerts of one
/// patient at one instant.
///
/// Encodes as exactly the `toxctl evaluate` document of DESIGN.md §4:
/// `{"grades": {…}, "recommendation": {…}, "alternatives": […], "alerts": […]}`.
package struct Assessment: Sendable, Hashable, Codable {
    /// The instant assessed (`nil` for a decoded document, which does not carry it).
    package let assessedAt: Date?
    let content: Content

    enum Content: Sendable {
        case evaluated(AssessmentContext)
        indirect case explained(
            grades: GradeSet,
            recommendation: AnakinraRecommendation?,
            alternatives: [ShortageAlternative],
            alerts: [Alert]
        )
    }

    init(context: AssessmentContext) {
        assessedAt = Date(timeIntervalSinceReferenceDate: context.time)
        content = .evaluated(context)
    }

    package init(
        grades: GradeSet,
        recommendation: AnakinraRecommendation?,
        alternatives: [ShortageAlternative],
        alerts: [Alert]
    ) {
        assessedAt = nil
        content = .explained(grades: grades, recommendation: recommendation, alternatives: alternatives, alerts: alerts)
    }

    /// The grading result (CRS, ICANS, IEC-HS with their reasons and the grading alerts).
    package var grading: GradingResult? {
        if case .evaluated(let context) = content { return context.grading }
        return nil
    }

    /// The `grades` object.
    package var grades: GradeSet {
        switch content {
        case .evaluated(let context): context.grading.grades
        case .explained(let grades, _, _, _): grades
        }
    }

    /// The anakinra recommendation (action `none` with alert `protocol-required` when there is no
    /// protocol).
    package var recommendation: AnakinraRecommendation? {
        switch content {
        case .evaluated(let context): AnakinraRecommendation(context: context)
        case .explained(_, let recommendation, _, _): recommendation
        }
    }

    /// Alternatives for drugs the patient needs now and cannot have.
    package var alternatives: [ShortageAlternative] {
        switch content {
        case .evaluated(let context): context.alternatives()
        case .explained(_, _, let alternatives, _): alternatives
        }
    }

    /// Grading alerts, then the recommendation's (one entry per code).
    package var alerts: [Alert] {
        switch content {
        case .evaluated(let context):
            var merged = context.grading.alerts
            for alert in AnakinraRecommendation(context: context).alerts {
                if let i = merged.firstIndex(where: { $0.code == alert.code }) {
                    for field in alert.fields where !merged[i].fields.contains(field) { merged[i].fields.append(field) }
                    for id in alert.eventIds where !merged[i].eventIds.contains(id) { merged[i].eventIds.append(id) }
                } else {
                    merged.append(alert)
                }
            }
            return merged
        case .explained(_, _, _, let alerts):
            return alerts
        }
    }

    /// The earliest instant after ``assessedAt`` at which the assessment could change with no new
    /// event: a dose falling due or overdue, a refractory, reassessment or hold window elapsing, a
    /// taper step falling due, an episode closing, a finding going stale. `nil` when nothing is
    /// pending (or for a decoded document). The worker schedules its time-driven outputs from it.
    package var nextDecisionAt: Date? {
        guard case .evaluated(let context) = content else { return nil }
        var next = NextDecision(after: context.time)
        next.consider(context.nextRecommendationChange)
        context.timeline.considerGradingChanges(&next)
        return next.date
    }

    /// The recommendation decision, with its dose (`nil` for a decoded document).
    var recommendationDecision: RecommendationDecision? {
        if case .evaluated(let context) = content { return context.decision }
        return nil
    }

    /// The recommendation's action (`none` when there is none).
    package var action: RecommendationAction {
        switch content {
        case .evaluated(let context): context.decision.action
        case .explained(_, let recommendation, _, _): recommendation?.action ?? .none
        }
    }

    private enum CodingKeys: String, CodingKey {
        case grades, recommendation, alternatives, alerts
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            grades: try c.decode(GradeSet.self, forKey: .grades),
            recommendation: try c.decodeIfPresent(AnakinraRecommendation.self, forKey: .recommendation),
            alternatives: try c.decodeIfPresent([ShortageAlternative].self, forKey: .alternatives) ?? [],
            alerts: try c.decodeIfPresent([Alert].self, forKey: .alerts) ?? []
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(grades, forKey: .grades)
        try c.encode(recommendation, forKey: .recommendation)
        try c.encode(alternatives, forKey: .alternatives)
        try c.encode(alerts, forKey: .alerts)
    }

    package static func == (lhs: Assessment, rhs: Assessment) -> Bool {
        if case .evaluated(let l) = lhs.content, case .evaluated(let r) = rhs.content, l === r { return true }
        return lhs.grades == rhs.grades && lhs.recommendation == rhs.recommendation
            && lhs.alternatives == rhs.alternatives && lhs.alerts == rhs.alerts
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(action)
    }
}

extension ToxicityEngine {
    /// Assesses a patient at `instant`: grades, the anakinra recommendation under `protocol`, the
    /// shortage alternatives given `inventory`, and the alerts. Pure and deterministic.
    ///
    /// - Parameters:
    ///   - timeline: The patient's timeline (rebuilt if built with another policy, e.g. another
    ///     IEC-HS criteria set than the protocol's).
    ///   - instant: T; only events with `occurredAt ≤ T` count.
    ///   - anakinraProtocol: The patient's protocol; `nil` gives action `none` with alert
    ///     `protocol-required`.
    ///   - inventory: The pharmacy inventory as known to the caller.
    ///   - dosing: The recommendation rules' defaults (IMPL values).
    package func assess(
        _ timeline: PatientTimeline,
        at instant: Date,
        protocol anakinraProtocol: AnakinraProtocol?,
        inventory: InventorySnapshot = .empty,
        dosing: DosingPolicy = .default
    ) -> Assessment {
        assess(
            timeline,
            at: instant,
            prepared: anakinraProtocol.map(PreparedProtocol.init),
            inventory: inventory,
            dosing: dosing
        )
    }

    /// ``assess(_:at:protocol:inventory:dosing:)`` with a protocol prepared once (the fast path).
    package func assess(
        _ timeline: PatientTimeline,
        at instant: Date,
        prepared rules: PreparedProtocol?,
        inventory: InventorySnapshot = .empty,
        dosing: DosingPolicy = .default
    ) -> Assessment {
        var policy = self.policy
        if let rules { policy.iecHsCriteria = rules.value.iecHsCriteria }
        let prepared = timeline.policy == policy ? timeline : timeline.rebuilt(policy: policy)
        return prepared.assess(at: instant, rules: rules, inventory: inventory, dosing: dosing)
    }
}

extension PatientTimeline {
    /// Assesses the timeline at `instant` with the policy it was built with.
    package func assess(
        at instant: Date,
        rules: PreparedProtocol?,
        inventory: InventorySnapshot = .empty,
        dosing: DosingPolicy = .default
    ) -> Assessment {
        let t = instant.timeIntervalSinceReferenceDate
        let grades = gradeSnapshot(at: t)
        let profile = profileFacts(at: t)
        var next = NextDecision(after: t)
        var decision: RecommendationDecision
        var shortage = ShortageDecision()
        let hasInventory = inventory != .empty
        if let rules {
            let anakinraStock = hasInventory ? inventory.entry(.anakinra, site: profile.site) : nil
            decision = recommendationDecision(
                rules,
                at: t,
                grades: grades,
                profile: profile,
                dosing: dosing,
                anakinraStockLow: anakinraStock?.status == .low,
                next: &next
            )
            if let stock = anakinraStock, stock.status.isShort,
                decision.action.dosesAnakinra || decision.action == .hold || decision.course.isOnTherapy
            {
                shortage.anakinra = stock
            }
        } else {
            decision = RecommendationDecision(time: t)
            decision.primary = .protocolRequired
            decision.weightIndex = profile.weight
            decision.weightMissing = profile.weight == nil
        }
        if hasInventory, let toci = inventory.entry(.tocilizumab, site: profile.site), toci.status.isShort,
            needsTocilizumab(at: t, grades: grades, dosing: dosing)
        {
            shortage.tocilizumab = toci
        }
        // Findings the recommendation rules read going stale.
        if rules != nil {
            for test in Self.recommendationLabs {
                next.considerStale(index.labs[test.ordinal], window: policy.labFreshness)
            }
            next.considerStale(index.weights, window: policy.weightFreshness)
        }
        let context = AssessmentContext(
            storage: storage,
            rules: rules,
            time: t,
            profile: profile,
            decision: decision,
            shortage: shortage,
            inventory: inventory,
            dosing: dosing,
            nextRecommendationChange: next.earliest
        )
        return Assessment(context: context)
    }

    /// Laboratory tests the recommendation rules read (route, infection risk, renal function).
    static let recommendationLabs: [LabTest] = [.platelets, .fibrinogen, .inr, .anc, .creatinine, .creatinineClearance]

    /// CRS, ICANS and IEC-HS evaluated at `t`.
    func gradeSnapshot(at t: Double) -> GradeSnapshot {
        GradeSnapshot(time: t, crs: evaluateCRS(at: t), icans: evaluateICANS(at: t), iecHs: evaluateIECHS(at: t))
    }

    /// Instants at which the grades or their explanations could change with no new event: the
    /// next point of each grade history (an episode closing, a window elapsing) and the current
    /// findings going stale.
    func considerGradingChanges(_ next: inout NextDecision) {
        let t = next.after
        next.consider(storage.crsCourse.nextPointTime(after: t))
        next.consider(storage.icansCourse.nextPointTime(after: t))
        next.consider(storage.iecHsCourse.nextPointTime(after: t))
        next.considerStale(index.temperature, window: policy.vitalsFreshness)
        next.considerStale(index.systolic, window: policy.vitalsFreshness)
        next.considerStale(index.meanArterial, window: policy.vitalsFreshness)
        next.considerStale(index.oxygen, window: policy.vitalsFreshness)
        next.considerStale(index.ice, window: policy.neuroFreshness)
        next.considerStale(index.capd, window: policy.neuroFreshness)
        next.considerStale(index.consciousness, window: policy.neuroFreshness)
        next.considerStale(index.seizure, window: policy.neuroFreshness)
        next.considerStale(index.motor, window: policy.neuroFreshness)
        next.considerStale(index.intracranial, window: policy.neuroFreshness)
        next.considerStale(index.neuroSedated, window: policy.neuroFreshness)
        for series in index.labs { next.considerStale(series, window: policy.labFreshness) }
        next.considerStale(index.weights, window: policy.weightFreshness)
    }
}
