import Foundation

// ICANS grading (clinical-spec A3; ASTCT 2019, Part B §4).

/// The encephalopathy instrument of the ICANS grade.
enum ICANSInstrument: Sendable {
    case ice, capd
}

/// ICE 10 → 0; 7–9 → 1; 3–6 → 2; 0–2 → 3 (A3).
func iceGrade(_ score: Int) -> Int {
    switch score {
    case 10...: 0
    case 7...9: 1
    case 3...6: 2
    default: 3
    }
}

/// CAPD 0 → 0; 1–8 → 1; ≥ 9 → 3 (A3).
func capdGrade(_ score: Int) -> Int {
    switch score {
    case ...0: 0
    case 1...8: 1
    default: 3
    }
}

/// Awake 0, awakens spontaneously 1, to voice 2, only to tactile stimulus 3, unarousable 4 (A3).
func consciousnessGrade(_ level: Consciousness) -> Int {
    switch level {
    case .awake: 0
    case .awakensSpontaneously: 1
    case .awakensToVoice: 2
    case .awakensToTactile: 3
    case .unarousable: 4
    }
}

/// Resolving clinical or EEG seizure 3, prolonged or repetitive 4 (A3).
func seizureGrade(_ seizure: Seizure) -> Int {
    switch seizure {
    case .none: 0
    case .focalOrGeneralizedResolving, .nonconvulsiveEEGResolving: 3
    case .prolongedOrRepetitive: 4
    }
}

/// Deep focal weakness 4 (A3); tremor and myoclonus are not in the domain at all.
func motorGrade(_ motor: MotorWeakness) -> Int {
    switch motor {
    case .none: 0
    case .deepFocal: 4
    }
}

/// Focal edema 3; diffuse edema or any sign of raised ICP 4 (A3).
func intracranialGrade(_ observation: IntracranialObservation) -> Int {
    if observation.signs != 0 { return 4 }
    switch observation.edema {
    case .some(.diffuse): return 4
    case .some(.focal): return 3
    case .some(.none), nil: return 0
    }
}

/// What the timeline says about ICANS at one instant.
struct ICANSFacts: Sendable {
    var time: Double
    var age: (age: PatientAge, event: Int32)?
    /// The latest developmental-delay finding, when present.
    var developmentalDelayEvent: Int32?
    var ice: Reading
    var capd: Reading
    var consciousness: Reading
    var seizure: Reading
    var motor: Reading
    var intracranial: Reading
    /// The latest assessment reports sedation (index in ``TimelineIndex/neuroSedated``).
    var sedatedAssessment: Int?
    /// Active sedative infusions (``TrackedInfusion`` bits).
    var sedativeInfusions: UInt16

    var sedated: Bool { sedatedAssessment != nil || sedativeInfusions != 0 }

    /// The instrument the patient's age calls for (R-ICANS-P3), `nil` when the age is unknown.
    func expectedInstrument(_ policy: GradingPolicy) -> ICANSInstrument? {
        guard let age else { return nil }
        return age.age.completedYears >= policy.iceMinimumAgeYears && developmentalDelayEvent == nil ? .ice : .capd
    }
}

/// An ICANS evaluation at an instant: everything the explanation needs, trivially copyable.
struct ICANSEvaluation: Sendable {
    var time: Double
    var facts: ICANSFacts
    var core: ICANSCore
    var status: EpisodeStatus?
    var maxGrade: Int
}

/// The ICANS grade at an instant, before explanation.
struct ICANSCore: Sendable {
    var grade: Int
    var flags: GradeFlags
    var instrumentGrade: Int?
    var iceGrade: Int?
    var capdGrade: Int?
    var consciousnessGrade: Int?
    var unarousable: Bool
    /// Whether an age-appropriate instrument (or unarousability) was available.
    var instrumentKnown: Bool
    var consciousnessKnown: Bool
    var iceMismatch: Bool
    var capdMismatch: Bool
    var iceAcceptable: Bool
    var capdAcceptable: Bool
}

