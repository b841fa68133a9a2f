// Building the results of the dose arithmetic (clinical-spec A5, A11): the calculation, its
// flags, caps and steps; and the helpers the arithmetic shares.

extension AnakinraDosing {
    // MARK: - Building results

    static func makeCalculation(
        _ p: AnakinraProtocol,
        regimen: DosingRegimen,
        weight: ExactAmount,
        amount: ExactAmount,
        level: DoseLevel,
        route: Route,
        core: Core,
        flags: [DosingFlag],
        explain: Bool = true
    ) -> DoseCalculation {
        var allFlags = flags + core.flags
        if explain, let lowVolume = lowVolume(weight: weight, mg: core.mg) { allFlags.append(lowVolume) }
        return DoseCalculation(
            protocolId: p.id,
            regimenId: regimen.id,
            level: level,
            weightKg: weight,
            basis: regimen.dose.basis,
            amount: amount,
            mg: core.mg,
            frequency: core.frequency,
            route: route,
            dailyMg: core.dailyMg,
            mgPerKg: ExactAmount(core.mg) / weight,
            mgPerKgPerDay: ExactAmount(core.dailyMg) / weight,
            capsApplied: core.caps,
            flags: allFlags,
            steps: core.steps,
            options: [],
            syringesPerDose: AnakinraSupply.syringesPerDose(mg: core.mg),
            volumePerDoseML: AnakinraSupply.volumeML(mg: core.mg),
            source: p.sourceTag(regimen.dose.status, evidence: regimen.dose.evidence)
        )
    }

    /// CHOP (no frequency): the daily dose, `frequency: nil`, alert `frequency-required` and the options.
    static func frequencyRequired(
        _ p: AnakinraProtocol,
        regimen: DosingRegimen,
        weight: ExactAmount,
        amount: ExactAmount,
        level: DoseLevel,
        route: Route,
        flags: [DosingFlag],
        explain: Bool = true
    ) -> DoseCalculation {
        let basis = regimen.dose.basis
        var steps: [DoseStep] = []
        var caps: [AppliedCap] = []
        var dailyMg: Int?
        if basis.isPerDay {
            var daily = basis.isWeightBased ? amount * weight : amount
            steps.append(
                basis.isWeightBased
                    ? DoseStep(.weightBased, "\(amount) \(basis.unit) × \(weight) kg = \(daily) mg/day")
                    : DoseStep(.fixedAmount, "fixed \(amount) \(basis.unit)")
            )
            let limit = dailyLimit(p, weight: weight)
            if let limit, daily > limit.mg {
                caps.append(
                    AppliedCap(
                        kind: limit.kind,
                        limitMg: limit.mg,
                        beforeMg: daily,
                        afterMg: Int(limit.mg.floor),
                        stated: limit.stated,
                        source: p.sourceTag(p.caps.status, evidence: p.caps.evidence)
                    )
                )
                steps.append(
                    DoseStep(
                        limit.kind == .dailyCap ? .dailyCap : .mgPerKgDayCeiling,
                        "\(limit.stated): \(daily) mg/day → \(limit.mg) mg/day"
                    )
                )
                daily = limit.mg
            }
            var rounded = Int(daily.roundedHalfUp)
            if let limit, ExactAmount(rounded) > limit.mg { rounded = Int(limit.mg.floor) }
            if ExactAmount(rounded) != daily {
                steps.append(DoseStep(.rounding, "rounded to the nearest 1 mg/day: \(daily) → \(rounded) mg/day"))
            }
            dailyMg = rounded
        }
        let options = regimen.frequency.options.map {
            compute(p, regimen: regimen, weight: weight, amount: amount, frequency: $0, explain: explain).option
        }
        let listed = options.map(\.description).joined(separator: "; ")
        var allFlags = flags
        allFlags.append(
            DosingFlag(
                .frequencyRequired,
                .alert,
                values: options.map { DosingValue($0.frequency.rawValue, "\($0.mg)") },
                source: p.sourceTag(regimen.frequency.status, evidence: regimen.frequency.evidence),
                message: "\(p.shortName) states no frequency: the prescriber must choose one (\(listed))."
            )
        )
        if let lowVolume = lowVolume(weight: weight, mg: options.map(\.mg).min()) { allFlags.append(lowVolume) }
        return DoseCalculation(
            protocolId: p.id,
            regimenId: regimen.id,
            level: level,
            weightKg: weight,
            basis: basis,
            amount: amount,
            mg: nil,
            frequency: nil,
            route: route,
            dailyMg: dailyMg,
            mgPerKg: nil,
            mgPerKgPerDay: dailyMg.map { ExactAmount($0) / weight },
            capsApplied: caps,
            flags: allFlags,
            steps: steps,
            options: options,
            syringesPerDose: nil,
            volumePerDoseML: nil,
            source: p.sourceTag(regimen.dose.status, evidence: regimen.dose.evidence)
        )
    }

