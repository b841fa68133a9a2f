// The core of the dose arithmetic (clinical-spec A5): the order of operations of
// ``AnakinraDosing``, each cap applied exactly.

extension AnakinraDosing {
    // MARK: - Core pipeline

    /// The result of the pipeline at one frequency.
    struct Core {
        var frequency: DoseFrequency
        var mg: Int
        var dailyMg: Int
        var caps: [AppliedCap]
        var flags: [DosingFlag]
        var steps: [DoseStep]

        var option: DoseOption {
            DoseOption(frequency: frequency, mg: mg, dailyMg: dailyMg, capsApplied: caps, flags: flags)
        }
    }

    /// The daily limit from the daily cap and the mg/kg/day ceiling, with the cap that sets it.
    struct DailyLimit {
        var mg: ExactAmount
        var kind: AppliedCap.Kind
        /// The mg/kg/day ceiling and the weight, for the text of a ceiling.
        var ceiling: (perKg: ExactAmount, weight: ExactAmount)?

        /// The limit as the protocol states it (built only when explaining).
        var stated: String {
            guard let ceiling else { return "\(mg) mg/day" }
            return "\(ceiling.perKg) mg/kg/day × \(ceiling.weight) kg = \(mg) mg/day"
        }
    }

    /// Collects steps, caps and flags only when explaining: the text is built lazily, so the
    /// arithmetic can run without it (the assessment's decisions) and give the same numbers.
    struct Explainer {
        let on: Bool
        var steps: [DoseStep] = []
        var caps: [AppliedCap] = []
        var flags: [DosingFlag] = []

        init(_ on: Bool) { self.on = on }

        mutating func step(_ kind: DoseStep.Kind, _ text: @autoclosure () -> String) {
            if on { steps.append(DoseStep(kind, text())) }
        }

        mutating func cap(_ make: @autoclosure () -> AppliedCap) {
            if on { caps.append(make()) }
        }

        mutating func flag(_ make: @autoclosure () -> DosingFlag) {
            if on { flags.append(make()) }
        }
    }

    static func dailyLimit(_ p: AnakinraProtocol, weight: ExactAmount) -> DailyLimit? {
        var limits: [DailyLimit] = []
        if let daily = p.caps.dailyMg {
            limits.append(DailyLimit(mg: ExactAmount(daily), kind: .dailyCap, ceiling: nil))
        }
        if let ceiling = p.caps.mgPerKgPerDay {
            limits.append(DailyLimit(mg: ceiling * weight, kind: .mgPerKgDayCeiling, ceiling: (ceiling, weight)))
        }
        // The lower limit binds; on a tie the stated daily cap is reported.
        return limits.min { $0.mg < $1.mg }
    }

