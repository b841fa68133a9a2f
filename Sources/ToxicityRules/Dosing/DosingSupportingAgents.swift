// Dose arithmetic for the agents the later rules offer beside anakinra: tocilizumab (to model
// "refractory" and shortages), and the shortage alternatives dexamethasone, siltuximab and
// emapalumab (clinical-spec A10, §8, §9). Exact arithmetic, doses rounded half-up to 0.1 mg
// (IMPL: small weights make whole-mg rounding of these agents too coarse).

/// When a supporting agent is given.
package enum SupportingSchedule: Sendable, Hashable, CustomStringConvertible {
    /// One dose (tocilizumab: may repeat, see the flags; siltuximab).
    case once
    /// Repeated at an interval (dexamethasone Q6H).
    case every(DoseFrequency)
    /// Twice a week, every 3–4 days (emapalumab, primary HLH label).
    case twiceWeekly

    package var description: String {
        switch self {
        case .once: "once"
        case .every(let frequency): frequency.rawValue
        case .twiceWeekly: "twice weekly"
        }
    }
}

/// A computed dose of a supporting agent.
package struct SupportingDose: Sendable, Hashable {
    package var drug: Drug
    /// mg per dose, rounded half-up to 0.1 mg.
    package var mg: ExactAmount
    /// The mg/kg used, when weight-based.
    package var mgPerKg: ExactAmount?
    package var route: Route
    package var schedule: SupportingSchedule
    package var capsApplied: [AppliedCap]
    package var flags: [DosingFlag]
    package var steps: [DoseStep]
    /// How well the dose rule is supported (tocilizumab V, siltuximab C, paediatric dexamethasone U).
    package var status: EvidenceStatus
    package var source: String
}

/// The result of a supporting-agent calculation.
package enum SupportingDoseOutcome: Sendable, Hashable {
    case dose(SupportingDose)
    case noDose([DosingFlag])

    package var dose: SupportingDose? {
        if case .dose(let dose) = self { return dose }
        return nil
    }

    package var flags: [DosingFlag] {
        switch self {
        case .dose(let dose): dose.flags
        case .noDose(let flags): flags
        }
    }
}

