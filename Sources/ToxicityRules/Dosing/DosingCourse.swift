// Escalation and taper arithmetic (clinical-spec A5, A7) as pure functions. *When* to
// escalate or taper (reassessment windows, triggers, corticosteroids) is decided by the course
// rules; these functions only say what the next dose is, with every cap applied.

extension AnakinraDosing {
    /// The next dose up from `current`, or why there is none (A5, A7).
    ///
    /// - `double-daily-dose` (CHOP): twice the current daily dose, up to the range high end,
    ///   the mg/kg/day ceiling and the daily cap.
    /// - `to-per-dose-cap` (CNH, Seattle; IMPL): the per-dose cap at the current frequency,
    ///   within the daily cap.
    /// - `to-range-high` (NIH, Table 2 ranges): the high end of the dose range.
    /// - `none`: `at-protocol-ceiling`.
    /// Whatever the rule, a result that would not raise the daily dose is `atCeiling`.
    package static func escalate(
        _ anakinraProtocol: AnakinraProtocol,
        from current: CurrentDose,
        weightKg: Double?,
        regimenId: String? = nil,
        explain: Bool = true
    ) -> EscalationOutcome {
        let p = anakinraProtocol
        guard let regimen = p.regimen(id: regimenId) else { return .noDose([unknownRegimen(p, regimenId ?? "")]) }
        guard let weight = validatedWeight(weightKg) else { return .noDose([weightRequired(weightKg)]) }
        let basis = regimen.dose.basis
        let frequency = current.frequency ?? regimen.frequency.default
        let source = p.sourceTag(p.escalation.status, evidence: p.escalation.evidence)

        var target: ExactAmount
        var description: String { explain ? describe() : "" }
        var describe: () -> String = { "" }
        func ceiling(_ reason: @autoclosure () -> String) -> EscalationOutcome {
            guard explain else { return .atCeiling(DosingFlag(.atProtocolCeiling, .alert, source: "", message: "")) }
            return .atCeiling(atProtocolCeiling(p, current: current, reason: reason()))
        }
        switch p.escalation.rule {
        case .none:
            return ceiling("\(p.shortName) states no escalation")
        case .toRangeHigh:
            guard regimen.dose.amount.isRange else {
                return ceiling("\(p.shortName) states a single dose")
            }
            target = regimen.dose.amount.high
            if explain { describe = { [target] in "to the high end of the range: \(target) \(basis.unit)" } }
        case .toPerDoseCap:
            guard let cap = p.caps.perDoseMg, let frequency else {
                return ceiling("no per-dose cap or frequency")
            }
            target = amountInBasis(mgPerDose: ExactAmount(cap), frequency: frequency, basis: basis, weight: weight)
            if explain { describe = { "to the per-dose cap \(cap) mg at \(frequency.rawValue)" } }
        case .doubleDailyDose:
            let currentAmount: ExactAmount
            if let mg = current.mg, let frequency {
                currentAmount = amountInBasis(
                    mgPerDose: ExactAmount(mg),
                    frequency: frequency,
                    basis: basis,
                    weight: weight
                )
            } else if basis.isPerDay {
                currentAmount =
                    basis.isWeightBased ? ExactAmount(current.dailyMg) / weight : ExactAmount(current.dailyMg)
            } else {
                return .noDose([frequencyNeeded(p)])
            }
            target = ExactAmount.min(currentAmount * 2, regimen.dose.amount.high)
            if explain {
                describe = {
                    "double the daily dose: \(current.dailyMg) → \(current.dailyMg * 2) mg/day, ceiling \(regimen.dose.amount.high) \(basis.unit)"
                }
            }
        }

        // The escalation bound (mg/kg/day), applied to the target: the protocol's own, else the
        // seed's 10 mg/kg/day for a protocol without a mg/kg ceiling (§A13.3).
        var bounded = false
        if let bound = escalationBound(p) {
            let boundInBasis: ExactAmount
            switch basis {
            case .perDayMgPerKg: boundInBasis = bound
            case .perDayMg: boundInBasis = bound * weight
            case .perDoseMgPerKg: boundInBasis = bound / (frequency?.dosesPer24Hours ?? 1)
            case .perDoseMg: boundInBasis = bound * weight / (frequency?.dosesPer24Hours ?? 1)
            }
            if target > boundInBasis {
                target = boundInBasis
                bounded = true
            }
        }

        var request = DoseRequest(
            weightKg: weightKg,
            level: .prescribed(target),
            frequency: frequency,
            route: current.route,
            regimenId: regimenId
        )
        request.renalOverride = current.frequency == .q48h
        var outcome = calculate(p, request, explain: explain)
        // The bound is a cap: per-dose rounding never crosses it (8.6 kg → 21 mg Q6H, not 22).
        if let bound = escalationBound(p), let calculation = outcome.calculation, let mg = calculation.mg,
            let dosesPerDay = calculation.frequency?.dosesPer24Hours,
            ExactAmount(mg * dosesPerDay) > bound * weight
        {
            let boundedMg = Int((bound * weight / dosesPerDay).floor)
            guard boundedMg >= 1 else { return ceiling("the escalation bound \(bound) mg/kg/day") }
            request.level = .prescribed(
                amountInBasis(
                    mgPerDose: ExactAmount(boundedMg), frequency: calculation.frequency ?? .q6h, basis: basis,
                    weight: weight)
            )
            outcome = calculate(p, request, explain: explain)
            bounded = true
        }
        guard case .dose(var calculation) = outcome else { return .noDose(outcome.flags) }
        // Escalation targets are the protocol's own ceilings, not prescriptions outside it.
        calculation.flags.removeAll { $0.code == .doseOutsideProtocol }
        let newDaily = calculation.dailyMg ?? 0
        let raisesDose = newDaily > current.dailyMg && (calculation.mg ?? 0) >= (current.mg ?? 0)
        guard raisesDose else {
            guard explain else { return .atCeiling(DosingFlag(.atProtocolCeiling, .alert, source: "", message: "")) }
            return .atCeiling(
                atProtocolCeiling(
                    p,
                    current: current,
                    reason: "the next dose (\(newDaily) mg/day) is not above the current one after the caps"
                )
            )
        }
        guard explain else { return .escalated(calculation) }
        if bounded, let bound = escalationBound(p) {
            calculation.steps.insert(
                DoseStep(.escalation, "escalation bound \(bound) mg/kg/day × \(weight) kg = \(bound * weight) mg/day"),
                at: 0
            )
        }
        if let perKgDay = calculation.mgPerKgPerDay, perKgDay > seedMaximumMgPerKgPerDay {
            calculation.flags.append(
                DosingFlag(
                    .escalationAboveSeedMaximum,
                    .warning,
                    values: [
                        DosingValue("mgPerKgPerDay", perKgDay.decimalText(places: 1)),
                        DosingValue("seedMaximumMgPerKgPerDay", "\(seedMaximumMgPerKgPerDay)"),
                    ],
                    source: "seed Table 1, Table 2",
                    message:
                        "The escalated dose is \(perKgDay.decimalText(places: 1)) mg/kg/day, above the highest weight-based dose in the seed letter (10 mg/kg/day)."
                )
            )
        }
        calculation.steps.insert(
            DoseStep(.escalation, "escalation (\(p.escalation.rule.rawValue)) \(description)"),
            at: 0
        )
        calculation.flags.insert(
            DosingFlag(
                .escalated,
                .reason,
                values: [
                    DosingValue("rule", p.escalation.rule.rawValue), DosingValue("fromDailyMg", "\(current.dailyMg)"),
                    DosingValue("toDailyMg", "\(newDaily)"),
                ],
                source: source,
                message: "Escalated (\(p.escalation.rule.rawValue)) from \(current.dailyMg) to \(newDaily) mg/day."
            ),
            at: 0
        )
        return .escalated(calculation)
    }