extension TimelineIndex {
    func icansFacts(at t: Double, policy: GradingPolicy, window: Double) -> ICANSFacts {
        var sedatedAssessment: Int?
        if let i = neuroSedated.latest(atOrBefore: t), neuroSedated.values[i], t - neuroSedated.times[i] <= window {
            sedatedAssessment = i
        }
        var delay: Int32?
        let delaySeries = findings[ClinicalFinding.developmentalDelay.ordinal]
        if let i = delaySeries.latest(atOrBefore: t), delaySeries.values[i] { delay = delaySeries.events[i] }
        return ICANSFacts(
            time: t,
            age: age(at: t),
            developmentalDelayEvent: delay,
            ice: ice.reading(at: t, window: window),
            capd: capd.reading(at: t, window: window),
            consciousness: consciousness.reading(at: t, window: window),
            seizure: seizure.reading(at: t, window: window),
            motor: motor.reading(at: t, window: window),
            intracranial: intracranial.reading(at: t, window: window),
            sedatedAssessment: sedatedAssessment,
            sedativeInfusions: activeInfusions(at: t, mask: TrackedInfusion.sedatives)
        )
    }

    func icansCore(_ facts: ICANSFacts, policy: GradingPolicy) -> ICANSCore {
        var flags: GradeFlags = []
        let sedated = facts.sedated
        if sedated { flags.insert(.notAssessableSedated) }

        // Instrument by age (R-ICANS-P3): ICE from 12 years, CAPD below (or with developmental delay).
        let completedYears = facts.age?.age.completedYears
        let atLeastICEAge = completedYears.map { $0 >= policy.iceMinimumAgeYears }
        let delay = facts.developmentalDelayEvent != nil
        let iceAcceptable = atLeastICEAge ?? true
        let capdAcceptable = atLeastICEAge.map { !$0 || delay } ?? true
        if let age = facts.age, age.age.completedYears == policy.iceMinimumAgeYears, age.age.onFirstDayOfYear {
            flags.insert(.age12Boundary)
        }
        if delay, atLeastICEAge == true { flags.insert(.developmentalDelay) }

        var consciousnessGrade: Int?
        var unarousable = false
        if !sedated, let i = facts.consciousness.current {
            let level = consciousness.values[i]
            consciousnessGrade = ToxicityRules.consciousnessGrade(level)
            unarousable = level == .unarousable
        }

        var ice: Int?
        var capd: Int?
        var iceMismatch = false
        var capdMismatch = false
        if !sedated {
            if let i = facts.ice.current {
                ice = iceGrade(self.ice.values[i])
                iceMismatch = !iceAcceptable
            }
            if let i = facts.capd.current {
                capd = capdGrade(self.capd.values[i])
                capdMismatch = !capdAcceptable
            }
        }
        if iceMismatch || capdMismatch { flags.insert(.instrumentAgeMismatch) }

        var instrument: Int?
        if unarousable {
            instrument = 4
        } else if ice != nil || capd != nil {
            instrument = max(ice ?? 0, capd ?? 0)
        }
        let instrumentKnown =
            unarousable || (ice != nil && iceAcceptable) || (capd != nil && capdAcceptable)

        var grade = max(instrument ?? 0, consciousnessGrade ?? 0)
        if let i = facts.seizure.current { grade = max(grade, seizureGrade(seizure.values[i])) }
        if let i = facts.motor.current { grade = max(grade, motorGrade(motor.values[i])) }
        if let i = facts.intracranial.current { grade = max(grade, intracranialGrade(intracranial.values[i])) }

        let consciousnessKnown = consciousnessGrade != nil
        if grade < 4, !instrumentKnown || !consciousnessKnown { flags.insert(.incompleteData) }
        var core = ICANSCore(
            grade: grade, flags: flags, instrumentGrade: instrument, iceGrade: ice, capdGrade: capd,
            consciousnessGrade: consciousnessGrade, unarousable: unarousable, instrumentKnown: instrumentKnown,
            consciousnessKnown: consciousnessKnown, iceMismatch: iceMismatch, capdMismatch: capdMismatch,
            iceAcceptable: iceAcceptable, capdAcceptable: capdAcceptable
        )
        if facts.cannotGrade(core) { core.flags.insert(.cannotGrade) }
        return core
    }