    // MARK: - Helpers

    /// A prescribed amount above this multiple of the basis' plausibility limit is refused
    /// (a typo guard that also keeps the arithmetic far from integer overflow).
    static let maximumPrescribedFactor = 100

    static func invalidPrescribed(_ p: AnakinraProtocol, value: ExactAmount, basis: DoseBasis) -> DosingFlag {
        DosingFlag(
            .invalidPrescribedAmount,
            .alert,
            values: [DosingValue("prescribed", "\(value) \(basis.unit)")],
            source: "clinical-spec A5",
            message: "Prescribed \(value) \(basis.unit) is not a usable dose: no dose is calculated."
        )
    }

    /// The weight held to the gram, or `nil` when missing or outside 0.3–350 kg.
    package static func validatedWeight(_ weightKg: Double?) -> ExactAmount? {
        guard let weightKg, weightKg.isFinite, AnakinraProduct.plausibleWeightKg.contains(weightKg) else { return nil }
        return ExactAmount(measured: weightKg, places: 3)
    }

    static func amount(for level: DoseLevel, in dose: ProtocolDose) -> ExactAmount {
        switch level {
        case .lessIll: dose.amount.low
        case .severe: dose.amount.severe
        case .ceiling: dose.amount.high
        case .prescribed(let value): value
        }
    }

    static func levelFlags(_ p: AnakinraProtocol, regimen: DosingRegimen, level: DoseLevel, amount: ExactAmount)
        -> [DosingFlag]
    {
        let range = regimen.dose.amount
        let unit = regimen.dose.basis.unit
        switch level {
        case .prescribed(let value):
            guard value < range.low || value > range.high else { return [] }
            return [
                DosingFlag(
                    .doseOutsideProtocol,
                    .warning,
                    values: [
                        DosingValue("prescribed", "\(value) \(unit)"), DosingValue("protocol", "\(range) \(unit)"),
                    ],
                    source: p.sourceTag(regimen.dose.status, evidence: regimen.dose.evidence),
                    message:
                        "Prescribed \(value) \(unit) is outside \(p.shortName)'s \(range) \(unit); caps still apply."
                )
            ]
        case .lessIll, .severe, .ceiling:
            guard range.isRange else { return [] }
            let meaning =
                switch level {
                case .lessIll: "the low end of the range (less ill)"
                case .severe: "the protocol's dose for grade ≥ 3"
                default: "the high end of the range (escalation ceiling)"
                }
            return [
                DosingFlag(
                    .doseLevel,
                    .reason,
                    values: [
                        DosingValue("level", level.code), DosingValue("amount", "\(amount) \(unit)"),
                        DosingValue("range", "\(range) \(unit)"),
                    ],
                    source: "policy",
                    message: "\(amount) \(unit) is \(meaning) of \(range) \(unit)."
                )
            ]
        }
    }

