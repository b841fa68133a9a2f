// The recommendation decision while on anakinra (clinical-spec A7, §A13): continue, escalate,
// taper, stop, with the taper trigger and recurrences.

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

extension PatientTimeline {
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
        while step < schedule.count, let hours = schedule[step - 1].hours, let frequency = schedule[step - 1].frequency
        {
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
            if !started.isEmpty, let atStart = documentedWorst(started, at: courseStart), atStart >= 1, atStart <= limit
            {
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
}
