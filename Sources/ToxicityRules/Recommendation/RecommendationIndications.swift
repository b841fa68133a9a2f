// Indications (clinical-spec A6): whether a protocol's indication is met at T, and why not.
// Everything here is a pure function of the timeline and T, and returns plain values (event
// indices and instants), so that the assessment stays allocation-free; the explanation reads the
// same values back to build its reasons.

/// How a "refractory" condition was met (A6 a–c), or not.
enum RefractoryOutcome: Hashable, Sendable {
    /// (a) The grade rose after both had been given.
    case gradeRose
    /// (b) ≥ 24 h after the first corticosteroid (or tocilizumab, for refractory-to-tocilizumab),
    /// the grade has not fallen.
    case notFallen
    /// (c) The tocilizumab maximum (4 in total, or 3 in 24 h) is reached with grade ≥ 2.
    case tocilizumabMaximum
    /// Not refractory yet.
    case notYet
    /// A required agent was never given in the episode.
    case tocilizumabMissing
    case corticosteroidMissing
}

/// What the refractoriness rule saw.
struct RefractoryFacts: Hashable, Sendable {
    var outcome: RefractoryOutcome = .notYet
    /// Start of the window in which the agents count.
    var windowStart: Double = 0
    /// Index in `given[tocilizumab]` of the first dose in the window, and how many.
    var firstTocilizumab: Int?
    var tocilizumabCount = 0
    var tocilizumabTotal = 0
    var tocilizumabLast24Hours = 0
    /// Index in `corticosteroids` of the first dose in the window.
    var firstCorticosteroid: Int?
    /// When both had been given (the later of the two first doses).
    var bothGivenAt: Double?
    /// The documented grade the current grade was compared with, and when.
    var referenceGrade: Int?
    var referenceTime: Double?
    /// When condition (b) becomes decidable (first corticosteroid + window).
    var notFallenDecidableAt: Double?
}

/// The outcome of one indication at T.
struct IndicationOutcome: Hashable, Sendable {
    /// Index in the protocol's `indications`.
    var index: Int
    var met: Bool
    /// The decisive reason (met: the line rule that fired; not met: why not).
    var code: ReasonCode
    var toxicity: IndicationToxicity
    /// The current grade of the toxicity (IEC-HS: its A4 grade; thrombocytopenia: 0).
    var grade: Int
    /// Grade ≥ 3 (IEC-HS: ≥ the policy's severe grade): the protocol's severe dose.
    var severe: Bool
    var refractory: RefractoryFacts?
    /// Event (index in the timeline) behind the decision: a corticosteroid order, a finding …
    var event: Int32?
    /// Instants the explanation cites (first tocilizumab, fever count, day +2 …).
    var instant: Double?
    var count: Int?
    /// IEC-HS indications ("carHLH/IEC-HS", A6): met by the other criteria set than the one the
    /// grades use (e.g. CARTOX carHLH while the provisional IEC-HS criteria are not met, TC27).
    var otherCriteria: IECHSCriteriaSet?
}

extension PatientTimeline {
    /// Evaluates every indication of the protocol at `t` and returns the first one met, or the
    /// most informative one not met (the first whose toxicity is active).
    func firstIndication(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        next: inout NextDecision
    ) -> IndicationOutcome {
        var best: IndicationOutcome?
        var i = 0
        let count = p.indications.count
        while i < count {
            let outcome = evaluateIndication(
                p,
                index: i,
                at: t,
                grades: grades,
                profile: profile,
                dosing: dosing,
                next: &next
            )
            if outcome.met { return outcome }
            if best == nil || (best?.code == .noActiveToxicity && outcome.code != .noActiveToxicity) {
                best = outcome
            }
            i += 1
        }
        return best
            ?? IndicationOutcome(
                index: -1,
                met: false,
                code: .noActiveToxicity,
                toxicity: .crs,
                grade: 0,
                severe: false
            )
    }

    /// Every indication's outcome at `t` (for the explanation).
    func allIndications(
        _ p: PreparedProtocol,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy
    ) -> [IndicationOutcome] {
        var next = NextDecision(after: t)
        return p.indications.indices.map {
            evaluateIndication(p, index: $0, at: t, grades: grades, profile: profile, dosing: dosing, next: &next)
        }
    }