    /// The mg/kg/day bound of an escalation (§A13.3): the protocol's `escalation.maxMgPerKgPerDay`,
    /// else the seed's 10 mg/kg/day when the protocol states no mg/kg/day ceiling of its own.
    static func escalationBound(_ p: AnakinraProtocol) -> ExactAmount? {
        if let bound = p.escalation.maxMgPerKgPerDay { return bound }
        return p.caps.mgPerKgPerDay == nil ? ExactAmount(seedMaximumMgPerKgPerDay) : nil
    }

    /// The taper from `current` to stop (A7). No step ever raises the dose or the daily total,
    /// and every step is within the protocol's caps.
    ///
    /// - `lengthen-interval`: same mg per dose at the next longer interval of the protocol's
    ///   list (default Q6H → Q8H → Q12H → Q24H), then stop.
    /// - `dose-steps` (MUSC): the listed doses; a step is held at the current mg per dose if it
    ///   would raise it (`taper-step-clamped`) and skipped if it would not lower the daily total
    ///   (`taper-step-skipped`); then stop.
    /// - `stop-without-taper` (Oliai): stop.
    /// - Parameters:
    ///   - weightKg: Needed for mg/kg steps and the mg/kg/day ceiling; otherwise may be `nil`.
    package static func taperSchedule(
        _ anakinraProtocol: AnakinraProtocol,
        from current: CurrentDose,
        weightKg: Double?,
        regimenId: String? = nil,
        explain: Bool = true
    ) -> TaperOutcome {
        let p = anakinraProtocol
        guard let regimen = p.regimen(id: regimenId) else { return .noDose([unknownRegimen(p, regimenId ?? "")]) }
        guard let currentMg = current.mg, let currentFrequency = current.frequency else {
            return .noDose([frequencyNeeded(p)])
        }
        let taper = regimen.taper
        let needsWeight = p.caps.mgPerKgPerDay != nil || taper.steps.contains { $0.basis.isWeightBased }
        let weight = validatedWeight(weightKg)
        if needsWeight, weight == nil { return .noDose([weightRequired(weightKg)]) }
        let source = p.sourceTag(taper.status, evidence: taper.evidence)

        var schedule: [TaperStep] = []
        var previous = (mg: currentMg, frequency: currentFrequency, daily: currentMg * currentFrequency.dosesPer24Hours)
        var pendingFlags: [DosingFlag] = []

        /// Appends a step; returns `false` (and appends nothing) when the caps leave less than 1 mg.
        func emit(
            mg: Int,
            frequency: DoseFrequency,
            hours: HoursRange,
            note: @autoclosure () -> String,
            extraFlags: [DosingFlag]
        ) -> Bool {
            var mg = mg
            let capped = capForTaper(p, mg: mg, frequency: frequency, weight: weight, explain: explain)
            guard capped.mg >= 1 else {
                guard explain else { return false }
                pendingFlags.append(
                    DosingFlag(
                        .doseBelowOneMg,
                        .alert,
                        values: [DosingValue("frequency", frequency.rawValue)],
                        source: "clinical-spec A5",
                        message: "Within the caps the next taper step would be below 1 mg: the taper ends here."
                    )
                )
                return false
            }
            guard explain else {
                let mg = min(mg, capped.mg)
                let daily = mg * frequency.dosesPer24Hours
                schedule.append(
                    TaperStep(
                        number: schedule.count + 1,
                        mg: mg,
                        frequency: frequency,
                        dailyMg: daily,
                        hours: hours,
                        capsApplied: [],
                        flags: [],
                        steps: []
                    )
                )
                previous = (mg, frequency, daily)
                return true
            }
            var flags = pendingFlags + extraFlags
            pendingFlags = []
            var steps = [DoseStep(.taper, note())]
            var caps: [AppliedCap] = []
            if capped.mg < mg {
                caps = capped.caps
                steps += capped.steps
                flags.append(
                    DosingFlag(
                        .currentDoseAboveCap,
                        .warning,
                        values: [DosingValue("currentMg", "\(mg)"), DosingValue("mg", "\(capped.mg)")],
                        source: p.sourceTag(p.caps.status, evidence: p.caps.evidence),
                        message:
                            "\(mg) mg is above the protocol's caps at \(frequency.rawValue); the taper step is \(capped.mg) mg."
                    )
                )
                mg = capped.mg
            }
            let daily = mg * frequency.dosesPer24Hours
            steps.append(
                DoseStep(.daily, "\(frequency.dosesPer24Hours) × \(mg) mg (\(frequency.rawValue)) = \(daily) mg/day")
            )
            flags += commonCapWarnings(p, mg: mg, daily: daily, frequency: frequency, weight: weight)
            flags.insert(
                DosingFlag(
                    .taperStep,
                    .reason,
                    values: [
                        DosingValue("step", "\(schedule.count + 1)"), DosingValue("mg", "\(mg)"),
                        DosingValue("frequency", frequency.rawValue),
                    ],
                    source: source,
                    message: "Taper step \(schedule.count + 1): \(mg) mg \(frequency.rawValue) for \(hours)."
                ),
                at: 0
            )
            schedule.append(
                TaperStep(
                    number: schedule.count + 1,
                    mg: mg,
                    frequency: frequency,
                    dailyMg: daily,
                    hours: hours,
                    capsApplied: caps,
                    flags: flags,
                    steps: steps
                )
            )
            previous = (mg, frequency, daily)
            return true
        }

        switch taper.method {
        case .lengthenInterval:
            while let next = taper.intervals.first(where: { $0 > previous.frequency }) {
                let emitted = emit(
                    mg: previous.mg,
                    frequency: next,
                    hours: taper.stepHours,
                    note: "taper: same \(previous.mg) mg per dose, \(previous.frequency.rawValue) → \(next.rawValue)",
                    extraFlags: []
                )
                if !emitted { break }
            }
        case .doseSteps:
            for step in taper.steps {
                var stepRegimen = regimen
                stepRegimen.dose = ProtocolDose(
                    basis: step.basis,
                    amount: DoseAmount(step.amount),
                    status: taper.status
                )
                let stepWeight = weight ?? ExactAmount(1)
                let core = compute(
                    p,
                    regimen: stepRegimen,
                    weight: stepWeight,
                    amount: step.amount,
                    frequency: step.frequency,
                    explain: explain
                )
                var mg = core.mg
                var extra = core.flags.filter { $0.code != .aboveCommonCap }
                if mg > previous.mg {
                    if explain {
                        extra.append(
                            DosingFlag(
                                .taperStepClamped,
                                .reason,
                                values: [DosingValue("stepMg", "\(mg)"), DosingValue("mg", "\(previous.mg)")],
                                source: "clinical-spec A7",
                                message:
                                    "The taper step (\(mg) mg) would raise the dose; it stays at \(previous.mg) mg."
                            )
                        )
                    }
                    mg = previous.mg
                }
                let daily = mg * step.frequency.dosesPer24Hours
                guard daily < previous.daily, mg >= 1 else {
                    if explain {
                        pendingFlags.append(
                            DosingFlag(
                                .taperStepSkipped,
                                .reason,
                                values: [
                                    DosingValue("step", "\(step.amount) \(step.basis.unit) \(step.frequency.rawValue)"),
                                    DosingValue("dailyMg", "\(daily)"),
                                ],
                                source: "clinical-spec A7",
                                message:
                                    "Skipped taper step \(step.amount) \(step.basis.unit) \(step.frequency.rawValue): \(daily) mg/day does not lower \(previous.daily) mg/day."
                            )
                        )
                    }
                    continue
                }
                let arithmetic = core.steps.first.map { " (\($0.text))" } ?? ""
                let emitted = emit(
                    mg: mg,
                    frequency: step.frequency,
                    hours: step.hours ?? taper.stepHours,
                    note: "taper: \(step.amount) \(step.basis.unit) \(step.frequency.rawValue)\(arithmetic)",
                    extraFlags: extra
                )
                if !emitted { break }
            }
        case .stopWithoutTaper:
            break
        }

        guard explain else {
            schedule.append(
                TaperStep(
                    number: schedule.count + 1,
                    mg: nil,
                    frequency: nil,
                    dailyMg: 0,
                    hours: nil,
                    capsApplied: [],
                    flags: [],
                    steps: []
                )
            )
            return .schedule(schedule)
        }
        schedule.append(
            TaperStep(
                number: schedule.count + 1,
                mg: nil,
                frequency: nil,
                dailyMg: 0,
                hours: nil,
                capsApplied: [],
                flags: pendingFlags + [
                    DosingFlag(
                        .taperComplete,
                        .reason,
                        values: [DosingValue("method", taper.method.rawValue)],
                        source: source,
                        message: taper.method == .stopWithoutTaper
                            ? "\(p.shortName) states no taper: stop anakinra." : "End of the taper: stop anakinra."
                    )
                ],
                steps: [DoseStep(.taper, "stop")]
            )
        )
        return .schedule(schedule)
    }

