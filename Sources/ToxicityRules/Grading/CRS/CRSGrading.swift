import Foundation

// CRS grading (clinical-spec A2; ASTCT 2019, Part B §3 and §5).

/// What the timeline says about CRS at one instant.
struct CRSFacts: Sendable {
    var time: Double
    var age: (age: PatientAge, event: Int32)?
    var infusion: (time: Double, event: Int32)?
    var temperature: Reading
    var systolic: Reading
    var meanArterial: Reading
    var oxygen: Reading
    var oxygenClass: OxygenClassification?
    /// The current oxygen support, when current.
    var oxygenSupport: OxygenSupport?
    var baselineOxygen: (index: Int, tier: Int, support: OxygenSupport)?
    /// Active tracked infusions (``TrackedInfusion`` bits).
    var activeInfusions: UInt16

    /// Fever from the current temperature: `nil` when there is no current temperature.
    func fever(_ index: TimelineIndex) -> Bool? {
        guard let i = temperature.current else { return nil }
        return index.temperature.values[i] >= 38.0
    }

    /// Whether the current fever was observed after the infusion (or the infusion is unknown).
    func feverAfterInfusion(_ index: TimelineIndex) -> Bool {
        guard let i = temperature.current, let infusion else { return true }
        return index.temperature.times[i] >= infusion.time
    }

    var systolicThreshold: Double? {
        age.map { systolicHypotensionThreshold(for: $0.age) }
    }

    /// Hypotension from the systolic pressure: `nil` when unknown (no current reading, or no age
    /// and a pressure that is not below every age band's threshold).
    func hypotensiveBySystolic(_ index: TimelineIndex) -> Bool? {
        guard let i = systolic.current else { return nil }
        let sbp = index.systolic.values[i]
        if let threshold = systolicThreshold { return sbp < threshold }
        return sbp < ageIndependentSystolicThreshold ? true : nil
    }

    /// Hypotension from the mean arterial pressure in adults (A2, policy).
    func hypotensiveByMAP(_ index: TimelineIndex, _ policy: GradingPolicy) -> Bool? {
        guard let age, age.age.completedYears >= policy.adultMinimumAgeYears,
            let i = meanArterial.current
        else { return nil }
        return index.meanArterial.values[i] < policy.adultMAPThreshold
    }

    func countedVasopressors(_ policy: GradingPolicy) -> (nonVasopressin: Int, vasopressin: Bool) {
        var mask = activeInfusions & TrackedInfusion.nonVasopressinVasopressors
        if policy.countInotropesAsVasopressors { mask |= activeInfusions & TrackedInfusion.inotropes }
        return (mask.nonzeroBitCount, activeInfusions & TrackedInfusion.vasopressinBit != 0)
    }

    /// Whether the current oxygen is a higher flow than the baseline's on the same device and tier
    /// (§A13.15; both flows charted).
    var aboveBaselineFlow: Bool {
        guard let baselineOxygen, let oxygenClass, oxygenClass.tier == baselineOxygen.tier,
            let support = oxygenSupport, support.device == baselineOxygen.support.device,
            let flow = support.flowLPerMin, let baselineFlow = baselineOxygen.support.flowLPerMin
        else { return false }
        return flow > baselineFlow
    }

    /// The hypoxia tier counted for CRS, `nil` when unknown. Oxygen above the pre-infusion baseline
    /// counts (§A13.15): a higher tier, or a higher flow on the same device; anything else is the
    /// baseline need and counts as none.
    var countedOxygenTier: Int? {
        guard let oxygenClass else { return nil }
        if let baselineOxygen,
            oxygenClass.tier < baselineOxygen.tier
                || (oxygenClass.tier == baselineOxygen.tier && !aboveBaselineFlow)
        {
            return 1
        }
        return oxygenClass.tier
    }
}

/// A CRS evaluation at an instant: everything the explanation needs, trivially copyable.
struct CRSEvaluation: Sendable {
    var time: Double
    var facts: CRSFacts
    var core: CRSCore
    var status: EpisodeStatus?
    var waiver: FeverWaiver?
    var maxGrade: Int
}

/// The CRS grade at an instant, before explanation.
struct CRSCore: Sendable {
    var grade: Int
    var flags: GradeFlags
    var hypotensionGrade: Int
    var hypoxiaGrade: Int
    /// Fever state: `true` febrile, `false` afebrile, `nil` unknown.
    var fever: Bool?
    var hypotensionKnown: Bool
    var hypoxiaKnown: Bool
}

