// Anakinra dose arithmetic (clinical-spec.md Part A §A5, binding; Part B E-2, E-3, §1, §2).
//
// Order of operations, always:
//   mg/kg × weight (or the fixed amount) → ÷ doses per day for per-day doses
//   → per-dose cap → daily limit (the daily cap and the mg/kg/day ceiling × weight; when
//     doses/day × dose exceeds it, dose = floor(limit ÷ doses/day))
//   → rounding (nearest 1 mg half-up, or St. Jude's whole syringe)
//   → never above any cap (a rounded dose over a cap is brought back under it).
// Everything is exact (``ExactAmount``); no cap is ever compared through a `Double`.

/// Which point of the protocol's dose (or dose range) to use.
package enum DoseLevel: Sendable, Hashable {
    /// The low end of a range: the "less ill" branch (A5).
    case lessIll
    /// The protocol's stated dose for grade ≥ 3 (A5).
    case severe
    /// The high end of a range: the escalation ceiling (A5).
    case ceiling
    /// A prescribed amount in the regimen's own basis (e.g. 2.5 mg/kg/dose); a value outside
    /// the protocol's range gets warning `dose-outside-protocol`. Caps still apply.
    case prescribed(ExactAmount)

    /// `severe` for grade ≥ 3, otherwise `lessIll` (A5).
    package static func forGrade(_ grade: Int) -> DoseLevel { grade >= 3 ? .severe : .lessIll }

    /// `less-ill`, `severe`, `ceiling` or `prescribed`.
    package var code: String {
        switch self {
        case .lessIll: "less-ill"
        case .severe: "severe"
        case .ceiling: "ceiling"
        case .prescribed: "prescribed"
        }
    }
}

/// What to calculate.
package struct DoseRequest: Sendable, Hashable {
    /// Latest measured actual weight (the caller checks it is ≤ 30 days old, A5).
    package var weightKg: Double?
    package var level: DoseLevel
    /// The prescriber's frequency; `nil` uses the protocol's default.
    package var frequency: DoseFrequency?
    /// The route; `nil` uses the protocol's preferred route. (Route rules come later, A8.)
    package var route: Route?
    /// An alternative regimen id (MUSC `fixed-100mg-daily`); `nil` for the primary regimen.
    package var regimenId: String?
    /// A clinician's renal override: allows `Q48H` (A5, A9).
    package var renalOverride: Bool

    package init(
        weightKg: Double?,
        level: DoseLevel = .lessIll,
        frequency: DoseFrequency? = nil,
        route: Route? = nil,
        regimenId: String? = nil,
        renalOverride: Bool = false
    ) {
        self.weightKg = weightKg
        self.level = level
        self.frequency = frequency
        self.route = route
        self.regimenId = regimenId
        self.renalOverride = renalOverride
    }
}

/// A computed anakinra dose with the caps applied, flags and the arithmetic.
package struct DoseCalculation: Sendable, Hashable {
    package var protocolId: String
    package var regimenId: String?
    package var level: DoseLevel
    /// The weight used, in kg (held to the gram).
    package var weightKg: ExactAmount
    package var basis: DoseBasis
    /// The protocol amount used, in `basis` units (2 mg/kg/dose, 10 mg/kg/day, 100 mg/dose).
    package var amount: ExactAmount
    /// Whole mg per dose; `nil` when there is no frequency yet (CHOP: `frequency-required`).
    package var mg: Int?
    package var frequency: DoseFrequency?
    package var route: Route
    /// Whole mg per 24 h (for `Q48H`: the one dose of a dosing day). `nil` only for a
    /// per-dose protocol without a frequency.
    package var dailyMg: Int?
    /// mg per kg per dose actually given (exact; display with 3 places).
    package var mgPerKg: ExactAmount?
    /// mg per kg per day actually given.
    package var mgPerKgPerDay: ExactAmount?
    package var capsApplied: [AppliedCap]
    package var flags: [DosingFlag]
    package var steps: [DoseStep]
    /// Doses at other frequencies: CHOP's Q6H/Q12H/Q24H when no frequency is given, or the
    /// protocol's own frequency when the prescriber's is outside the protocol (TC22).
    package var options: [DoseOption]
    /// 100 mg syringes per dose (each dose uses its own syringes).
    package var syringesPerDose: Int?
    /// Volume per dose at 150 mg/mL, exact (display with 3 places).
    package var volumePerDoseML: ExactAmount?
    /// Source tag of the dose (`seed Table 1 row CNH`).
    package var source: String

    /// Whether any flag has this code.
    package func has(_ code: DosingFlag.Code) -> Bool { flags.contains { $0.code == code } }
    /// Whether a cap of this kind was applied.
    package func applied(_ kind: AppliedCap.Kind) -> Bool { capsApplied.contains { $0.kind == kind } }
}

/// The dose at one frequency, offered beside the main result.
package struct DoseOption: Sendable, Hashable, CustomStringConvertible {
    package var frequency: DoseFrequency
    package var mg: Int
    package var dailyMg: Int
    package var capsApplied: [AppliedCap]
    package var flags: [DosingFlag]

    package var description: String { "\(mg) mg \(frequency.rawValue) (\(dailyMg) mg/day)" }
}

/// The result of a dose calculation: a dose, or the alerts that prevent one.
package enum DosingOutcome: Sendable, Hashable {
    case dose(DoseCalculation)
    /// No dose at all (weight missing or implausible, Q48H without override …).
    case noDose([DosingFlag])

    /// The calculation, when there is one.
    package var calculation: DoseCalculation? {
        if case .dose(let calculation) = self { return calculation }
        return nil
    }

    /// The flags of either case.
    package var flags: [DosingFlag] {
        switch self {
        case .dose(let calculation): calculation.flags
        case .noDose(let flags): flags
        }
    }
}

