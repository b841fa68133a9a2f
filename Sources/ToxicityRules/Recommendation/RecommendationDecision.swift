// The recommendation decision at T (clinical-spec A5–A10): what to do with anakinra, the dose
// plan and the dose it gives (with every cap), the route, the safety findings and the course
// alerts, as plain values; reached here before and after a course, in `OnTherapyDecision.swift`
// while on anakinra, with the route (`RouteReasons.swift`) and safety (`SafetyFacts.swift`) rules.

/// Everything the recommendation rules decided at T, as plain values.
struct RecommendationDecision: Hashable, Sendable {
    var time: Double
    var action: RecommendationAction = .none
    /// The decisive reason of the action.
    var primary: ReasonCode = .noActiveToxicity
    var plan: DosePlan = .none
    /// The dose of ``plan`` by ``route``, with every cap (a TNF hold keeps it, for a documented
    /// override; a hypersensitivity hold has none).
    var dose = DecidedDose()
    var route: Route = .iv
    var routeReasons: RouteReasons = []
    var routeEvidence = RouteEvidence()
    /// SC-only protocol with an IV reason: warning `consider-iv-off-protocol`.
    var considerIVOffProtocol = false
    var indication: IndicationOutcome?
    var indicating: ToxicitySet = []
    var course = TherapyCourse()
    var trigger: TriggerStatus = .notStated
    var safety = SafetyFacts()
    var weightIndex: Int?
    var weightMissing = false
    var doseNotSpecified = false
    var overdue = false
    var duplicate = false
    var atCeiling = false
    var lastAgentWeaned = false
    var corticosteroidActive = false
    /// §A13.8: the other CAR T toxicity agents active (they block a "last agent weaned" taper).
    var activeAgents: [ActiveAgent] = []
    /// §A13.6–7: why IEC-HS is not stable or improving (it blocks the taper).
    var iecHsInstability: [IECHSInstability] = []
    var taperStep: Int?
    var frequency: DoseFrequency?
    var nextDoseDueAt: Double?
    var stockLow = false
    var antigenMismatch = false
    /// §A13.2: the latest administration is far from the dose computed for its step.
    var doseDeviation: DoseDeviation?
    /// §A13.4: a fixed-dose regimen above 10 mg/kg/day for the weight (the daily mg, when held).
    var weightBasedMaximumExceeded = false
}

extension PatientTimeline {
    /// The recommendation decision at `t` for protocol `p`.
    func recommendationDecision(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        anakinraStockLow: Bool,
        next: inout NextDecision
    ) -> RecommendationDecision {
        var d = RecommendationDecision(time: t)
        d.weightIndex = profile.weight
        d.weightMissing = profile.weight == nil
        d.stockLow = anakinraStockLow
        d.course = therapyCourse(p, at: t, dosing: dosing)
        d.corticosteroidActive = isCorticosteroidActive(at: t, next: &next)

        switch d.course.state {
        case .onTherapy:
            decideOnTherapy(p, at: t, grades: grades, profile: profile, dosing: dosing, decision: &d, next: &next)
        case .never:
            decideStart(p, at: t, grades: grades, profile: profile, dosing: dosing, decision: &d, next: &next)
        case .ended:
            decideAfterCourse(p, at: t, grades: grades, profile: profile, dosing: dosing, decision: &d, next: &next)
        }

        // Route (A8).
        let reasons = routeReasons(at: t, grades: grades, profile: profile, dosing: dosing, evidence: &d.routeEvidence)
        d.routeReasons = reasons
        let allowsIV = p.allowsIV
        let allowsSC = p.allowsSC
        if allowsIV, allowsSC {
            d.route = reasons.isEmpty ? p.preferredRoute : .iv
        } else if allowsIV {
            d.route = .iv
        } else {
            d.route = .sc
            d.considerIVOffProtocol = !reasons.subtracting(.childUnder12).isEmpty
        }
        d.plan = d.plan.routed(d.route)

        // Safety (A9).
        d.safety = safetyFacts(
            at: t,
            profile: profile,
            dosing: dosing,
            anakinraPlanned: d.action.dosesAnakinra,
            next: &next
        )
        if d.safety.hypersensitivityEvent != nil, d.action.dosesAnakinra {
            d.action = .hold
            d.primary = .eColiHypersensitivity
            d.plan = .none
            d.nextDoseDueAt = nil
        } else if d.safety.tnfIndex != nil, d.action.dosesAnakinra {
            d.action = .hold
            d.primary = .tnfBlockade
            d.nextDoseDueAt = nil
        }
        if d.action.dosesAnakinra, exceedsWeightBasedMaximum(p, plan: d.plan, weight: weightKg(profile)) {
            d.action = .hold
            d.primary = .weightBasedMaximumExceeded
            d.weightBasedMaximumExceeded = true
            d.nextDoseDueAt = nil
        }
        if let target = profile.antigenTarget, let i = d.indication?.index, i >= 0, i < p.indications.count {
            let targets = p.antigenTargets[i]
            d.antigenMismatch = !targets.isEmpty && !targets.contains(target)
        }
        d.dose = DecidedDose(p.value, plan: d.plan, route: d.route, weightKg: weightKg(profile))
        return d
    }