extension TimelineIndex {
    /// The oxygen support before the infusion (A2: not counted), within the policy's lookback.
    func baselineOxygen(infusedAt: Double, policy: GradingPolicy) -> (index: Int, tier: Int, support: OxygenSupport)? {
        guard let i = oxygen.latest(atOrBefore: infusedAt),
            infusedAt - oxygen.times[i] <= policy.baselineOxygenLookback
        else { return nil }
        return (i, OxygenClassification(oxygen.values[i]).tier, oxygen.values[i])
    }

    func crsFacts(at t: Double, policy: GradingPolicy, window: Double) -> CRSFacts {
        let infusion = infusedAt(at: t)
        let oxygenReading = oxygen.reading(at: t, window: window)
        return CRSFacts(
            time: t,
            age: age(at: t),
            infusion: infusion,
            temperature: temperature.reading(at: t, window: window),
            systolic: systolic.reading(at: t, window: window),
            meanArterial: meanArterial.reading(at: t, window: window),
            oxygen: oxygenReading,
            oxygenClass: oxygenReading.current.map { OxygenClassification(oxygen.values[$0]) },
            oxygenSupport: oxygenReading.current.map { oxygen.values[$0] },
            baselineOxygen: infusion.flatMap { baselineOxygen(infusedAt: $0.time, policy: policy) },
            activeInfusions: activeInfusions(at: t, mask: 0x7F)
        )
    }

    /// Whether anything keeps a CRS episode open (A1): fever, hypotension, an active vasopressor or
    /// oxygen above baseline, judged on the latest observations whatever their age (an episode
    /// closes only on documented resolution, never because data went stale).
    func crsActivityKnown(at t: Double, policy: GradingPolicy) -> Bool {
        let facts = crsFacts(at: t, policy: policy, window: .infinity)
        if facts.fever(self) == true { return true }
        let vasopressors = facts.countedVasopressors(policy)
        if vasopressors.nonVasopressin > 0 || vasopressors.vasopressin { return true }
        if facts.hypotensiveBySystolic(self) == true || facts.hypotensiveByMAP(self, policy) == true { return true }
        if let tier = facts.countedOxygenTier, tier > 1 { return true }
        return false
    }

    /// The CRS grade from the findings and the episode state (A2).
    func crsCore(_ facts: CRSFacts, episodeOpen: Bool, feverWaived: Bool, policy: GradingPolicy) -> CRSCore {
        var flags: GradeFlags = []

        // Hypotension domain (R-CRS-4, R-CRS-6).
        let vasopressors = facts.countedVasopressors(policy)
        var hypotensionGrade = 1
        var hypotensionKnown = true
        if vasopressors.nonVasopressin >= 2 {
            hypotensionGrade = 4
        } else if vasopressors.nonVasopressin == 1 {
            hypotensionGrade = 3
        } else if vasopressors.vasopressin {
            hypotensionGrade = 3
            flags.insert(.vasopressinOnly)
        } else {
            let bySystolic = facts.hypotensiveBySystolic(self)
            let byMAP = facts.hypotensiveByMAP(self, policy)
            if bySystolic == true || byMAP == true {
                hypotensionGrade = 2
            } else if bySystolic == nil {
                hypotensionKnown = false
            }
        }
        if !policy.countInotropesAsVasopressors, facts.activeInfusions & TrackedInfusion.inotropes != 0 {
            flags.insert(.inotropeNotCounted)
        }

        // Hypoxia domain (R-CRS-5).
        var hypoxiaGrade = 1
        var hypoxiaKnown = true
        if let oxygenClass = facts.oxygenClass, let counted = facts.countedOxygenTier {
            hypoxiaGrade = counted
            if oxygenClass.deviceFlowConflict, counted == oxygenClass.tier, counted > 1 {
                flags.insert(.deviceFlowConflict)
            }
            if counted < oxygenClass.tier { flags.insert(.baselineOxygenExcluded) }
            if oxygenClass.deviceUnknown, oxygenClass.tier > 1 { flags.insert(.oxygenDeviceUnknown) }
        } else {
            hypoxiaKnown = false
        }

        // Fever and its waiver (R-CRS-1, R-CRS-2, R-CRS-8, R-CRS-9).
        var fever = facts.fever(self)
        if fever == true, !facts.feverAfterInfusion(self) {
            fever = false
            flags.insert(.feverBeforeInfusion)
        }
        if facts.infusion == nil { flags.insert(.infusionUnknown) }
        let worse = max(hypotensionGrade, hypoxiaGrade)
        if episodeOpen && feverWaived { flags.insert(.feverWaived) }
        var grade: Int
        if fever == true {
            grade = worse
            if !hypotensionKnown || !hypoxiaKnown { flags.insert(.incompleteData) }
        } else if episodeOpen && feverWaived {
            grade = worse
            if worse <= 1 { flags.insert(.indeterminateFeverMasked) }
            if !hypotensionKnown || !hypoxiaKnown { flags.insert(.incompleteData) }
        } else {
            grade = 0
            if fever == nil { flags.insert(.incompleteData) }
            if hypotensionGrade >= 2 { flags.insert(.hypotensionWithoutFever) }
            if hypoxiaGrade >= 2 { flags.insert(.hypoxiaWithoutFever) }
        }
        grade = max(0, min(grade, 4))
        var core = CRSCore(
            grade: grade, flags: flags, hypotensionGrade: hypotensionGrade, hypoxiaGrade: hypoxiaGrade,
            fever: fever, hypotensionKnown: hypotensionKnown, hypoxiaKnown: hypoxiaKnown
        )
        if facts.cannotGrade(core, feverWaived: episodeOpen && feverWaived) { core.flags.insert(.cannotGrade) }
        return core
    }
}