    /// ICANS resolved for closing an episode: cognition and consciousness documented normal on the
    /// latest assessments (whatever their age), no current seizure, motor or ICP finding, not sedated.
    func icansResolved(at t: Double, policy: GradingPolicy) -> Bool {
        let known = icansFacts(at: t, policy: policy, window: .infinity)
        if known.sedated { return false }
        let fresh = icansFacts(at: t, policy: policy, window: policy.neuroFreshness)
        if let i = fresh.seizure.current, seizureGrade(seizure.values[i]) > 0 { return false }
        if let i = fresh.motor.current, motorGrade(motor.values[i]) > 0 { return false }
        if let i = fresh.intracranial.current, intracranialGrade(intracranial.values[i]) > 0 { return false }
        var knownOnly = known
        knownOnly.seizure = .missing
        knownOnly.motor = .missing
        knownOnly.intracranial = .missing
        let core = icansCore(knownOnly, policy: policy)
        return core.grade == 0 && core.instrumentKnown && core.consciousnessKnown
    }

    func icansPointGrade(at t: Double, policy: GradingPolicy) -> (grade: Int, complete: Bool, event: Int32) {
        let facts = icansFacts(at: t, policy: policy, window: policy.neuroFreshness)
        let core = icansCore(facts, policy: policy)
        let event = neuroSedated.latest(atOrBefore: t).map { neuroSedated.events[$0] } ?? 0
        return (core.grade, !core.flags.contains(.incompleteData), event)
    }

    /// The ICANS course, built like ``buildCRSCourse(policy:startEvents:previous:resumeBefore:)``.
    func buildICANSCourse(
        policy: GradingPolicy, startEvents: [String], previous: GradeCourse? = nil, resumeBefore: Double
    ) -> GradeCourse {
        let start = CourseStart(previous: previous, startEvents: startEvents, resumeBefore: resumeBefore)
        var candidates = CandidateInstants(from: start.from)
        let window = policy.neuroFreshness
        candidates.add(neuroSedated)
        candidates.add(neuroSedated, staleAfter: window)
        for bit in 7..<11 { candidates.add(infusionChanges[bit]) }
        candidates.add(findings[ClinicalFinding.developmentalDelay.ordinal])
        candidates.add(ages)
        candidates.add(contentsOf: ageInstants(policy: policy))
        return buildCourse(
            from: start, candidates: candidates.sorted(), policy: policy,
            grade: { icansPointGrade(at: $0, policy: policy) },
            resolved: { icansResolved(at: $0, policy: policy) }
        )
    }
}

// MARK: - Explanation

extension PatientTimeline {
    /// The ICANS grade at `t`, without explanation (cheap, no allocation).
    func evaluateICANS(at t: Double) -> ICANSEvaluation {
        let facts = index.icansFacts(at: t, policy: policy, window: policy.neuroFreshness)
        let core = index.icansCore(facts, policy: policy)
        let status = icansCourse.status(at: t)
        let runningMax = status.map { $0.isOpen ? $0.maxGradeSoFar : $0.episode.maxGrade } ?? 0
        return ICANSEvaluation(time: t, facts: facts, core: core, status: status, maxGrade: max(core.grade, runningMax))
    }

