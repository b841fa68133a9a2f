// Creatinine clearance estimates for the renal alert (clinical-spec A9; Part B TC21).
//
// Children (< 18 y): bedside Schwartz 0.413 × height (cm) ÷ SCr (mg/dL), mL/min/1.73 m².
// Adults (≥ 18 y): Cockcroft-Gault (140 − age) × weight (kg) ÷ (72 × SCr), × 0.85 if female,
// mL/min. Exact arithmetic; the < 30 decision uses the unrounded value.

/// An estimated creatinine clearance.
package struct CreatinineClearanceEstimate: Sendable, Hashable {
    package enum Method: String, Sendable, Hashable, CaseIterable {
        case bedsideSchwartz = "bedside-schwartz"
        case cockcroftGault = "cockcroft-gault"
    }

    package var method: Method
    /// The exact estimate.
    package var value: ExactAmount
    /// Rounded half-up to 0.1 (display: 28.6, 26.8).
    package var rounded: ExactAmount
    /// `mL/min/1.73m2` (Schwartz) or `mL/min` (Cockcroft-Gault).
    package var unit: String
    /// Below 30 mL/min (severe renal insufficiency in the anakinra label).
    package var isBelow30: Bool
    /// `renal` when below 30, `sex-unknown` when the female factor was assumed.
    package var flags: [DosingFlag]
    package var steps: [DoseStep]
}

/// The result of an estimate: a value or the inputs that are missing.
package enum CreatinineClearanceOutcome: Sendable, Hashable {
    case estimate(CreatinineClearanceEstimate)
    case missingInputs([DosingFlag])

    package var estimate: CreatinineClearanceEstimate? {
        if case .estimate(let estimate) = self { return estimate }
        return nil
    }

    package var flags: [DosingFlag] {
        switch self {
        case .estimate(let estimate): estimate.flags
        case .missingInputs(let flags): flags
        }
    }
}