// MARK: - Explanation

extension PatientTimeline {
    func observed(
        _ field: FieldName, value: Double? = nil, category: String? = nil, unit: String? = nil, event: Int32,
        at time: Double
    ) -> ObservedValue {
        ObservedValue(
            field: field, value: value, category: category, unit: unit, eventId: eventIds[Int(event)],
            observedAt: Date(timeIntervalSinceReferenceDate: time)
        )
    }

    func ageObserved(_ age: (age: PatientAge, event: Int32), at time: Double) -> ObservedValue {
        observed(
            .ageYears, value: Double(age.age.completedYears), unit: "years", event: age.event,
            at: eventTimes[Int(age.event)]
        )
    }

    /// The CRS grade at `t`: findings, episode and grade, without explanation (cheap, no allocation).
    func evaluateCRS(at t: Double) -> CRSEvaluation {
        let policy = self.policy
        let facts = index.crsFacts(at: t, policy: policy, window: policy.vitalsFreshness)
        let status = crsCourse.status(at: t)
        let episodeOpen = status?.isOpen ?? false
        let waiver = status.flatMap { $0.isOpen ? $0.episode.feverWaiver : nil }.flatMap { $0.time <= t ? $0 : nil }
        let core = index.crsCore(facts, episodeOpen: episodeOpen, feverWaived: waiver != nil, policy: policy)
        let runningMax = status.map { $0.isOpen ? $0.maxGradeSoFar : $0.episode.maxGrade } ?? 0
        return CRSEvaluation(
            time: t, facts: facts, core: core, status: status, waiver: waiver, maxGrade: max(core.grade, runningMax))
    }