    // MARK: Not yet on anakinra

    func decideStart(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        decision d: inout RecommendationDecision,
        next: inout NextDecision
    ) {
        let outcome = firstIndication(p, at: t, grades: grades, profile: profile, dosing: dosing, next: &next)
        d.indication = outcome
        d.primary = outcome.code
        guard outcome.met else {
            d.action = .none
            return
        }
        d.action = .start
        d.indicating = ToxicitySet(outcome.toxicity)
        d.plan = .protocolDose(outcome.severe ? .severe : .lessIll)
        if outcome.index >= 0, !p.indications[outcome.index].doseSpecified { d.doseNotSpecified = true }
        d.frequency = p.defaultFrequency
    }

    // MARK: After a course ended

    /// After a course ended, anakinra restarts only when the toxicity recurs (the trigger is
    /// exceeded again, or the grade is above its value when the course ended) in the same episode;
    /// a new episode is judged on the protocol's indications.
    func decideAfterCourse(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        decision d: inout RecommendationDecision,
        next: inout NextDecision
    ) {
        let ended = d.course.endedAt ?? t
        let indicating = indicatingToxicities(p, course: d.course, grades: grades)
        d.indicating = indicating
        let protocolSet = protocolToxicities(p)
        var newEpisode = false
        for toxicity in ToxicitySet.singles where protocolSet.contains(toxicity) {
            if grades.grade(toxicity) >= 1, let start = episodeStart(toxicity, at: t), start > ended {
                newEpisode = true
            }
        }
        let withinRecurrenceWindow = t - ended <= dosing.recurrenceWindow
        if withinRecurrenceWindow { next.consider((ended + dosing.recurrenceWindow).nextUp) }
        if newEpisode, !withinRecurrenceWindow {
            decideStart(p, at: t, grades: grades, profile: profile, dosing: dosing, decision: &d, next: &next)
            return
        }
        // A true recurrence: back above the trigger after being at or below it when the course
        // ended (grade-at-most triggers), or worse than when it ended (other triggers).
        var recurred = false
        let trigger = p.trigger
        if trigger.kind == .gradeAtMost, let limit = trigger.grade {
            let scope = triggerScope(trigger, indicating: indicating, p: p)
            recurred = grades.worst(scope) > limit && (documentedWorst(scope, at: ended) ?? 0) <= limit
        } else {
            let before = documentedWorst(indicating, at: ended) ?? 0
            let now = grades.worst(indicating)
            recurred = now >= 1 && now > before
        }
        guard recurred else {
            if d.course.state == .ended(.lapsed) {
                // Doses stopped with no recorded decision: the indications decide.
                decideStart(p, at: t, grades: grades, profile: profile, dosing: dosing, decision: &d, next: &next)
            } else if d.course.givenAfterStop != nil {
                // A dose charted after the engine's own stop, without a new order: the stop stands.
                d.action = .stop
                d.primary = .administeredAfterStop
            } else {
                d.action = .none
                d.primary = .courseCompleted
            }
            return
        }
        d.action = .start
        d.primary = .recurrence
        // The full dose is the protocol's, never an administered amount (§A13.1–2).
        settleCourseDose(
            p,
            weight: weightKg(profile),
            severe: grades.worst(indicating) >= 3,
            decision: &d
        )
        if let full = d.course.fullDose {
            d.plan = .regimen(full)
            d.frequency = full.frequency
        } else {
            d.plan = .protocolDose(grades.worst(indicating) >= 3 ? .severe : .lessIll)
            d.frequency = p.defaultFrequency
        }
    }
}