    /// The next taper step from `current` (the first step of ``taperSchedule(_:from:weightKg:regimenId:)``).
    package static func nextTaperStep(
        _ anakinraProtocol: AnakinraProtocol,
        from current: CurrentDose,
        weightKg: Double?,
        regimenId: String? = nil
    ) -> TaperOutcome {
        switch taperSchedule(anakinraProtocol, from: current, weightKg: weightKg, regimenId: regimenId) {
        case .schedule(let steps): .schedule(Array(steps.prefix(1)))
        case .noDose(let flags): .noDose(flags)
        }
    }

    // MARK: - Helpers

    /// The highest weight-based daily dose any seed protocol or regimen states (CHOP, NIH,
    /// St. Jude, Dreyzin: 10 mg/kg/day). Escalations above it carry `escalation-above-seed-maximum`.
    package static let seedMaximumMgPerKgPerDay = 10

    /// Expresses `mgPerDose` at `frequency` in a dose basis (e.g. 100 mg Q6H = 400/w mg/kg/day).
    static func amountInBasis(mgPerDose: ExactAmount, frequency: DoseFrequency, basis: DoseBasis, weight: ExactAmount)
        -> ExactAmount
    {
        let perBasisTime = basis.isPerDay ? mgPerDose * frequency.dosesPer24Hours : mgPerDose
        return basis.isWeightBased ? perBasisTime / weight : perBasisTime
    }

