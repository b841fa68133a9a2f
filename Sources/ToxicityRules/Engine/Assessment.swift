package import Foundation

// What the engine decides about a patient at an instant, as values (`Assessment`: the grades, the
// anakinra recommendation decision with its capped dose, the shortage decisions, and when the
// answer could next change), and the explanation built from it only for what is published
// (`Explainer`: the `toxctl evaluate` document of DESIGN.md §4 and the output bodies).

/// What an explanation reads besides the decisions: the timeline, the protocol, the inventory, the
/// evaluations the grades came from. One allocation per assessment.
final class AssessmentContext: Sendable {
    let storage: PatientTimeline.Storage
    let rules: PreparedProtocol?
    let time: Double
    let profile: ProfileFacts
    /// The graders' evaluations at ``time`` (explained, never re-run).
    let grades: GradeSnapshot
    let decision: RecommendationDecision
    let shortage: ShortageDecision
    let inventory: InventorySnapshot
    let dosing: DosingPolicy

    init(
        storage: PatientTimeline.Storage,
        rules: PreparedProtocol?,
        time: Double,
        profile: ProfileFacts,
        grades: GradeSnapshot,
        decision: RecommendationDecision,
        shortage: ShortageDecision,
        inventory: InventorySnapshot,
        dosing: DosingPolicy
    ) {
        self.storage = storage
        self.rules = rules
        self.time = time
        self.profile = profile
        self.grades = grades
        self.decision = decision
        self.shortage = shortage
        self.inventory = inventory
        self.dosing = dosing
    }

    var timeline: PatientTimeline { PatientTimeline(storage: storage) }

    /// The grades explained (reasons, episodes, alerts).
    var grading: GradingResult { timeline.gradingResult(grades) }
}

/// The grades an assessment decided: what makes a `toxicity-grades` output new.
package struct GradeDecisions: Hashable, Sendable {
    /// A CRS or ICANS grade (`nil` when it cannot be graded, §A13.12) and the episode's worst.
    package struct Grade: Hashable, Sendable {
        package var grade: Int?
        package var maxGrade: Int

        package init(grade: Int?, maxGrade: Int) {
            self.grade = grade
            self.maxGrade = maxGrade
        }
    }

    /// Whether IEC-HS is present, its grade and the episode's worst.
    package struct IECHSGrade: Hashable, Sendable {
        package var present: Bool
        package var grade: Int
        package var maxGrade: Int

        package init(present: Bool, grade: Int, maxGrade: Int) {
            self.present = present
            self.grade = grade
            self.maxGrade = maxGrade
        }
    }

    package var crs: Grade
    package var icans: Grade
    package var iecHs: IECHSGrade

    package init(crs: Grade, icans: Grade, iecHs: IECHSGrade) {
        self.crs = crs
        self.icans = icans
        self.iecHs = iecHs
    }

    init(_ snapshot: GradeSnapshot) {
        let crsCore = snapshot.crs.core
        crs = Grade(grade: crsCore.flags.contains(.cannotGrade) ? nil : crsCore.grade, maxGrade: snapshot.crs.maxGrade)
        let icansCore = snapshot.icans.core
        icans = Grade(
            grade: icansCore.flags.contains(.cannotGrade) ? nil : icansCore.grade, maxGrade: snapshot.icans.maxGrade)
        iecHs = IECHSGrade(
            present: snapshot.iecHs.present, grade: snapshot.iecHs.grade, maxGrade: snapshot.iecHs.maxGrade)
    }
}

/// What the engine decided about one patient at one instant, as values: the grades, the anakinra
/// recommendation decision with its dose computed (with every cap), the shortage decisions, and
/// the earliest instant the answer could change with no new event. Two assessments are equal when
/// they decided the same; reasons, rationale and alternatives are built by an ``Explainer``, only
/// for what is published.
package struct Assessment: Sendable, Hashable {
    /// The instant assessed.
    package let assessedAt: Date
    package let grades: GradeDecisions
    /// The recommendation decision (action `none`, reason `protocol-required`, without a protocol).
    let decision: RecommendationDecision
    /// The protocol the recommendation follows.
    package let protocolId: String?
    let shortage: ShortageDecision
    /// The earliest instant after ``assessedAt`` at which the assessment could change with no new
    /// event: a dose falling due or overdue, a refractory, reassessment or hold window elapsing, a
    /// taper step falling due, an episode closing, a finding going stale. `nil` when nothing is
    /// pending. The worker schedules its time-driven outputs from it.
    package let nextDecisionAt: Date?
    /// What the explanation reads; not part of the decision.
    let context: AssessmentContext

    /// The recommendation's action.
    package var action: RecommendationAction { decision.action }

    /// The recommended dose as decided, caps applied (`nil` when the action gives none; a hold for
    /// TNF blockade keeps it, for a documented override).
    package var decidedDose: RecommendedDose? { decision.dose.dose }

    /// When the next dose falls due, if one does.
    package var nextDoseDueAt: Date? { decision.nextDoseDueAt.map { Date(timeIntervalSinceReferenceDate: $0) } }

    /// Whether the decision is that the course is over and the toxicity has not recurred (action
    /// `none`, reason `course-completed`).
    package var courseCompleted: Bool { decision.action == .none && decision.primary == .courseCompleted }

    package static func == (lhs: Assessment, rhs: Assessment) -> Bool {
        lhs.assessedAt == rhs.assessedAt && lhs.grades == rhs.grades && lhs.decision == rhs.decision
            && lhs.protocolId == rhs.protocolId && lhs.shortage == rhs.shortage
            && lhs.nextDecisionAt == rhs.nextDecisionAt
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(assessedAt)
        hasher.combine(grades)
        hasher.combine(decision)
        hasher.combine(protocolId)
        hasher.combine(shortage)
        hasher.combine(nextDecisionAt)
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
        let policy = policy(for: rules)
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
            grades: grades,
            decision: decision,
            shortage: shortage,
            inventory: inventory,
            dosing: dosing
        )
        considerGradingChanges(&next)
        return Assessment(
            assessedAt: instant,
            grades: GradeDecisions(grades),
            decision: decision,
            protocolId: rules?.id,
            shortage: shortage,
            nextDecisionAt: next.date,
            context: context
        )
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
