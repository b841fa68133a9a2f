// What a dose calculation is asked and what it answers (clinical-spec A5): the level, the
// request, the calculation, the options and the outcome.

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