/// Renal function arithmetic.
package enum RenalFunction {
    /// The anakinra label's severe renal insufficiency threshold.
    package static let severeImpairmentMLPerMin = 30

    /// Estimates creatinine clearance by bedside Schwartz (< 18 y) or Cockcroft-Gault (≥ 18 y).
    ///
    /// - Parameters:
    ///   - ageYears: Age; Cockcroft-Gault uses completed years.
    ///   - sex: Cockcroft-Gault applies × 0.85 for female; for an unknown sex the female
    ///     (lower) estimate is used with warning `sex-unknown` (IMPL).
    ///   - weightKg: Actual weight (Cockcroft-Gault).
    ///   - heightCm: Height (Schwartz), to 0.1 cm.
    ///   - serumCreatinineMgPerDL: Serum creatinine, to 0.01 mg/dL.
    /// - Returns: The estimate, or the `age-required`, `height-required`, `weight-required`,
    ///   `creatinine-required` alerts.
    package static func estimateCreatinineClearance(
        ageYears: Double?,
        sex: Sex?,
        weightKg: Double?,
        heightCm: Double?,
        serumCreatinineMgPerDL: Double?
    ) -> CreatinineClearanceOutcome {
        guard let ageYears, ageYears.isFinite, (0...130).contains(ageYears) else {
            return .missingInputs([missing(.ageRequired, "Age is needed to choose the creatinine clearance formula.")])
        }
        guard let scrValue = serumCreatinineMgPerDL, scrValue.isFinite, scrValue > 0, scrValue <= 30,
            let scr = ExactAmount(measured: scrValue, places: 2), scr > 0
        else {
            return .missingInputs([missing(.creatinineRequired, "A serum creatinine (0.01–30 mg/dL) is needed.")])
        }
        if ageYears < SupportingAgentDosing.adultAgeYears {
            guard let heightValue = heightCm, heightValue.isFinite, (20...250).contains(heightValue),
                let height = ExactAmount(measured: heightValue, places: 1)
            else {
                return .missingInputs([
                    missing(.heightRequired, "Height (20–250 cm) is needed for the bedside Schwartz estimate.")
                ])
            }
            let k = schwartzConstant
            let value = k * height / scr
            let steps = [
                DoseStep(.weightBased, "bedside Schwartz: \(k) × \(height) cm ÷ \(scr) mg/dL = \(value) mL/min/1.73m2")
            ]
            return .estimate(make(.bedsideSchwartz, value: value, unit: "mL/min/1.73m2", flags: [], steps: steps))
        }
        guard let weight = AnakinraDosing.validatedWeight(weightKg) else {
            return .missingInputs([AnakinraDosing.weightRequired(weightKg)])
        }
        let age = Int(ageYears.rounded(.down))
        var value = cockcroftGault(age: age, weight: weight, creatinine: scr)
        var text = "Cockcroft-Gault: (140 − \(age)) × \(weight) kg ÷ (72 × \(scr) mg/dL) = \(value) mL/min"
        var flags: [DosingFlag] = []
        switch sex {
        case .female?:
            value = value * femaleFactor
            text += " × 0.85 (female) = \(value) mL/min"
        case .male?:
            break
        case .other?, .unknown?, nil:
            value = value * femaleFactor
            text += " × 0.85 (sex unknown: lower estimate) = \(value) mL/min"
            flags.append(
                DosingFlag(
                    .sexUnknown,
                    .warning,
                    source: "policy",
                    message: "Sex unknown for Cockcroft-Gault: the lower (× 0.85) estimate is used."
                )
            )
        }
        return .estimate(
            make(.cockcroftGault, value: value, unit: "mL/min", flags: flags, steps: [DoseStep(.weightBased, text)])
        )
    }

    /// Bedside Schwartz constant (mL/min/1.73 m² per cm per mg/dL).
    static let schwartzConstant = ExactAmount(thousandths: 413)
    /// Cockcroft-Gault factor for women (also used when the sex is unknown: the lower estimate).
    static let femaleFactor = ExactAmount(thousandths: 850)

    static func cockcroftGault(age: Int, weight: ExactAmount, creatinine: ExactAmount) -> ExactAmount {
        ExactAmount(140 - age) * weight / (creatinine * 72)
    }

    /// The clearance value alone, with the same inputs, formulas and validation as
    /// ``estimateCreatinineClearance(ageYears:sex:weightKg:heightCm:serumCreatinineMgPerDL:)``
    /// but no explanation (allocation-free): `nil` when an input is missing.
    package static func clearance(
        ageYears: Double?,
        sex: Sex?,
        weightKg: Double?,
        heightCm: Double?,
        serumCreatinineMgPerDL: Double?
    ) -> (method: CreatinineClearanceEstimate.Method, value: ExactAmount)? {
        guard let ageYears, ageYears.isFinite, (0...130).contains(ageYears),
            let scrValue = serumCreatinineMgPerDL, scrValue.isFinite, scrValue > 0, scrValue <= 30,
            let scr = ExactAmount(measured: scrValue, places: 2), scr > 0
        else { return nil }
        if ageYears < SupportingAgentDosing.adultAgeYears {
            guard let heightValue = heightCm, heightValue.isFinite, (20...250).contains(heightValue),
                let height = ExactAmount(measured: heightValue, places: 1)
            else { return nil }
            return (.bedsideSchwartz, schwartzConstant * height / scr)
        }
        guard let weight = AnakinraDosing.validatedWeight(weightKg) else { return nil }
        var value = cockcroftGault(age: Int(ageYears.rounded(.down)), weight: weight, creatinine: scr)
        if sex != .male { value = value * femaleFactor }
        return (.cockcroftGault, value)
    }

    static func make(
        _ method: CreatinineClearanceEstimate.Method,
        value: ExactAmount,
        unit: String,
        flags: [DosingFlag],
        steps: [DoseStep]
    ) -> CreatinineClearanceEstimate {
        let rounded = value.roundedHalfUp(places: 1)
        let below = value < severeImpairmentMLPerMin
        var flags = flags
        if below {
            flags.append(
                DosingFlag(
                    .renal,
                    .alert,
                    values: [
                        DosingValue("creatinineClearance", rounded.decimalText(places: 1)), DosingValue("unit", unit),
                        DosingValue("method", method.rawValue),
                    ],
                    source: "Kineret label",
                    message:
                        "Estimated creatinine clearance \(rounded.decimalText(places: 1)) \(unit) < 30: the label says consider every-other-day dosing; no automatic change (acute setting, creatinine may not be at steady state)."
                )
            )
        }
        return CreatinineClearanceEstimate(
            method: method,
            value: value,
            rounded: rounded,
            unit: unit,
            isBelow30: below,
            flags: flags,
            steps: steps
        )
    }

    static func missing(_ code: DosingFlag.Code, _ message: String) -> DosingFlag {
        DosingFlag(code, .alert, source: "clinical-spec A9", message: message)
    }
}