    /// The reasons and alerts of a CRS evaluation.
    func explainCRS(_ evaluation: CRSEvaluation, alerts: inout AlertList) -> [Reason] {
        let policy = self.policy
        let facts = evaluation.facts
        let core = evaluation.core
        let status = evaluation.status
        let waiver = evaluation.waiver
        var reasons: [Reason] = []
        reasons.reserveCapacity(6)

        // Fever.
        if let i = facts.temperature.current {
            let temp = index.temperature.values[i]
            let obs = observed(
                .temperatureC, value: temp, unit: "°C", event: index.temperature.events[i],
                at: index.temperature.times[i])
            let threshold = Threshold(field: .temperatureC, comparator: .greaterThanOrEqual, value: 38.0, unit: "°C")
            if core.flags.contains(.feverBeforeInfusion), let infusion = facts.infusion {
                reasons.append(
                    Reason(
                        code: .feverBeforeInfusion, rule: .episode, source: .astct2019, grade: 0,
                        observed: [
                            obs,
                            observed(
                                .infusedAt, value: nil, category: nil, event: infusion.event, at: infusion.time),
                        ], thresholds: [threshold]))
                alerts.add(.feverBeforeInfusion, fields: [.temperatureC], events: [index.temperature.events[i]], self)
            } else if temp >= 38.0 {
                reasons.append(
                    Reason(
                        code: .fever, rule: .crsFever, source: .astct2019, grade: 1, observed: [obs],
                        thresholds: [threshold]))
            } else {
                reasons.append(
                    Reason(
                        code: .noFever, rule: waiver == nil ? .crsNoFever : .crsFever, source: .astct2019,
                        grade: waiver == nil ? 0 : nil, observed: [obs], thresholds: [threshold]))
            }
        } else {
            reasons.append(
                Reason(
                    code: .feverUnknown, rule: .freshness, source: .policy, grade: nil,
                    observed: facts.temperature.latest.map {
                        [
                            observed(
                                .temperatureC, value: index.temperature.values[$0], unit: "°C",
                                event: index.temperature.events[$0], at: index.temperature.times[$0])
                        ]
                    } ?? [],
                    thresholds: [
                        Threshold(
                            field: "hoursSinceObservation", comparator: .lessThanOrEqual,
                            value: policy.vitalsFreshness / 3600,
                            unit: "h")
                    ]))
            alerts.addReading(facts.temperature, field: .temperatureC, series: index.temperature, kind: .vitals, self)
        }

        // Fever waiver.
        if let waiver {
            let administration = index.feverMasking.values[waiver.index]
            reasons.append(
                Reason(
                    code: .feverWaived, rule: .crsFeverMasking, source: .astct2019, grade: nil,
                    observed: [
                        observed(
                            .drug, value: administration.doseMg, category: administration.drug.name, unit: "mg",
                            event: index.feverMasking.events[waiver.index], at: index.feverMasking.times[waiver.index])
                    ]))
            if core.flags.contains(.indeterminateFeverMasked) {
                reasons.append(
                    Reason(code: .indeterminateFeverMasked, rule: .crsIndeterminate, source: .astct2019, grade: 1))
            }
        }

        // Hypotension.
        appendHypotensionReasons(facts, core: core, into: &reasons, alerts: &alerts)

        // Hypoxia.
        appendOxygenReasons(facts, core: core, into: &reasons, alerts: &alerts)

        // Episode resolution and no-fever alerts.
        if let status, !status.isOpen, status.closedAt != nil, core.grade == 0 {
            reasons.append(
                Reason(
                    code: .crsResolved, rule: .episode, source: .policy, grade: 0,
                    observed: [
                        ObservedValue(
                            field: .episodeStart, value: nil, category: nil, unit: nil,
                            eventId: eventIds[Int(status.episode.startEvent)],
                            observedAt: Date(timeIntervalSinceReferenceDate: status.episode.start))
                    ],
                    thresholds: [
                        Threshold(
                            field: "hoursResolved", comparator: .greaterThanOrEqual,
                            value: policy.episodeCloseWindow / 3600, unit: "h")
                    ]))
        }
        if core.flags.contains(.hypotensionWithoutFever) {
            reasons.append(Reason(code: .hypotensionWithoutFever, rule: .crsNoFever, source: .astct2019))
            alerts.add(.hypotensionWithoutFever, fields: [.systolicBP], events: hypotensionEvents(facts), self)
        }
        if core.flags.contains(.hypoxiaWithoutFever) {
            reasons.append(Reason(code: .hypoxiaWithoutFever, rule: .crsNoFever, source: .astct2019))
            alerts.add(
                .hypoxiaWithoutFever, fields: [.oxygenDevice],
                events: facts.oxygen.current.map { [index.oxygen.events[$0]] } ?? [], self)
        }
        if facts.infusion == nil { alerts.add(.missingInfusion, fields: [.infusedAt], events: [], self) }
        if facts.age == nil { alerts.add(.missingAge, fields: [.birthDate, .ageYears], events: [], self) }

        if core.flags.contains(.cannotGrade) {
            var stale = CompactList<ObservedValue>()
            for value in [
                staleObserved(facts.temperature, .temperatureC, series: index.temperature, value: { $0 }, unit: "°C"),
                staleObserved(facts.systolic, .systolicBP, series: index.systolic, value: { $0 }, unit: "mmHg"),
                staleObserved(facts.oxygen, .oxygenDevice, series: index.oxygen, value: { $0.flowLPerMin }),
            ] {
                if let value { stale.append(value) }
            }
            reasons.append(cannotGradeReason(stale: stale, window: policy.vitalsFreshness))
        } else {
            markDecisive(&reasons, grade: core.grade)
        }
        return reasons
    }

    private func hypotensionEvents(_ facts: CRSFacts) -> [Int32] {
        var events: [Int32] = []
        if let i = facts.systolic.current { events.append(index.systolic.events[i]) }
        if let i = facts.meanArterial.current { events.append(index.meanArterial.events[i]) }
        return events
    }