    /// One indication at `t`.
    func evaluateIndication(
        _ p: PreparedProtocol,
        index i: Int,
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        next: inout NextDecision
    ) -> IndicationOutcome {
        let indication = p.indications[i]
        let toxicity = ToxicitySet(indication.toxicity)
        var outcome = IndicationOutcome(
            index: i,
            met: false,
            code: .noActiveToxicity,
            toxicity: indication.toxicity,
            grade: 0,
            severe: false
        )

        // Prophylaxis does not wait for a toxicity (Park: from day +2, or after two fevers).
        if indication.line == .prophylaxis {
            return prophylaxis(indication, outcome: outcome, at: t, profile: profile, dosing: dosing, next: &next)
        }

        // Is the toxicity active, at or above the protocol's minimum grade?
        let minimum = max(1, indication.minimumGrade ?? 1)
        if indication.toxicity == .prolongedRefractoryThrombocytopenia {
            guard let event = index.finding(.prolongedRefractoryThrombocytopenia, at: t) else { return outcome }
            outcome.met = true
            outcome.code = .clinicianCodedFinding
            outcome.event = event
            return outcome
        }
        var grade = grades.grade(toxicity)
        if toxicity == .iecHs, grade == 0 {
            // "carHLH/IEC-HS": either criteria set indicates (the grades report the protocol's).
            if let (other, otherGrade) = otherCriteriaIECHS(at: t, grades: grades) {
                grade = otherGrade
                outcome.otherCriteria = other
            }
        }
        outcome.grade = grade
        outcome.severe =
            toxicity == .iecHs ? grade >= dosing.severeIECHSGrade : grade >= 3
        guard grade >= 1 else { return outcome }
        guard grade >= minimum else {
            outcome.code = .belowProtocolTrigger
            return outcome
        }
        if indication.withoutIcans, grades.icans.core.grade >= 1 {
            outcome.code = .icansPresent
            return outcome
        }

        switch indication.line {
        case .prophylaxis:
            return outcome
        case .firstLine:
            outcome.met = true
            outcome.code = indication.isolatedLateOnset ? .isolatedLateOnset : .firstLine
            if indication.isolatedLateOnset, !isIsolated(grades) {
                outcome.met = false
                outcome.code = .belowProtocolTrigger
            }
        case .notStated:
            outcome.met = true
            outcome.code = .lineNotStated
        case .withTocilizumab:
            let window = episodeStart(toxicity, at: t) ?? t
            let given = index.given[Drug.tocilizumab.slot ?? 0].count(from: window, through: t)
            outcome.met = given >= 1
            outcome.code = given >= 1 ? .withTocilizumab : .tocilizumabNotGiven
        case .concurrentWithCorticosteroid:
            let window = episodeStart(toxicity, at: t) ?? t
            if let k = index.corticosteroids.latest(atOrBefore: t),
                index.corticosteroids.times[k] >= window
                    || t - index.corticosteroids.times[k] <= policy.corticosteroidActiveWindow
            {
                outcome.met = true
                outcome.code = .corticosteroidGiven
                outcome.event = index.corticosteroids.events[k]
            } else if indication.corticosteroid == .givenOrOrdered,
                let order = corticosteroidOrder(from: window, through: t)
            {
                outcome.met = true
                outcome.code = .corticosteroidOrdered
                outcome.event = order
            } else {
                outcome.code = .corticosteroidNotGiven
            }
        case .afterFirstTocilizumabAndCorticosteroid:
            return afterFirstTocilizumab(
                indication,
                outcome: outcome,
                toxicity: toxicity,
                minimum: minimum,
                at: t,
                next: &next
            )
        case .refractoryToTocilizumabAndCorticosteroid:
            let facts = refractory(
                toxicity,
                grade: grade,
                at: t,
                tocilizumab: true,
                corticosteroid: true,
                dosing: dosing,
                next: &next
            )
            outcome.refractory = facts
            outcome.met = facts.isRefractory
            outcome.code = facts.code
        case .refractoryToCorticosteroid:
            let facts = refractory(
                toxicity,
                grade: grade,
                at: t,
                tocilizumab: false,
                corticosteroid: true,
                dosing: dosing,
                next: &next
            )
            outcome.refractory = facts
            outcome.met = facts.isRefractory
            outcome.code = facts.code
        case .refractoryToTocilizumab:
            let facts = refractory(
                toxicity,
                grade: grade,
                at: t,
                tocilizumab: true,
                corticosteroid: false,
                dosing: dosing,
                next: &next
            )
            outcome.refractory = facts
            outcome.met = facts.isRefractory
            outcome.code = facts.code
        }
        return outcome
    }