/// Supporting-agent dose arithmetic.
package enum SupportingAgentDosing {
    /// Age from which the adult dexamethasone regimen is used (IMPL).
    package static let adultAgeYears = 18.0

    /// Tocilizumab for CRS: < 30 kg 12 mg/kg; ≥ 30 kg 8 mg/kg, max 800 mg; IV over 1 h; may
    /// repeat ≥ 8 h apart, at most 3 doses in 24 h and 4 in total (Kymriah USPI, ASCO 2021; V).
    package static func tocilizumab(weightKg: Double?) -> SupportingDoseOutcome {
        guard let weight = AnakinraDosing.validatedWeight(weightKg) else {
            return .noDose([AnakinraDosing.weightRequired(weightKg)])
        }
        let source = "Kymriah USPI Table 1; ASCO 2021"
        let mgPerKg = weight < 30 ? ExactAmount(12) : ExactAmount(8)
        var steps = [
            DoseStep(
                .weightBased,
                "\(mgPerKg) mg/kg × \(weight) kg = \(mgPerKg * weight) mg (\(weight < 30 ? "< 30 kg" : "≥ 30 kg"))"
            )
        ]
        var mg = mgPerKg * weight
        var caps: [AppliedCap] = []
        if weight >= 30, mg > 800 {
            caps.append(
                AppliedCap(
                    kind: .perDoseCap,
                    limitMg: ExactAmount(800),
                    beforeMg: mg,
                    afterMg: 800,
                    stated: "800 mg/dose",
                    source: source
                )
            )
            steps.append(DoseStep(.perDoseCap, "maximum 800 mg: \(mg) mg → 800 mg"))
            mg = ExactAmount(800)
        }
        mg = rounded(mg, steps: &steps)
        return .dose(
            SupportingDose(
                drug: .tocilizumab,
                mg: mg,
                mgPerKg: mgPerKg,
                route: .iv,
                schedule: .once,
                capsApplied: caps,
                flags: [
                    DosingFlag(
                        .policyDefault,
                        .reason,
                        values: [
                            DosingValue("minimumIntervalHours", "8"), DosingValue("maxPer24h", "3"),
                            DosingValue("maxTotal", "4"),
                        ],
                        source: source,
                        message: "May repeat after ≥ 8 h without improvement; at most 3 doses in 24 h and 4 in total."
                    )
                ],
                steps: steps,
                status: .verified,
                source: source
            )
        )
    }

    /// Dexamethasone as the shortage alternative to tocilizumab (A10): adults (≥ 18 y)
    /// 10 mg IV Q6H; children 0.5 mg/kg IV Q6H, max 10 mg (U). An unknown age uses the
    /// paediatric rule (never more than the adult dose) with alert `age-required`.
    package static func dexamethasoneShortageAlternative(ageYears: Double?, weightKg: Double?) -> SupportingDoseOutcome
    {
        let adultSource = "ASCO 2021 (CRS grade 3)"
        if let ageYears, ageYears >= adultAgeYears {
            return .dose(
                SupportingDose(
                    drug: .dexamethasone,
                    mg: ExactAmount(10),
                    mgPerKg: nil,
                    route: .iv,
                    schedule: .every(.q6h),
                    capsApplied: [],
                    flags: [],
                    steps: [DoseStep(.fixedAmount, "adult: fixed 10 mg")],
                    status: .verified,
                    source: adultSource
                )
            )
        }
        var flags: [DosingFlag] = []
        if ageYears == nil {
            flags.append(
                DosingFlag(
                    .ageRequired,
                    .alert,
                    source: "policy",
                    message: "Age unknown: the paediatric dexamethasone rule (0.5 mg/kg, max 10 mg) is used."
                )
            )
        }
        guard let weight = AnakinraDosing.validatedWeight(weightKg) else {
            return .noDose(flags + [AnakinraDosing.weightRequired(weightKg)])
        }
        let source = "clinical-spec A10 (paediatric dose U)"
        let mgPerKg = ExactAmount(1, over: 2)
        var mg = mgPerKg * weight
        var steps = [DoseStep(.weightBased, "\(mgPerKg) mg/kg × \(weight) kg = \(mg) mg")]
        var caps: [AppliedCap] = []
        if mg > 10 {
            caps.append(
                AppliedCap(
                    kind: .perDoseCap,
                    limitMg: ExactAmount(10),
                    beforeMg: mg,
                    afterMg: 10,
                    stated: "10 mg/dose",
                    source: source
                )
            )
            steps.append(DoseStep(.perDoseCap, "maximum 10 mg: \(mg) mg → 10 mg"))
            mg = ExactAmount(10)
        }
        mg = rounded(mg, steps: &steps)
        return .dose(
            SupportingDose(
                drug: .dexamethasone,
                mg: mg,
                mgPerKg: mgPerKg,
                route: .iv,
                schedule: .every(.q6h),
                capsApplied: caps,
                flags: flags,
                steps: steps,
                status: .unverified,
                source: source
            )
        )
    }

    /// Siltuximab 11 mg/kg IV once (CARTOX; off-label for CRS; C).
    package static func siltuximab(weightKg: Double?) -> SupportingDoseOutcome {
        weightBased(
            .siltuximab,
            mgPerKg: ExactAmount(11),
            weightKg: weightKg,
            schedule: .once,
            status: .corroborated,
            source: "CARTOX (off-label)"
        )
    }

    /// Emapalumab 1 mg/kg IV twice weekly (primary HLH label starting dose; V).
    package static func emapalumab(weightKg: Double?) -> SupportingDoseOutcome {
        weightBased(
            .emapalumab,
            mgPerKg: ExactAmount(1),
            weightKg: weightKg,
            schedule: .twiceWeekly,
            status: .verified,
            source: "Gamifant label (primary HLH)"
        )
    }

    static func weightBased(
        _ drug: Drug,
        mgPerKg: ExactAmount,
        weightKg: Double?,
        schedule: SupportingSchedule,
        status: EvidenceStatus,
        source: String
    ) -> SupportingDoseOutcome {
        guard let weight = AnakinraDosing.validatedWeight(weightKg) else {
            return .noDose([AnakinraDosing.weightRequired(weightKg)])
        }
        var steps = [DoseStep(.weightBased, "\(mgPerKg) mg/kg × \(weight) kg = \(mgPerKg * weight) mg")]
        let mg = rounded(mgPerKg * weight, steps: &steps)
        return .dose(
            SupportingDose(
                drug: drug,
                mg: mg,
                mgPerKg: mgPerKg,
                route: .iv,
                schedule: schedule,
                capsApplied: [],
                flags: [],
                steps: steps,
                status: status,
                source: source
            )
        )
    }

    /// Rounds half-up to 0.1 mg, recording the step when the value changes.
    static func rounded(_ mg: ExactAmount, steps: inout [DoseStep]) -> ExactAmount {
        let value = mg.roundedHalfUp(places: 1)
        if value != mg { steps.append(DoseStep(.rounding, "rounded to 0.1 mg (half up): \(mg) mg → \(value) mg")) }
        return value
    }
}