    private func appendHypotensionReasons(
        _ facts: CRSFacts, core: CRSCore, into reasons: inout [Reason], alerts: inout AlertList
    ) {
        let vasopressors = facts.countedVasopressors(policy)
        let counted: UInt16 =
            TrackedInfusion.nonVasopressinVasopressors | TrackedInfusion.vasopressinBit
            | (policy.countInotropesAsVasopressors ? TrackedInfusion.inotropes : 0)
        if facts.activeInfusions & counted != 0 {
            var observedInfusions = CompactList<ObservedValue>()
            for bit in 0..<7 where facts.activeInfusions & counted & (1 << bit) != 0 {
                let series = index.infusionChanges[bit]
                if let i = series.latest(atOrBefore: facts.time) {
                    observedInfusions.append(
                        observed(
                            .drug, category: TrackedInfusion.drugs[bit].name, event: series.events[i],
                            at: series.times[i]))
                }
            }
            let code: ReasonCode
            if vasopressors.nonVasopressin >= 2 {
                code = .multipleVasopressors
            } else if vasopressors.nonVasopressin == 1 {
                code = .vasopressor
            } else {
                code = .vasopressinOnly
            }
            reasons.append(
                Reason(
                    code: code, rule: .crsVasopressors, source: .astct2019, grade: core.hypotensionGrade,
                    observed: observedInfusions,
                    thresholds: [
                        Threshold(
                            field: "nonVasopressinVasopressors", comparator: .greaterThanOrEqual,
                            value: code == .multipleVasopressors ? 2 : (code == .vasopressor ? 1 : 0))
                    ]))
        }
        if core.flags.contains(.inotropeNotCounted) {
            var observedInotropes = CompactList<ObservedValue>()
            for bit in 5..<7 where facts.activeInfusions & (1 << bit) != 0 {
                let series = index.infusionChanges[bit]
                if let i = series.latest(atOrBefore: facts.time) {
                    observedInotropes.append(
                        observed(
                            .drug, category: TrackedInfusion.drugs[bit].name, event: series.events[i],
                            at: series.times[i]))
                }
            }
            reasons.append(
                Reason(code: .inotropeNotCounted, rule: .inotropes, source: .policy, observed: observedInotropes))
        }

        // Blood pressure, always reported when current, so the thresholds can be checked.
        if let i = facts.systolic.current {
            let sbp = index.systolic.values[i]
            var obs: CompactList<ObservedValue> = [
                observed(
                    .systolicBP, value: sbp, unit: "mmHg", event: index.systolic.events[i],
                    at: index.systolic.times[i])
            ]
            let threshold = facts.systolicThreshold ?? ageIndependentSystolicThreshold
            if let age = facts.age { obs.append(ageObserved(age, at: facts.time)) }
            let hypotensive = facts.hypotensiveBySystolic(index)
            let thresholdValue = Threshold(
                field: .systolicBP, comparator: .lessThan, value: threshold, unit: "mmHg",
                source: facts.age == nil ? .policy : nil)
            if hypotensive == true {
                reasons.append(
                    Reason(
                        code: .hypotension, rule: .crsHypotension, source: .pals,
                        grade: vasopressors.nonVasopressin == 0 && !vasopressors.vasopressin ? 2 : nil,
                        observed: obs, thresholds: [thresholdValue]))
            } else if hypotensive == false {
                reasons.append(
                    Reason(
                        code: .normotension, rule: .crsHypotension, source: .pals, observed: obs,
                        thresholds: [thresholdValue]))
            } else {
                reasons.append(
                    Reason(
                        code: .bloodPressureUnknown, rule: .crsHypotension, source: .policy, observed: obs,
                        thresholds: [thresholdValue]))
            }
        } else if core.hypotensionGrade < 3 {
            reasons.append(
                Reason(
                    code: .bloodPressureUnknown, rule: .freshness, source: .policy,
                    observed: facts.systolic.latest.map {
                        [
                            observed(
                                .systolicBP, value: index.systolic.values[$0], unit: "mmHg",
                                event: index.systolic.events[$0], at: index.systolic.times[$0])
                        ]
                    } ?? []))
            alerts.addReading(facts.systolic, field: .systolicBP, series: index.systolic, kind: .vitals, self)
        }
        if let i = facts.meanArterial.current, let age = facts.age,
            age.age.completedYears >= policy.adultMinimumAgeYears,
            index.meanArterial.values[i] < policy.adultMAPThreshold
        {
            reasons.append(
                Reason(
                    code: .hypotensionMAP, rule: .adultMAP, source: .policy,
                    grade: vasopressors.nonVasopressin == 0 && !vasopressors.vasopressin ? 2 : nil,
                    observed: [
                        observed(
                            .meanArterialPressure, value: index.meanArterial.values[i], unit: "mmHg",
                            event: index.meanArterial.events[i], at: index.meanArterial.times[i]),
                        ageObserved(age, at: facts.time),
                    ],
                    thresholds: [
                        Threshold(
                            field: .meanArterialPressure, comparator: .lessThan, value: policy.adultMAPThreshold,
                            unit: "mmHg")
                    ]))
        }
    }