    /// Brings a taper dose under the per-dose cap and the daily limit (never raises it).
    static func capForTaper(
        _ p: AnakinraProtocol,
        mg: Int,
        frequency: DoseFrequency,
        weight: ExactAmount?,
        explain: Bool = true
    ) -> (mg: Int, caps: [AppliedCap], steps: [DoseStep]) {
        var mg = mg
        var caps: [AppliedCap] = []
        var steps: [DoseStep] = []
        let source = p.sourceTag(p.caps.status, evidence: p.caps.evidence)
        if let cap = p.caps.perDoseMg, mg > cap {
            if explain {
                caps.append(
                    AppliedCap(
                        kind: .perDoseCap,
                        limitMg: ExactAmount(cap),
                        beforeMg: ExactAmount(mg),
                        afterMg: cap,
                        stated: "\(cap) mg/dose",
                        source: source
                    )
                )
                steps.append(DoseStep(.perDoseCap, "per-dose cap \(cap) mg: \(mg) mg → \(cap) mg"))
            }
            mg = cap
        }
        let n = frequency.dosesPer24Hours
        var limit: DailyLimit?
        if let weight {
            limit = dailyLimit(p, weight: weight)
        } else if let daily = p.caps.dailyMg {
            limit = DailyLimit(mg: ExactAmount(daily), kind: .dailyCap, ceiling: nil)
        }
        if let limit, ExactAmount(mg * n) > limit.mg {
            let capped = Int((limit.mg / n).floor)
            if explain {
                caps.append(
                    AppliedCap(
                        kind: limit.kind,
                        limitMg: limit.mg,
                        beforeMg: ExactAmount(mg),
                        afterMg: capped,
                        stated: limit.stated,
                        source: source
                    )
                )
                steps.append(
                    DoseStep(
                        limit.kind == .dailyCap ? .dailyCap : .mgPerKgDayCeiling,
                        "\(limit.stated): \(n) × \(mg) mg > \(limit.mg) mg → \(capped) mg"
                    )
                )
            }
            mg = capped
        }
        return (mg, caps, steps)
    }

    static func atProtocolCeiling(_ p: AnakinraProtocol, current: CurrentDose, reason: String) -> DosingFlag {
        DosingFlag(
            .atProtocolCeiling,
            .alert,
            values: [DosingValue("rule", p.escalation.rule.rawValue), DosingValue("dailyMg", "\(current.dailyMg)")],
            source: p.sourceTag(p.escalation.status, evidence: p.escalation.evidence),
            message: "No escalation under \(p.shortName): \(reason); hold \(current.dailyMg) mg/day."
        )
    }

    static func frequencyNeeded(_ p: AnakinraProtocol) -> DosingFlag {
        DosingFlag(
            .frequencyRequired,
            .alert,
            source: p.sourceTag(p.frequency.status, evidence: p.frequency.evidence),
            message: "A frequency is needed for this calculation."
        )
    }
}