    /// mg/kg × weight → per-dose cap → daily limit → rounding → never above any cap.
    static func compute(
        _ p: AnakinraProtocol,
        regimen: DosingRegimen,
        weight: ExactAmount,
        amount: ExactAmount,
        frequency: DoseFrequency,
        explain: Bool = true
    ) -> Core {
        let basis = regimen.dose.basis
        let n = frequency.dosesPer24Hours
        let capSource = p.sourceTag(p.caps.status, evidence: p.caps.evidence)
        var ex = Explainer(explain)

        // 1. Weight-based or fixed amount, then divided for per-day doses.
        let base: ExactAmount
        if basis.isWeightBased {
            base = amount * weight
            ex.step(.weightBased, "\(amount) \(basis.unit) × \(weight) kg = \(base) mg\(basis.isPerDay ? "/day" : "")")
        } else {
            base = amount
            ex.step(.fixedAmount, "fixed \(amount) \(basis.unit)")
        }
        var dose = base
        if basis.isPerDay {
            dose = base / n
            ex.step(.divided, "\(base) mg/day ÷ \(n) dose\(n == 1 ? "" : "s") (\(frequency.rawValue)) = \(dose) mg")
        }

        // 2. Per-dose cap.
        if let cap = p.caps.perDoseMg, dose > cap {
            ex.cap(
                AppliedCap(
                    kind: .perDoseCap,
                    limitMg: ExactAmount(cap),
                    beforeMg: dose,
                    afterMg: cap,
                    stated: "\(cap) mg/dose",
                    source: capSource
                )
            )
            ex.step(.perDoseCap, "per-dose cap \(cap) mg: \(dose) mg → \(cap) mg")
            dose = ExactAmount(cap)
        }

        // 3. Daily limit.
        let limit = dailyLimit(p, weight: weight)
        if let limit {
            let day = dose * n
            if day > limit.mg {
                let capped = Int((limit.mg / n).floor)
                ex.cap(
                    AppliedCap(
                        kind: limit.kind,
                        limitMg: limit.mg,
                        beforeMg: dose,
                        afterMg: capped,
                        stated: limit.stated,
                        source: capSource
                    )
                )
                let name = limit.kind == .dailyCap ? "daily cap" : "mg/kg/day ceiling"
                ex.step(
                    limit.kind == .dailyCap ? .dailyCap : .mgPerKgDayCeiling,
                    "\(name) \(limit.stated): \(n) × \(dose) mg = \(day) mg > \(limit.mg) mg → floor(\(limit.mg) ÷ \(n)) = \(capped) mg"
                )
                dose = ExactAmount(capped)
            }
        }

        // 4. Rounding.
        var mg: Int
        switch p.rounding.rule {
        case .nearestMg:
            mg = Int(dose.roundedHalfUp)
            if !dose.isWhole {
                ex.step(.rounding, "rounded to the nearest 1 mg (half up): \(dose) mg → \(mg) mg")
            }
        case .wholeSyringe:
            let syringeMg = p.rounding.syringeMg ?? AnakinraProduct.syringeMg
            let tolerance = p.rounding.tolerancePercent ?? 10
            let source = p.sourceTag(p.rounding.status, evidence: p.rounding.evidence)
            if let whole = wholeSyringeDose(
                dose,
                syringeMg: syringeMg,
                tolerancePercent: tolerance,
                perDoseCap: p.caps.perDoseMg,
                dailyLimit: limit?.mg,
                dosesPerDay: n
            ) {
                mg = whole
                if ExactAmount(whole) != dose {
                    ex.step(
                        .rounding,
                        "rounded to \(whole / syringeMg) × \(syringeMg) mg syringe\(whole == syringeMg ? "" : "s"): \(dose) mg → \(whole) mg (within \(tolerance) %)"
                    )
                    ex.flag(
                        DosingFlag(
                            .roundedToWholeSyringe,
                            .reason,
                            values: [
                                DosingValue("computedMg", "\(dose)"), DosingValue("mg", "\(whole)"),
                                DosingValue("syringes", "\(whole / syringeMg)"),
                                DosingValue("tolerancePercent", "\(tolerance)"),
                            ],
                            source: source,
                            message:
                                "Rounded \(dose) mg to \(whole) mg, a whole number of \(syringeMg) mg syringes within \(tolerance) % (\(p.shortName): round dose to nearest vial)."
                        )
                    )
                }
            } else {
                mg = Int(dose.roundedHalfUp)
                if !dose.isWhole {
                    ex.step(.rounding, "rounded to the nearest 1 mg (half up): \(dose) mg → \(mg) mg")
                }
                ex.flag(
                    DosingFlag(
                        .roundingConfirmationRequired,
                        .alert,
                        values: [
                            DosingValue("computedMg", "\(dose)"), DosingValue("mg", "\(mg)"),
                            DosingValue("syringeMg", "\(syringeMg)"),
                        ],
                        source: source,
                        message:
                            "No whole number of \(syringeMg) mg syringes lies within \(tolerance) % of \(dose) mg; confirm \(mg) mg (\(p.shortName) says round to nearest vial)."
                    )
                )
            }
        }

        // 5. Never above any cap.
        if let cap = p.caps.perDoseMg, mg > cap {
            ex.step(.capAfterRounding, "\(mg) mg is above the per-dose cap \(cap) mg → \(cap) mg")
            ex.flag(roundedDown(from: mg, to: cap, cap: "\(cap) mg/dose", source: capSource))
            mg = cap
        }
        if let limit, ExactAmount(mg * n) > limit.mg {
            let capped = Int((limit.mg / n).floor)
            ex.step(
                .capAfterRounding,
                "\(n) × \(mg) mg = \(mg * n) mg is above \(limit.stated) → floor(\(limit.mg) ÷ \(n)) = \(capped) mg"
            )
            ex.flag(roundedDown(from: mg, to: capped, cap: limit.stated, source: capSource))
            mg = capped
        }

        let daily = mg * n
        ex.step(.daily, "\(n) × \(mg) mg (\(frequency.rawValue)) = \(daily) mg/day")
        if explain { ex.flags += commonCapWarnings(p, mg: mg, daily: daily, frequency: frequency, weight: weight) }
        return Core(frequency: frequency, mg: mg, dailyMg: daily, caps: ex.caps, flags: ex.flags, steps: ex.steps)
    }

    /// The whole-syringe dose nearest to `dose` within the tolerance and under every cap.
    static func wholeSyringeDose(
        _ dose: ExactAmount,
        syringeMg: Int,
        tolerancePercent: Int,
        perDoseCap: Int?,
        dailyLimit: ExactAmount?,
        dosesPerDay: Int
    ) -> Int? {
        let lower = Int((dose / syringeMg).floor)
        let candidates = [lower, lower + 1].filter { $0 >= 1 }.map { $0 * syringeMg }
        let acceptable = candidates.filter { candidate in
            let distance = ExactAmount.max(ExactAmount(candidate) - dose, dose - ExactAmount(candidate))
            guard distance * 100 <= dose * tolerancePercent else { return false }
            if let perDoseCap, candidate > perDoseCap { return false }
            if let dailyLimit, ExactAmount(candidate * dosesPerDay) > dailyLimit { return false }
            return true
        }
        // Nearest; on a tie the smaller dose.
        return acceptable.min { a, b in
            let da = ExactAmount.max(ExactAmount(a) - dose, dose - ExactAmount(a))
            let db = ExactAmount.max(ExactAmount(b) - dose, dose - ExactAmount(b))
            return da < db || (da == db && a < b)
        }
    }
}
