// The recommendation decision at T (clinical-spec A5–A10): what to do with anakinra, the dose
// plan and the dose it gives (with every cap), the route, the safety findings and the course
// alerts, as plain values.

/// What the pharmacy is asked to do with anakinra.
package enum RecommendationAction: String, Sendable, Hashable, Codable, CaseIterable {
    case start
    case `continue`
    case escalate
    case taper
    case stop
    case hold
    case none

    /// Actions that give a dose.
    package var dosesAnakinra: Bool {
        switch self {
        case .start, .continue, .escalate, .taper: true
        case .stop, .hold, .none: false
        }
    }
}

/// How the recommended dose is computed (with every cap: ``DecidedDose``).
enum DosePlan: Hashable, Sendable {
    case none
    /// The protocol's dose at a level (A5: severe for grade ≥ 3).
    case protocolDose(DoseLevel)
    /// A dose being given (continue, recurrence), brought under the caps.
    case regimen(CurrentDose)
    /// The escalation arithmetic from the current dose (A7).
    case escalation(from: CurrentDose)
    /// Step `step` (1-based) of the taper from the full dose (A7).
    case taper(from: CurrentDose, step: Int)
}

/// Clinical reasons to give anakinra IV rather than SC (A8).
struct RouteReasons: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    static let thrombocytopenia = RouteReasons(rawValue: 1)
    static let coagulopathy = RouteReasons(rawValue: 2)
    static let severeCRS = RouteReasons(rawValue: 4)
    static let severeICANS = RouteReasons(rawValue: 8)
    static let childUnder12 = RouteReasons(rawValue: 16)
}

/// The lab or finding behind each route reason (for the explanation).
struct RouteEvidence: Hashable, Sendable {
    var platelets: Int?
    var fibrinogen: Int?
    var inr: Int?
    var coagulopathyEvent: Int32?
}

/// A creatinine clearance below 30 mL/min (A9).
struct RenalFinding: Hashable, Sendable {
    /// Index of a reported `creatinine-clearance` lab, when reported.
    var reportedLab: Int?
    /// Index of the creatinine lab the estimate used.
    var creatinineLab: Int?
    var method: CreatinineClearanceEstimate.Method?
    var value: ExactAmount
}

/// Safety findings (A9).
struct SafetyFacts: Hashable, Sendable {
    /// The patient event recording E. coli-derived protein (or anakinra) hypersensitivity.
    var hypersensitivityEvent: Int32?
    /// A TNF blocker given in the window: its slot and index in `given`.
    var tnfSlot: Int?
    var tnfIndex: Int?
    /// ANC below the threshold (lab index).
    var lowANC: Int?
    /// Clinician-coded active infection (event index).
    var activeInfection: Int32?
    /// Immunosuppressants given in the infection window: tocilizumab, corticosteroid, ruxolitinib,
    /// emapalumab (bits 0–3); bit 4: anakinra given in the window.
    var combination: UInt8 = 0
    var renal: RenalFinding?

    var combinationCount: Int { (combination & 0b1111).nonzeroBitCount }
    var anakinraInWindow: Bool { combination & 0b1_0000 != 0 }
}