    /// Warnings for a dose above the seed letter's general limits that the protocol does not cap
    /// itself: 100 mg per dose, 400 mg per day (A5), and 10 mg/kg/day, the highest weight-based dose
    /// the letter reports (a fixed adult regimen can reach it in a child; IMPL).
    static func commonCapWarnings(
        _ p: AnakinraProtocol, mg: Int, daily: Int, frequency: DoseFrequency, weight: ExactAmount?
    ) -> [DosingFlag] {
        var flags: [DosingFlag] = []
        let maximum = seedMaximumMgPerKgPerDay
        if p.caps.mgPerKgPerDay == nil, let weight, ExactAmount(daily) > weight * maximum {
            let perKg = ExactAmount(daily) / weight
            flags.append(
                DosingFlag(
                    .aboveWeightBasedMaximum,
                    .warning,
                    values: [
                        DosingValue("mgPerKgPerDay", perKg.decimalText(places: 1)),
                        DosingValue("seedMaximumMgPerKgPerDay", "\(maximum)"),
                    ],
                    source: "policy",
                    message:
                        "\(daily) mg/day is \(perKg.decimalText(places: 1)) mg/kg/day, above 10 mg/kg/day, the highest weight-based dose in the seed letter (the NOMID label's maximum is 8 mg/kg/day); \(p.shortName) states no mg/kg ceiling."
                )
            )
        }
        if p.caps.perDoseMg == nil, mg > AnakinraProduct.commonPerDoseCapMg {
            flags.append(
                DosingFlag(
                    .aboveCommonCap,
                    .warning,
                    values: [
                        DosingValue("mg", "\(mg)"),
                        DosingValue("commonPerDoseCapMg", "\(AnakinraProduct.commonPerDoseCapMg)"),
                    ],
                    source: "seed letter text",
                    message:
                        "\(mg) mg per dose is above the common 100 mg cap; \(p.shortName) states no per-dose cap, so the dose is not capped."
                )
            )
        }
        if p.caps.dailyMg == nil, daily > AnakinraProduct.commonDailyCapMg {
            flags.append(
                DosingFlag(
                    .aboveCommonCap,
                    .warning,
                    values: [
                        DosingValue("dailyMg", "\(daily)"),
                        DosingValue("commonDailyCapMg", "\(AnakinraProduct.commonDailyCapMg)"),
                    ],
                    source: "seed letter text",
                    message:
                        "\(daily) mg/day (\(frequency.rawValue)) is above the common 400 mg/day maximum; \(p.shortName) states no daily cap, so the dose is not capped."
                )
            )
        }
        return flags
    }

    static func lowVolume(weight: ExactAmount, mg: Int?) -> DosingFlag? {
        guard weight < AnakinraProduct.lowVolumeWeightKg else { return nil }
        var values = [DosingValue("weightKg", "\(weight)")]
        var detail = ""
        if let mg {
            let volume = AnakinraSupply.volumeML(mg: mg)
            values.append(DosingValue("mg", "\(mg)"))
            values.append(DosingValue("scVolumeML", volume.decimalText(places: 3)))
            detail = " \(mg) mg SC would be \(volume.decimalText(places: 3)) mL."
        }
        return DosingFlag(
            .lowVolumeMeasurement,
            .alert,
            values: values,
            source: "clinical-spec A9",
            message: "Weight < 10 kg: SC volumes are small (0.1 mL per 15 mg at 150 mg/mL).\(detail)"
        )
    }

    static func roundedDown(from: Int, to: Int, cap: String, source: String) -> DosingFlag {
        DosingFlag(
            .roundedDownToCap,
            .reason,
            values: [DosingValue("roundedMg", "\(from)"), DosingValue("mg", "\(to)"), DosingValue("cap", cap)],
            source: source,
            message: "Rounding gave \(from) mg, above \(cap); the dose is \(to) mg."
        )
    }

    static func weightRequired(_ weightKg: Double?) -> DosingFlag {
        DosingFlag(
            .weightRequired,
            .alert,
            values: weightKg.map { [DosingValue("weightKg", "\($0)")] } ?? [],
            source: "clinical-spec A5",
            message: weightKg == nil
                ? "No measured weight: no dose is calculated."
                : "Weight \(weightKg ?? 0) kg is outside 0.3–350 kg: no dose is calculated."
        )
    }

    static func renalOverrideRequired() -> DosingFlag {
        DosingFlag(
            .renalOverrideRequired,
            .alert,
            values: [DosingValue("frequency", "Q48H")],
            source: "clinical-spec A5",
            message: "Q48H is only used by a clinician's renal override: no dose is calculated."
        )
    }

    static func unknownRegimen(_ p: AnakinraProtocol, _ id: String) -> DosingFlag {
        DosingFlag(
            .unknownRegimen,
            .alert,
            values: [
                DosingValue("regimen", id),
                DosingValue("known", p.alternativeRegimens.map(\.id).joined(separator: ",")),
            ],
            source: p.evidence,
            message: "\(p.shortName) has no regimen \"\(id)\": no dose is calculated."
        )
    }

    static func doseBelowOneMg(_ core: Core) -> DosingFlag {
        DosingFlag(
            .doseBelowOneMg,
            .alert,
            values: [DosingValue("frequency", core.frequency.rawValue)],
            source: "clinical-spec A5",
            message: "The dose rounds to less than 1 mg: no dose is calculated; check the weight."
        )
    }
}