    private func appendOxygenReasons(
        _ facts: CRSFacts, core: CRSCore, into reasons: inout [Reason], alerts: inout AlertList
    ) {
        guard let i = facts.oxygen.current, let oxygenClass = facts.oxygenClass else {
            reasons.append(
                Reason(
                    code: .oxygenUnknown, rule: .freshness, source: .policy,
                    observed: facts.oxygen.latest.map {
                        [
                            observed(
                                .oxygenDevice, value: index.oxygen.values[$0].flowLPerMin,
                                category: index.oxygen.values[$0].device.rawValue, unit: "L/min",
                                event: index.oxygen.events[$0], at: index.oxygen.times[$0])
                        ]
                    } ?? []))
            alerts.addReading(facts.oxygen, field: .oxygenDevice, series: index.oxygen, kind: .vitals, self)
            return
        }
        let support = index.oxygen.values[i]
        let obs = observed(
            .oxygenDevice, value: support.flowLPerMin, category: support.device.rawValue, unit: "L/min",
            event: index.oxygen.events[i], at: index.oxygen.times[i])
        var thresholds: CompactList<Threshold> = []
        if oxygenClass.comparedFlow {
            thresholds.append(
                Threshold(
                    field: .oxygenFlow, comparator: oxygenClass.tier == 3 ? .greaterThan : .lessThanOrEqual,
                    value: OxygenClassification.lowFlowMaximum, unit: "L/min"))
        }
        reasons.append(
            Reason(
                code: oxygenClass.code, rule: .crsOxygen, source: .astct2019,
                grade: core.flags.contains(.baselineOxygenExcluded) || oxygenClass.tier == 1 ? nil : oxygenClass.tier,
                observed: [obs], thresholds: thresholds))
        if core.flags.contains(.deviceFlowConflict) {
            reasons.append(
                Reason(
                    code: .deviceFlowConflict, rule: .deviceFlow, source: .policy, grade: oxygenClass.tier,
                    observed: [obs],
                    thresholds: [
                        Threshold(
                            field: .oxygenFlow, comparator: .lessThanOrEqual,
                            value: OxygenClassification.lowFlowMaximum, unit: "L/min")
                    ]))
        }
        if oxygenClass.flowMissing {
            alerts.add(.missingOxygenFlow, fields: [.oxygenFlow], events: [index.oxygen.events[i]], self)
        }
        if core.flags.contains(.baselineOxygenExcluded) || facts.aboveBaselineFlow,
            let baseline = facts.baselineOxygen
        {
            let support = baseline.support
            // Counted above the baseline: a higher tier, or (same device) a higher flow.
            var aboveBaseline: CompactList<Threshold> = [
                Threshold(field: .oxygenTier, comparator: .greaterThan, value: Double(baseline.tier))
            ]
            if let flow = support.flowLPerMin, support.device == facts.oxygenSupport?.device {
                aboveBaseline.append(
                    Threshold(field: .oxygenFlow, comparator: .greaterThan, value: flow, unit: "L/min"))
            }
            reasons.append(
                Reason(
                    code: .baselineOxygen, rule: .baselineOxygen, source: .policy,
                    observed: [
                        observed(
                            .oxygenDevice, value: support.flowLPerMin, category: support.device.rawValue,
                            unit: "L/min", event: index.oxygen.events[baseline.index],
                            at: index.oxygen.times[baseline.index]),
                        obs,
                    ],
                    thresholds: aboveBaseline))
        }
    }
}

/// Marks the reasons whose grade equals the assessment's grade as decisive.
func markDecisive(_ reasons: inout [Reason], grade: Int) {
    for i in reasons.indices where reasons[i].grade == grade {
        reasons[i].decisive = true
    }
}