    /// The reasons and alerts of an ICANS evaluation.
    func explainICANS(_ evaluation: ICANSEvaluation, alerts: inout AlertList) -> [Reason] {
        let policy = self.policy
        let t = evaluation.time
        let facts = evaluation.facts
        let core = evaluation.core
        var reasons: [Reason] = []
        reasons.reserveCapacity(4)

        if core.flags.contains(.notAssessableSedated) {
            var obs = CompactList<ObservedValue>()
            if let i = facts.sedatedAssessment {
                obs.append(
                    observed(
                        .sedated, value: 1, event: index.neuroSedated.events[i], at: index.neuroSedated.times[i]))
            }
            for bit in 7..<11 where facts.sedativeInfusions & (1 << bit) != 0 {
                let series = index.infusionChanges[bit]
                if let i = series.latest(atOrBefore: t) {
                    obs.append(
                        observed(
                            .drug, category: TrackedInfusion.drugs[bit].name, event: series.events[i],
                            at: series.times[i]))
                }
            }
            reasons.append(
                Reason(code: .notAssessableSedated, rule: .icansUnableCAPD, source: .astct2019, observed: obs))
            alerts.add(.notAssessableSedated, fields: [.iceScore, .capdScore, .consciousness], events: [], self)
        }

        // Instruments.
        if core.unarousable, let i = facts.consciousness.current {
            let usesICE = facts.expectedInstrument(policy) != .capd
            reasons.append(
                Reason(
                    code: .unableToAssessUnarousable, rule: usesICE ? .icansICE0 : .icansUnableCAPD,
                    source: .astct2019, grade: 4,
                    observed: [
                        observed(
                            .consciousness, category: index.consciousness.values[i].rawValue,
                            event: index.consciousness.events[i], at: index.consciousness.times[i])
                    ]))
        }
        if let grade = core.iceGrade, let i = facts.ice.current {
            let score = index.ice.values[i]
            var thresholds: CompactList<Threshold> = []
            switch grade {
            case 0: thresholds.append(Threshold(field: .iceScore, comparator: .equal, value: 10))
            case 1: thresholds.append(Threshold(field: .iceScore, comparator: .greaterThanOrEqual, value: 7))
            case 2:
                thresholds.append(Threshold(field: .iceScore, comparator: .greaterThanOrEqual, value: 3))
                thresholds.append(Threshold(field: .iceScore, comparator: .lessThanOrEqual, value: 6))
            default: thresholds.append(Threshold(field: .iceScore, comparator: .lessThanOrEqual, value: 2))
            }
            var obs: CompactList<ObservedValue> = [
                observed(.iceScore, value: Double(score), event: index.ice.events[i], at: index.ice.times[i])
            ]
            if let age = facts.age { obs.append(ageObserved(age, at: t)) }
            reasons.append(
                Reason(
                    code: .iceScore,
                    rule: score == 0 ? .icansICE0 : .icansDomains, source: .astct2019, grade: grade, observed: obs,
                    thresholds: thresholds))
            if core.iceMismatch {
                reasons.append(
                    Reason(
                        code: .instrumentAgeMismatch, rule: .icansInstrumentAge, source: .astct2019, observed: obs,
                        thresholds: [
                            Threshold(
                                field: .ageYears, comparator: .greaterThanOrEqual,
                                value: Double(policy.iceMinimumAgeYears), unit: "years", source: .policy)
                        ]))
                alerts.add(.instrumentAgeMismatch, fields: [.iceScore], events: [index.ice.events[i]], self)
            }
        }
        if let grade = core.capdGrade, let i = facts.capd.current {
            let score = index.capd.values[i]
            var thresholds: CompactList<Threshold> = []
            switch grade {
            case 0: thresholds.append(Threshold(field: .capdScore, comparator: .equal, value: 0))
            case 1:
                thresholds.append(Threshold(field: .capdScore, comparator: .greaterThanOrEqual, value: 1))
                thresholds.append(Threshold(field: .capdScore, comparator: .lessThanOrEqual, value: 8))
            default: thresholds.append(Threshold(field: .capdScore, comparator: .greaterThanOrEqual, value: 9))
            }
            var obs: CompactList<ObservedValue> = [
                observed(.capdScore, value: Double(score), event: index.capd.events[i], at: index.capd.times[i])
            ]
            if let age = facts.age { obs.append(ageObserved(age, at: t)) }
            reasons.append(
                Reason(
                    code: .capdScore, rule: .icansCAPD, source: .astct2019, grade: grade, observed: obs,
                    thresholds: thresholds))
            if core.capdMismatch {
                reasons.append(
                    Reason(
                        code: .instrumentAgeMismatch, rule: .icansInstrumentAge, source: .astct2019, observed: obs,
                        thresholds: [
                            Threshold(
                                field: .ageYears, comparator: .lessThan, value: Double(policy.iceMinimumAgeYears),
                                unit: "years", source: .policy)
                        ]))
                alerts.add(.instrumentAgeMismatch, fields: [.capdScore], events: [index.capd.events[i]], self)
            }
        }
        if core.flags.contains(.age12Boundary), let age = facts.age {
            reasons.append(
                Reason(
                    code: .age12Boundary, rule: .icansInstrumentAge, source: .policy,
                    observed: [ageObserved(age, at: t)],
                    thresholds: [
                        Threshold(
                            field: .ageYears, comparator: .greaterThanOrEqual,
                            value: Double(policy.iceMinimumAgeYears), unit: "years")
                    ]))
        }
        if core.flags.contains(.developmentalDelay), let event = facts.developmentalDelayEvent {
            reasons.append(
                Reason(
                    code: .developmentalDelay, rule: .icansInstrumentAge, source: .astct2019,
                    observed: [
                        observed(
                            .finding, category: ClinicalFinding.developmentalDelay.rawValue, event: event,
                            at: eventTimes[Int(event)])
                    ]))
        }
        if !core.instrumentKnown, !core.flags.contains(.notAssessableSedated) {
            reasons.append(Reason(code: .neuroUnknown, rule: .freshness, source: .policy))
            switch facts.expectedInstrument(policy) {
            case nil:
                alerts.add(
                    facts.ice == .missing && facts.capd == .missing ? .missingNeuro : .staleNeuro,
                    fields: [.iceScore, .capdScore], events: [], self)
            case .ice:
                alerts.addReading(facts.ice, field: .iceScore, series: index.ice, kind: .neuro, self)
            case .capd:
                alerts.addReading(facts.capd, field: .capdScore, series: index.capd, kind: .neuro, self)
            }
        }

        // Level of consciousness.
        if let grade = core.consciousnessGrade, let i = facts.consciousness.current {
            reasons.append(
                Reason(
                    code: .consciousness, rule: .icansConsciousness, source: .astct2019, grade: grade,
                    observed: [
                        observed(
                            .consciousness, category: index.consciousness.values[i].rawValue,
                            event: index.consciousness.events[i], at: index.consciousness.times[i])
                    ]))
        } else if !core.flags.contains(.notAssessableSedated) {
            alerts.addReading(
                facts.consciousness, field: .consciousness, series: index.consciousness, kind: .neuro, self)
        }

        // Seizure, motor, edema/ICP: counted when reported within the freshness window.
        if let i = facts.seizure.current {
            let value = index.seizure.values[i]
            reasons.append(
                Reason(
                    code: .seizure, rule: .icansDomains, source: .astct2019, grade: seizureGrade(value),
                    observed: [
                        observed(
                            .seizure, category: value.rawValue, event: index.seizure.events[i],
                            at: index.seizure.times[i])
                    ]))
        }
        if let i = facts.motor.current {
            let value = index.motor.values[i]
            reasons.append(
                Reason(
                    code: .motorWeakness, rule: .icansDomains, source: .astct2019, grade: motorGrade(value),
                    observed: [
                        observed(
                            .motorWeakness, category: value.rawValue, event: index.motor.events[i],
                            at: index.motor.times[i])
                    ]))
        }
        if let i = facts.intracranial.current {
            let value = index.intracranial.values[i]
            var obs = CompactList<ObservedValue>()
            if let edema = value.edema {
                obs.append(
                    observed(
                        .cerebralEdema, category: edema.rawValue, event: index.intracranial.events[i],
                        at: index.intracranial.times[i]))
            }
            for sign in value.signList {
                obs.append(
                    observed(
                        .raisedIcpSigns, category: sign.rawValue, event: index.intracranial.events[i],
                        at: index.intracranial.times[i]))
            }
            reasons.append(
                Reason(
                    code: value.signs != 0 ? .raisedIntracranialPressure : .cerebralEdema, rule: .icansDomains,
                    source: .astct2019, grade: intracranialGrade(value), observed: obs))
        }
        if facts.age == nil { alerts.add(.missingAge, fields: [.birthDate, .ageYears], events: [], self) }

        if core.flags.contains(.cannotGrade) {
            var stale = CompactList<ObservedValue>()
            for value in [
                staleObserved(facts.ice, .iceScore, series: index.ice, value: { Double($0) }),
                staleObserved(facts.capd, .capdScore, series: index.capd, value: { Double($0) }),
                staleObserved(facts.consciousness, .consciousness, series: index.consciousness, value: { _ in nil }),
            ] {
                if let value { stale.append(value) }
            }
            reasons.append(cannotGradeReason(stale: stale, window: policy.neuroFreshness))
        } else {
            markDecisive(&reasons, grade: core.grade)
        }
        return reasons
    }
}