    /// IEC-HS under the criteria set the grades do not use, when it is met there: (set, A4 grade).
    /// Gated by ferritin (CARTOX needs a ferritin above 10,000 ng/mL; the provisional set a
    /// ferritin criterion) so that the common case costs one scan of a short series.
    func otherCriteriaIECHS(at t: Double, grades: GradeSnapshot) -> (IECHSCriteriaSet, Int)? {
        let other: IECHSCriteriaSet = policy.iecHsCriteria == .astct2023 ? .cartox2018 : .astct2023
        switch other {
        case .cartox2018:
            let ferritin = index.labs[LabTest.ferritin.ordinal]
            let count = ferritin.countAtOrBefore(t)
            var k = 0
            var high = false
            while k < count, !high {
                high = ferritin.values[k].value > 10_000
                k += 1
            }
            guard high else { return nil }
        case .astct2023:
            guard grades.iecHs.facts.ferritinMet else { return nil }
        }
        var otherPolicy = policy
        otherPolicy.iecHsCriteria = other
        let facts = index.iecHsFacts(at: t, policy: otherPolicy, crs: crsCourse, labWindow: policy.labFreshness)
        guard facts.present(other) else { return nil }
        return (other, max(1, facts.grade(other)))
    }

    /// NIH "isolated" toxicity: no fever and no hypotension now (A6).
    func isIsolated(_ grades: GradeSnapshot) -> Bool {
        grades.crs.core.fever != true && grades.crs.core.hypotensionGrade < 2
    }

    /// The start of the current (or latest) episode of a toxicity seen from `t`.
    func episodeStart(_ toxicity: ToxicitySet, at t: Double) -> Double? {
        episodeStatus(toxicity, at: t)?.episode.start
    }

    /// A corticosteroid `ordered` in `start...end` (index of the event in the timeline).
    func corticosteroidOrder(from start: Double, through end: Double) -> Int32? {
        let meds = index.medicationEvents
        var k = meds.countAtOrBefore(end) - 1
        while k >= 0, meds.times[k] >= start {
            if case .medication(let m) = events[Int(meds.values[k])], m.action == .ordered, m.drug.isCorticosteroid {
                return meds.values[k]
            }
            k -= 1
        }
        return nil
    }

    // MARK: Refractory (A6)

    /// The refractoriness rule of A6 for one toxicity.
    ///
    /// Agents count from the start of the toxicity's current episode; for ICANS and IEC-HS,
    /// tocilizumab also counts from the start of the CRS episode seen when their episode opened
    /// (tocilizumab is given for the CRS that usually precedes them).
    func refractory(
        _ toxicity: ToxicitySet,
        grade: Int,
        at t: Double,
        tocilizumab needsTocilizumab: Bool,
        corticosteroid needsCorticosteroid: Bool,
        dosing: DosingPolicy,
        next: inout NextDecision
    ) -> RefractoryFacts {
        var facts = RefractoryFacts()
        let ownStart = episodeStatus(toxicity, at: t)?.episode.start ?? t
        var tocilizumabStart = ownStart
        if toxicity != .crs, let crsStart = storage.crsCourse.status(at: ownStart)?.episode.start {
            tocilizumabStart = min(crsStart, ownStart)
        }
        facts.windowStart = ownStart

        let toci = index.given[Drug.tocilizumab.slot ?? 0]
        let firstToci = toci.first(atOrAfter: tocilizumabStart).flatMap { toci.times[$0] <= t ? $0 : nil }
        facts.firstTocilizumab = firstToci
        facts.tocilizumabCount = toci.count(from: tocilizumabStart, through: t)
        let infusion = index.infusedAt(at: t)?.time ?? -.infinity
        facts.tocilizumabTotal = toci.count(from: infusion, through: t)
        facts.tocilizumabLast24Hours = toci.countAtOrBefore(t) - toci.countAtOrBefore(t - 24 * 3600)

        let steroids = index.corticosteroids
        let firstSteroid = steroids.first(atOrAfter: ownStart).flatMap { steroids.times[$0] <= t ? $0 : nil }
        facts.firstCorticosteroid = firstSteroid

        if needsTocilizumab, firstToci == nil {
            facts.outcome = .tocilizumabMissing
            return facts
        }
        if needsCorticosteroid, firstSteroid == nil {
            facts.outcome = .corticosteroidMissing
            return facts
        }
        let tociTime = firstToci.map { toci.times[$0] }
        let steroidTime = firstSteroid.map { steroids.times[$0] }
        let both = max(tociTime ?? -.infinity, steroidTime ?? -.infinity)
        facts.bothGivenAt = both

        // (c) tocilizumab maximum reached with grade ≥ 2.
        if needsTocilizumab, grade >= 2,
            facts.tocilizumabTotal >= dosing.tocilizumabMaximumTotal
                || facts.tocilizumabLast24Hours >= dosing.tocilizumabMaximumPer24Hours
        {
            facts.outcome = .tocilizumabMaximum
            return facts
        }
        // (a) the grade rose after both had been given.
        if let before = documentedGrade(toxicity, at: both), grade > before {
            facts.outcome = .gradeRose
            facts.referenceGrade = before
            facts.referenceTime = both
            return facts
        }
        // (b) ≥ window after the first corticosteroid (tocilizumab when no corticosteroid is
        // required) the grade has not fallen.
        let clockStart = needsCorticosteroid ? (steroidTime ?? both) : (tociTime ?? both)
        let decidable = clockStart + dosing.refractoryWindow
        facts.notFallenDecidableAt = decidable
        let reference = documentedGrade(toxicity, at: clockStart)
        facts.referenceGrade = reference
        facts.referenceTime = clockStart
        if t >= decidable, let reference, grade >= reference, grade >= 1 {
            facts.outcome = .notFallen
            return facts
        }
        next.consider(decidable)
        facts.outcome = .notYet
        return facts
    }