/// Pure anakinra dose arithmetic over an ``AnakinraProtocol``.
package enum AnakinraDosing {
    /// Calculates a dose for a protocol.
    ///
    /// - Parameters:
    ///   - anakinraProtocol: The patient's protocol.
    ///   - request: Weight, dose level, frequency, route and regimen.
    /// - Returns: The dose with every cap applied, or `.noDose` with `weight-required`
    ///   (missing or outside 0.3–350 kg), `renal-override-required` (Q48H without a renal
    ///   override), `unknown-regimen`, or `dose-below-1-mg`.
    ///   - explain: `false` computes the same numbers without building the steps, the caps
    ///     applied or the flags' text (the assessment's decisions); `true` for anything shown.
    package static func calculate(
        _ anakinraProtocol: AnakinraProtocol,
        _ request: DoseRequest,
        explain: Bool = true
    ) -> DosingOutcome {
        let p = anakinraProtocol
        guard let regimen = p.regimen(id: request.regimenId) else {
            return .noDose([unknownRegimen(p, request.regimenId ?? "")])
        }
        guard let weight = validatedWeight(request.weightKg) else {
            return .noDose([weightRequired(request.weightKg)])
        }
        var flags: [DosingFlag] = []

        // Frequency.
        var frequency: DoseFrequency? = request.frequency
        var offProtocolFrequency = false
        if let requested = request.frequency {
            if requested == .q48h {
                guard request.renalOverride else { return .noDose([renalOverrideRequired()]) }
                if explain {
                    flags.append(
                        DosingFlag(
                            .renalFrequencyOverride,
                            .reason,
                            values: [DosingValue("frequency", "Q48H")],
                            source: "clinician override",
                            message:
                                "Q48H by a clinician's renal override (label: consider every other day when CrCl < 30 mL/min)."
                        )
                    )
                }
            } else if !regimen.frequency.allowed.contains(requested) {
                offProtocolFrequency = true
                if explain {
                    flags.append(
                        DosingFlag(
                            .frequencyOutsideProtocol,
                            .warning,
                            values: [
                                DosingValue("frequency", requested.rawValue),
                                DosingValue(
                                    "protocolFrequencies",
                                    regimen.frequency.allowed.map(\.rawValue).joined(separator: ",")
                                ),
                            ],
                            source: p.sourceTag(regimen.frequency.status, evidence: regimen.frequency.evidence),
                            message:
                                "\(requested.rawValue) is not a frequency of \(p.shortName) (\(regimen.frequency.allowed.map(\.rawValue).joined(separator: ", ")))."
                        )
                    )
                }
            }
        } else if let protocolDefault = regimen.frequency.default {
            frequency = protocolDefault
            if explain, regimen.frequency.status == .policy {
                flags.append(
                    DosingFlag(
                        .policyDefault,
                        .reason,
                        values: [DosingValue("frequency", protocolDefault.rawValue)],
                        source: "policy",
                        message: "Frequency \(protocolDefault.rawValue) is a ToxWatch default for \(p.shortName)"
                            + (regimen.frequency.note.map { ": \($0)" } ?? ".")
                    )
                )
            }
        }

        // Route.
        let route = request.route ?? p.routes.preferred
        if explain, !p.routes.allowed.contains(route) {
            flags.append(
                DosingFlag(
                    .routeOutsideProtocol,
                    .warning,
                    values: [
                        DosingValue("route", route.rawValue),
                        DosingValue("protocolRoutes", p.routes.allowed.map(\.rawValue).joined(separator: ",")),
                    ],
                    source: p.sourceTag(p.routes.status, evidence: p.routes.evidence),
                    message:
                        "\(route.rawValue) is not a route of \(p.shortName) (\(p.routes.allowed.map(\.rawValue).joined(separator: ", ")))."
                )
            )
        }

        // Amount.
        let amount = amount(for: request.level, in: regimen.dose)
        if case .prescribed(let value) = request.level,
            value <= 0 || value > regimen.dose.basis.plausibleMaximum * maximumPrescribedFactor
        {
            return .noDose(flags + [invalidPrescribed(p, value: value, basis: regimen.dose.basis)])
        }
        if explain { flags += levelFlags(p, regimen: regimen, level: request.level, amount: amount) }

        guard let frequency else {
            return .dose(
                frequencyRequired(
                    p,
                    regimen: regimen,
                    weight: weight,
                    amount: amount,
                    level: request.level,
                    route: route,
                    flags: flags,
                    explain: explain
                )
            )
        }

        let core = compute(p, regimen: regimen, weight: weight, amount: amount, frequency: frequency, explain: explain)
        guard core.mg >= 1 else { return .noDose(flags + [doseBelowOneMg(core)]) }
        var calculation = makeCalculation(
            p,
            regimen: regimen,
            weight: weight,
            amount: amount,
            level: request.level,
            route: route,
            core: core,
            flags: flags,
            explain: explain
        )
        if offProtocolFrequency, let protocolDefault = regimen.frequency.default {
            let option = compute(
                p,
                regimen: regimen,
                weight: weight,
                amount: amount,
                frequency: protocolDefault,
                explain: explain
            )
            calculation.options.append(option.option)
        }
        return .dose(calculation)
    }

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
