// The dose a recommendation decides (clinical-spec A5–A8), computed with every cap when the
// decision is made: the explanation only describes it.

/// A dose computed from a plan, with what the arithmetic said.
struct DecidedDose: Hashable, Sendable {
    /// `nil` when the plan gives no dose or the arithmetic cannot (missing weight, no frequency).
    var dose: RecommendedDose?
    var flags: [DosingFlag] = []
    /// The caps that changed the dose.
    var caps: [AppliedCap] = []
    /// The arithmetic, step by step.
    var steps: [String] = []
    /// Where the dose comes from (a table row of the seed, a spec section).
    var source: String?
}

extension DecidedDose {
    /// The dose of `plan` under protocol `p`, given by `route`, for a patient of `weight` kg.
    init(_ p: AnakinraProtocol, plan: DosePlan, route: Route, weightKg weight: Double?) {
        switch plan {
        case .none:
            self.init()
        case .protocolDose(let level):
            let request = DoseRequest(weightKg: weight, level: level, frequency: nil, route: route)
            self.init(AnakinraDosing.calculate(p, request))
        case .regimen(let current):
            guard let w = AnakinraDosing.validatedWeight(weight) else {
                self.init(flags: [AnakinraDosing.weightRequired(weight)])
                return
            }
            let basis = p.dose.basis
            var request = DoseRequest(weightKg: weight, level: .lessIll, frequency: current.frequency, route: route)
            if let mg = current.mg, let frequency = current.frequency {
                request.level = .prescribed(
                    AnakinraDosing.amountInBasis(
                        mgPerDose: ExactAmount(mg),
                        frequency: frequency,
                        basis: basis,
                        weight: w
                    )
                )
                request.renalOverride = frequency == .q48h
            } else if basis.isPerDay {
                let daily = ExactAmount(current.dailyMg)
                request.level = .prescribed(basis.isWeightBased ? daily / w : daily)
            }
            self.init(AnakinraDosing.calculate(p, request))
            // A dose the protocol's escalation reaches is within the protocol (the ceiling costs
            // two dose calculations: only asked when the flag is there to clear).
            if flags.contains(where: { $0.code == .doseOutsideProtocol }), let daily = dose?.dailyMg,
                daily <= Self.escalationCeilingDaily(p, weightKg: weight)
            {
                flags.removeAll { $0.code == .doseOutsideProtocol }
            }
        case .escalation(let current):
            switch AnakinraDosing.escalate(p, from: current, weightKg: weight) {
            case .escalated(let calculation):
                self.init(.dose(calculation))
            case .atCeiling(let flag):
                self.init(p, plan: .regimen(current), route: route, weightKg: weight)
                flags.append(flag)
            case .noDose(let flags):
                self.init(flags: flags)
            }
        case .taper(let full, let step):
            guard case .schedule(let schedule) = AnakinraDosing.taperSchedule(p, from: full, weightKg: weight),
                step >= 1, step <= schedule.count
            else {
                self.init(flags: [AnakinraDosing.weightRequired(weight)])
                return
            }
            let s = schedule[step - 1]
            guard let mg = s.mg, let frequency = s.frequency else {
                self.init(flags: s.flags, steps: s.steps.map(\.text))
                return
            }
            let w = AnakinraDosing.validatedWeight(weight)
            let dose = RecommendedDose(
                mg: mg,
                mgPerKg: w.map { Self.rounded((ExactAmount(mg) / $0).approximateDouble) },
                route: full.route,
                frequency: frequency,
                dailyMg: s.dailyMg,
                syringesPerDose: AnakinraSupply.syringesPerDose(mg: mg),
                volumePerDoseML: Self.rounded(AnakinraSupply.volumeML(mg: mg).approximateDouble)
            )
            var flags = s.flags
            if let w, let lowVolume = AnakinraDosing.lowVolume(weight: w, mg: mg) { flags.append(lowVolume) }
            self.init(
                dose: dose,
                flags: flags,
                caps: s.capsApplied,
                steps: s.steps.map(\.text),
                source: p.sourceTag(p.taper.status, evidence: p.taper.evidence)
            )
        }
    }

    /// The dose of a calculator outcome.
    init(_ outcome: DosingOutcome) {
        switch outcome {
        case .noDose(let flags):
            self.init(flags: flags)
        case .dose(let c):
            let dose = RecommendedDose(
                mg: c.mg,
                mgPerKg: c.mgPerKg.map { Self.rounded($0.approximateDouble) },
                route: c.route,
                frequency: c.frequency,
                dailyMg: c.dailyMg,
                options: c.options.map {
                    RecommendedDoseOption(frequency: $0.frequency, mg: $0.mg, dailyMg: $0.dailyMg)
                },
                syringesPerDose: c.syringesPerDose,
                volumePerDoseML: c.volumePerDoseML.map { Self.rounded($0.approximateDouble) }
            )
            self.init(
                dose: dose,
                flags: c.flags,
                caps: c.capsApplied,
                steps: c.steps.map(\.text),
                source: c.source
            )
        }
    }

    /// The highest daily dose the protocol's escalation rule can reach from its starting dose.
    static func escalationCeilingDaily(_ p: AnakinraProtocol, weightKg weight: Double?) -> Int {
        let start = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, level: .severe))
        guard let startDose = start.calculation, let current = CurrentDose(startDose) else { return 0 }
        switch p.escalation.rule {
        case .none:
            return current.dailyMg
        case .toPerDoseCap:
            if case .escalated(let c) = AnakinraDosing.escalate(p, from: current, weightKg: weight) {
                return c.dailyMg ?? current.dailyMg
            }
            return current.dailyMg
        case .doubleDailyDose, .toRangeHigh:
            let ceiling = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, level: .ceiling))
            return ceiling.calculation?.dailyMg ?? current.dailyMg
        }
    }

    /// To 3 decimals (mg/kg, mL).
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