    // MARK: Seattle CRS

    /// Seattle CRS: grade ≥ 2 persisting ≥ 8 h after the first tocilizumab dose, a corticosteroid
    /// given, and no second tocilizumab dose yet (A6).
    func afterFirstTocilizumab(
        _ indication: IndicationRule,
        outcome start: IndicationOutcome,
        toxicity: ToxicitySet,
        minimum: Int,
        at t: Double,
        next: inout NextDecision
    ) -> IndicationOutcome {
        var outcome = start
        let episode = episodeStatus(toxicity, at: t)?.episode.start ?? t
        let toci = index.given[Drug.tocilizumab.slot ?? 0]
        guard let first = toci.first(atOrAfter: episode), toci.times[first] <= t else {
            outcome.code = .tocilizumabNotGiven
            return outcome
        }
        let firstTime = toci.times[first]
        outcome.instant = firstTime
        let count = toci.count(from: episode, through: t)
        outcome.count = count
        if indication.beforeSecondTocilizumab, count >= 2 {
            outcome.code = .secondTocilizumabGiven
            return outcome
        }
        if indication.corticosteroid == .given || indication.corticosteroid == .givenOrOrdered {
            let steroids = index.corticosteroids
            guard let k = steroids.first(atOrAfter: episode), steroids.times[k] <= t else {
                outcome.code = .corticosteroidNotGiven
                return outcome
            }
            outcome.event = steroids.events[k]
        }
        let hours = Double(indication.persistingHoursAfterFirstTocilizumab ?? 0) * 3600
        let due = firstTime + hours
        guard t >= due, let range = documentedRange(toxicity, from: firstTime, through: t), range.minimum >= minimum,
            (range.atStart ?? minimum) >= minimum
        else {
            next.consider(due)
            outcome.code = .notPersistingAfterTocilizumab
            return outcome
        }
        outcome.met = true
        outcome.code = .persistingAfterTocilizumab
        return outcome
    }

    // MARK: Prophylaxis (Park)

    func prophylaxis(
        _ indication: IndicationRule,
        outcome start: IndicationOutcome,
        at t: Double,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        next: inout NextDecision
    ) -> IndicationOutcome {
        var outcome = start
        guard let infusion = profile.infusion else {
            outcome.code = .infusionDateRequired
            return outcome
        }
        let day = infusion.time + Double(indication.fromDayAfterInfusion ?? 0) * dosing.prophylaxisDayLength
        outcome.instant = day
        if t >= day {
            outcome.met = true
            outcome.code = .prophylaxisDay
            return outcome
        }
        next.consider(day)
        if let needed = indication.orAfterFeverCount {
            let fevers = feverSpells(from: infusion.time, through: t)
            outcome.count = fevers
            if fevers >= needed {
                outcome.met = true
                outcome.code = .prophylaxisFevers
                return outcome
            }
        }
        outcome.code = .beforeProphylaxisDay
        return outcome
    }

    /// Documented fevers after `start`: a reading ≥ 38.0 °C counts as a new fever when the
    /// previous reading was below 38.0 °C (or it is the first reading after `start`) (IMPL).
    func feverSpells(from start: Double, through end: Double) -> Int {
        let temps = index.temperature
        var k = temps.countBefore(start)
        let last = temps.countAtOrBefore(end)
        var spells = 0
        var febrile = false
        while k < last {
            let fever = temps.values[k] >= 38.0
            if fever, !febrile, temps.times[k] > start { spells += 1 }
            febrile = fever
            k += 1
        }
        return spells
    }
}

extension RefractoryFacts {
    var isRefractory: Bool {
        switch outcome {
        case .gradeRose, .notFallen, .tocilizumabMaximum: true
        case .notYet, .tocilizumabMissing, .corticosteroidMissing: false
        }
    }

    var code: ReasonCode {
        switch outcome {
        case .gradeRose: .refractoryGradeRose
        case .notFallen: .refractoryNotFallen
        case .tocilizumabMaximum: .refractoryTocilizumabMaximum
        case .notYet, .tocilizumabMissing, .corticosteroidMissing: .notYetRefractory
        }
    }
}