/// The taper trigger at T (A7).
enum TriggerStatus: Hashable, Sendable {
    /// The protocol states no trigger: tapering is prescriber-defined.
    case notStated
    /// Held over the window starting at `since`.
    case held(since: Double)
    /// Broken by a toxicity.
    case notHeld(ToxicitySet)
    /// A toxicity of the trigger was not documented in the window.
    case notDocumented(ToxicitySet)
    /// Anakinra has not been given for the hold window (or MUSC's initial dosing) yet.
    case tooEarly(until: Double)
}

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

    // MARK: On anakinra

    func decideOnTherapy(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        decision d: inout RecommendationDecision,
        next: inout NextDecision
    ) {
        let series = index.given[Self.anakinraSlot]
        guard let last = d.course.last, let first = d.course.first else { return }
        let lastTime = series.times[last]
        let firstTime = series.times[first]
        let indicating = indicatingToxicities(p, course: d.course, grades: grades)
        d.indicating = indicating
        let weight = weightKg(profile)
        settleCourseDose(p, weight: weight, severe: grades.worst(indicating) >= 3, decision: &d)
        let regimen = d.course.regimen
        let currentPlan: DosePlan =
            regimen.map { .regimen($0) } ?? .protocolDose(grades.worst(indicating) >= 3 ? .severe : .lessIll)
        d.plan = currentPlan
        d.action = .continue
        d.primary = .onTherapy
        d.frequency = regimen?.frequency ?? p.defaultFrequency
        next.consider(lastTime + lapseWindow(d.frequency, dosing: dosing))

        let trigger = p.trigger
        var taperStart = d.course.taperStart
        if let detected = taperStart, !d.course.taperFromRecommendations, trigger.kind == .gradeAtMost,
            (documentedWorst(triggerScope(trigger, indicating: indicating, p: p), at: detected) ?? 0)
                > (trigger.grade ?? 2)
        {
            // Longer intervals that began while the trigger did not hold are late doses, not a taper.
            taperStart = nil
        }
        if let taperStart, let full = d.course.fullDose {
            // A taper is in progress.
            if recurredDuringTaper(p, trigger: trigger, indicating: indicating, taperStart: taperStart, grades: grades)
            {
                // §A13.9: back to the last full dose, never an escalation.
                d.action = .continue
                d.primary = .recurrence
                d.plan = .regimen(full)
                d.frequency = full.frequency
            } else if indicating.contains(.iecHs),
                case let found = iecHsInstability(at: t, dosing: dosing), !found.isEmpty
            {
                // §A13.6–7: IEC-HS no longer stable: back to the full dose.
                d.iecHsInstability = found
                d.action = .continue
                d.primary = .iecHsNotStable
                d.plan = .regimen(full)
                d.frequency = full.frequency
            } else {
                applyTaperStep(
                    p,
                    full: full,
                    start: taperStart,
                    firstStep: d.course.taperFirstStep,
                    at: t,
                    weight: weight,
                    decision: &d,
                    next: &next
                )
            }
        } else {
            d.trigger = taperTrigger(
                p,
                trigger: trigger,
                indicating: indicating,
                courseStart: firstTime,
                at: t,
                grades: grades,
                next: &next
            )
            if case .held = d.trigger {
                d.activeAgents = p.lastAgentWeaned ? activeAgents(at: t, dosing: dosing, next: &next) : []
                if indicating.contains(.iecHs) { d.iecHsInstability = iecHsInstability(at: t, dosing: dosing) }
                if !d.iecHsInstability.isEmpty {
                    d.primary = .iecHsNotStable
                } else if !d.activeAgents.isEmpty {
                    d.lastAgentWeaned = true
                    d.primary = .lastAgentWeaned
                } else if let full = d.course.fullDose ?? regimen {
                    applyTaperStep(
                        p,
                        full: full,
                        start: t,
                        firstStep: 1,
                        at: t,
                        weight: weight,
                        decision: &d,
                        next: &next
                    )
                }
            } else {
                // Escalate when the grade has not fallen after the reassessment window (A7).
                let window = Double(p.reassessmentHours) * 3600
                let due = d.course.doseStart + window
                if t >= due {
                    let now = grades.worst(indicating)
                    if now >= 1, let reference = documentedWorst(indicating, at: d.course.doseStart), now >= reference {
                        d.primary = .gradeNotFallen
                        if let regimen {
                            switch AnakinraDosing.escalate(p.value, from: regimen, weightKg: weight, explain: false) {
                            case .escalated:
                                d.action = .escalate
                                d.primary = .escalated
                                d.plan = .escalation(from: regimen)
                            case .atCeiling:
                                d.atCeiling = true
                            case .noDose:
                                break
                            }
                        }
                    }
                } else {
                    next.consider(due)
                }
            }
        }

        // Next dose, overdue and duplicate (A7).
        guard d.action.dosesAnakinra, let frequency = d.frequency else { return }
        let interval = Double(frequency.intervalHours) * 3600
        d.nextDoseDueAt = lastTime + interval
        next.consider(lastTime + interval)
        let overdueAt = lastTime + dosing.overdueFactor * interval
        if t > overdueAt { d.overdue = true } else { next.consider(overdueAt.nextUp) }
        if let previous = d.course.previous, previous >= first {
            let gap = lastTime - series.times[previous]
            let inForce = Double((d.course.frequencyAtLastDose ?? frequency).intervalHours) * 3600
            d.duplicate = gap < dosing.duplicateFactor * inForce
        }
    }

    /// The step of a taper at `t` from `full`, or stop after the last step.
    func applyTaperStep(
        _ p: PreparedProtocol,
        full: CurrentDose,
        start: Double,
        firstStep: Int,
        at t: Double,
        weight: Double?,
        decision d: inout RecommendationDecision,
        next: inout NextDecision
    ) {
        guard
            case .schedule(let schedule) = AnakinraDosing.taperSchedule(
                p.value,
                from: full,
                weightKg: weight,
                explain: false
            ),
            !schedule.isEmpty
        else {
            // No schedule (no frequency, no weight for mg/kg steps): stay on the dose.
            return
        }
        // §A13.9: a step begins at its first administration (or, before one, when it became due)
        // and lasts its hours: it is over once its doses cover them (3 × Q8H, 2 × Q12H, 1 × Q24H
        // for 24 h) or its hours have passed.
        let series = index.given[Self.anakinraSlot]
        let through = series.countAtOrBefore(t)
        var k = series.countBefore(start)
        var nominal = start
        var step = min(max(1, firstStep), schedule.count)
        while step < schedule.count, let hours = schedule[step - 1].hours, let frequency = schedule[step - 1].frequency {
            let needed = max(1, hours.min / frequency.intervalHours)
            let stepStart = k < through ? series.times[k] : nominal
            let end = stepStart + Double(hours.min) * 3600
            if through - k >= needed {
                let last = k + needed - 1
                nominal = series.times[last] + Double(frequency.intervalHours) * 3600
                k = last + 1
            } else if t >= end {
                nominal = end
                k = max(k, series.countBefore(end))
            } else {
                next.consider(end)
                break
            }
            step += 1
        }
        let current = schedule[step - 1]
        d.taperStep = step
        if current.isStop {
            d.action = .stop
            d.primary = .taperComplete
            d.plan = .none
            d.frequency = nil
        } else {
            d.action = .taper
            d.primary = .taperStep
            d.plan = .taper(from: full, step: step)
            d.frequency = current.frequency
        }
    }

    /// Toxicities anakinra was started for: those of the protocol's indications active (at the
    /// indication's minimum grade) when the course began; else those active now; else all of the
    /// protocol's.
    func indicatingToxicities(_ p: PreparedProtocol, course: TherapyCourse, grades: GradeSnapshot) -> ToxicitySet {
        var set: ToxicitySet = []
        if let first = course.first {
            let time = index.given[Self.anakinraSlot].times[first]
            for indication in p.indications {
                let toxicity = ToxicitySet(indication.toxicity)
                guard !toxicity.isEmpty else { continue }
                let minimum = max(1, indication.minimumGrade ?? 1)
                if let g = documentedGrade(toxicity, at: time), g >= minimum { set.insert(toxicity) }
            }
        }
        if set.isEmpty { set = protocolToxicities(p).intersection(grades.active) }
        if set.isEmpty { set = protocolToxicities(p) }
        if set.isEmpty { set = [.crs, .icans] }
        return set
    }

    func protocolToxicities(_ p: PreparedProtocol) -> ToxicitySet {
        var set: ToxicitySet = []
        for indication in p.indications { set.formUnion(ToxicitySet(indication.toxicity)) }
        return set
    }

    /// The toxicities a `grade-at-most` trigger looks at.
    func triggerScope(_ trigger: TriggerRule, indicating: ToxicitySet, p: PreparedProtocol) -> ToxicitySet {
        switch trigger.scope {
        case .crsAndIcans?: [.crs, .icans]
        case .icans?: .icans
        case .indicatingToxicity?, nil: indicating.isEmpty ? [.crs, .icans] : indicating
        }
    }

    /// The taper trigger at `t` (A7): held for its hold window while on anakinra.
    func taperTrigger(
        _ p: PreparedProtocol,
        trigger: TriggerRule,
        indicating: ToxicitySet,
        courseStart: Double,
        at t: Double,
        grades: GradeSnapshot,
        next: inout NextDecision
    ) -> TriggerStatus {
        let hold = Double(trigger.holdHours ?? 24) * 3600
        switch trigger.kind {
        case .notStated:
            return .notStated
        case .gradeAtMost:
            let scope = triggerScope(trigger, indicating: indicating, p: p)
            // §A13.10–11: started (for a toxicity the trigger reads) at a grade already within the
            // trigger, the trigger needs a fall of at least one grade (Oliai started at ICANS 1 stops
            // after ICANS 0 held 24 h).
            var limit = trigger.grade ?? 2
            let started = scope.intersection(indicating)
            if !started.isEmpty, let atStart = documentedWorst(started, at: courseStart), atStart >= 1, atStart <= limit {
                limit = atStart - 1
            }
            if t - hold < courseStart {
                next.consider(courseStart + hold)
                return .tooEarly(until: courseStart + hold)
            }
            for toxicity in ToxicitySet.singles where scope.contains(toxicity) {
                if grades.grade(toxicity) > limit { return .notHeld(toxicity) }
                guard let range = documentedRange(toxicity, from: t - hold, through: t), range.documentedInside else {
                    return .notDocumented(toxicity)
                }
                if range.maximum > limit {
                    if let drop = lastDocumentedDrop(toxicity, toAtMost: limit, atOrBefore: t) {
                        next.consider(drop + hold)
                    }
                    return .notHeld(toxicity)
                }
            }
            return .held(since: t - hold)
        case .improvingOrStable, .improving:
            var scope = indicating
            if scope.isEmpty { scope = protocolToxicities(p) }
            var earliest = courseStart + hold
            if trigger.kind == .improving, let after = trigger.afterHours {
                earliest = max(earliest, courseStart + Double(after.min) * 3600)
            }
            if t < earliest {
                next.consider(earliest)
                return .tooEarly(until: earliest)
            }
            let start = t - hold
            let reference = trigger.kind == .improving ? documentedWorst(scope, at: courseStart) : nil
            for toxicity in ToxicitySet.singles where scope.contains(toxicity) {
                guard let range = documentedRange(toxicity, from: start, through: t), range.documentedInside else {
                    return .notDocumented(toxicity)
                }
                let now = grades.grade(toxicity)
                if trigger.kind == .improving {
                    // Improving: below the grade at the start of anakinra throughout the window.
                    let ceiling = max(0, (reference ?? 0) - 1)
                    if range.maximum > ceiling || now > ceiling { return .notHeld(toxicity) }
                } else {
                    // Stable or improving: never above the grade at the start of the window.
                    let ceiling = range.atStart ?? range.maximum
                    if range.maximum > ceiling || now > ceiling { return .notHeld(toxicity) }
                }
            }
            return .held(since: start)
        }
    }

    /// Recurrence during a taper: the trigger's toxicities above its grade (grade-at-most), or the
    /// worst indicating grade above its value when the taper started.
    func recurredDuringTaper(
        _ p: PreparedProtocol,
        trigger: TriggerRule,
        indicating: ToxicitySet,
        taperStart: Double,
        grades: GradeSnapshot
    ) -> Bool {
        switch trigger.kind {
        case .gradeAtMost:
            return grades.worst(triggerScope(trigger, indicating: indicating, p: p)) > (trigger.grade ?? 2)
        case .improvingOrStable, .improving:
            let before = documentedWorst(indicating, at: taperStart) ?? 0
            return grades.worst(indicating) > before
        case .notStated:
            return false
        }
    }

    /// Whether a corticosteroid is active at `t` (A1), with the instant it stops being active.
    func isCorticosteroidActive(at t: Double, next: inout NextDecision) -> Bool {
        guard let i = index.corticosteroids.latest(atOrBefore: t) else { return false }
        let end = index.corticosteroids.times[i] + policy.corticosteroidActiveWindow
        guard t <= end else { return false }
        next.consider(end.nextUp)
        return true
    }

    // MARK: Route (A8)

    func routeReasons(
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        evidence: inout RouteEvidence
    ) -> RouteReasons {
        var reasons: RouteReasons = []
        if let i = currentLab(.platelets, at: t),
            index.labs[LabTest.platelets.ordinal].values[i].value < dosing.ivPlateletsBelow
        {
            reasons.insert(.thrombocytopenia)
            evidence.platelets = i
        }
        if let i = currentLab(.fibrinogen, at: t),
            index.labs[LabTest.fibrinogen.ordinal].values[i].value < dosing.ivFibrinogenBelow
        {
            reasons.insert(.coagulopathy)
            evidence.fibrinogen = i
        }
        if let i = currentLab(.inr, at: t), index.labs[LabTest.inr.ordinal].values[i].value > dosing.ivINRAbove {
            reasons.insert(.coagulopathy)
            evidence.inr = i
        }
        if let event = index.finding(.coagulopathy, at: t) {
            reasons.insert(.coagulopathy)
            evidence.coagulopathyEvent = event
        }
        if grades.crs.core.grade >= dosing.ivGradeAtLeast { reasons.insert(.severeCRS) }
        if grades.icans.core.grade >= dosing.ivGradeAtLeast { reasons.insert(.severeICANS) }
        if let age = profile.age, age.age.completedYears < dosing.ivChildUnderYears { reasons.insert(.childUnder12) }
        return reasons
    }

    // MARK: Safety (A9)

    /// Slots of the TNF blockers (etanercept, infliximab, adalimumab, certolizumab, golimumab).
    static let tnfBlockerSlots: [Int] = [Drug.etanercept, .infliximab, .adalimumab, .certolizumab, .golimumab]
        .compactMap(\.slot)

    func safetyFacts(
        at t: Double,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        anakinraPlanned: Bool,
        next: inout NextDecision
    ) -> SafetyFacts {
        var facts = SafetyFacts()
        facts.hypersensitivityEvent = profile.hypersensitivityEvent
        // TNF blockers in the window.
        var latestTNF: Double = -.infinity
        for slot in Self.tnfBlockerSlots {
            let series = index.given[slot]
            guard !series.isEmpty, let i = series.latest(atOrBefore: t) else { continue }
            let time = series.times[i]
            if t - time <= dosing.tnfBlockerWindow, time > latestTNF {
                latestTNF = time
                facts.tnfSlot = slot
                facts.tnfIndex = i
            }
        }
        if facts.tnfIndex != nil { next.consider((latestTNF + dosing.tnfBlockerWindow).nextUp) }
        // Infection risk.
        if let i = currentLab(.anc, at: t),
            index.labs[LabTest.anc.ordinal].values[i].value < dosing.severeNeutropeniaANC
        {
            facts.lowANC = i
        }
        facts.activeInfection = index.finding(.activeInfection, at: t)
        let from = t - dosing.infectionWindow
        func given(_ series: Series<Administration>) -> Bool {
            guard !series.isEmpty, let i = series.latest(atOrBefore: t) else { return false }
            if series.times[i] >= from {
                next.consider((series.times[i] + dosing.infectionWindow).nextUp)
                return true
            }
            return false
        }
        var bits: UInt8 = 0
        if given(index.given[Drug.tocilizumab.slot ?? 0]) { bits |= 1 }
        if given(index.corticosteroids) { bits |= 2 }
        if given(index.given[Drug.ruxolitinib.slot ?? 7]) { bits |= 4 }
        if given(index.given[Drug.emapalumab.slot ?? 8]) { bits |= 8 }
        if anakinraPlanned || given(index.given[Self.anakinraSlot]) { bits |= 16 }
        facts.combination = bits
        facts.renal = renalFinding(at: t, profile: profile)
        return facts
    }

    /// Creatinine clearance < 30 mL/min: reported, or estimated (bedside Schwartz below 18 y,
    /// Cockcroft-Gault from 18 y) when the inputs allow (A9).
    func renalFinding(at t: Double, profile: ProfileFacts) -> RenalFinding? {
        if let i = currentLab(.creatinineClearance, at: t) {
            let value = index.labs[LabTest.creatinineClearance.ordinal].values[i].value
            guard value < Double(RenalFunction.severeImpairmentMLPerMin),
                let exact = ExactAmount(measured: value, places: 1)
            else { return nil }
            return RenalFinding(reportedLab: i, creatinineLab: nil, method: nil, value: exact)
        }
        guard let i = currentLab(.creatinine, at: t), let age = profile.age else { return nil }
        let creatinine = index.labs[LabTest.creatinine.ordinal].values[i].value
        guard
            let estimate = RenalFunction.clearance(
                ageYears: age.age.years,
                sex: profile.sex,
                weightKg: weightKg(profile),
                heightCm: profile.heightCm,
                serumCreatinineMgPerDL: creatinine
            )
        else { return nil }
        guard estimate.value < RenalFunction.severeImpairmentMLPerMin else { return nil }
        return RenalFinding(reportedLab: nil, creatinineLab: i, method: estimate.method, value: estimate.value)
    }
}

extension DosePlan {
    /// The plan with its route set (the route rules decide it at every assessment).
    func routed(_ route: Route) -> DosePlan {
        switch self {
        case .none, .protocolDose: return self
        case .regimen(var dose):
            dose.route = route
            return .regimen(dose)
        case .escalation(var dose):
            dose.route = route
            return .escalation(from: dose)
        case .taper(var dose, let step):
            dose.route = route
            return .taper(from: dose, step: step)
        }
    }
}
