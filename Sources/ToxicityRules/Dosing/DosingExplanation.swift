// How dose results explain themselves: flags (reasons, warnings, alerts) with stable
// kebab-case codes, the caps applied and the arithmetic steps.
//
// These are deliberately small and flat (code + ordered values + source tag) so that they map
// one-to-one onto the engine's shared `Reason`/`Alert` types when those land.

/// One named value of a flag, kept in order for stable output (`weightKg` = `70`).
package struct DosingValue: Sendable, Hashable, CustomStringConvertible {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    package var description: String { "\(name)=\(value)" }
}

/// A reason, warning or alert produced by the dose arithmetic.
package struct DosingFlag: Sendable, Hashable, CustomStringConvertible {
    /// Stable machine codes (clinical-spec.md Part A names where it gives one).
    package enum Code: String, Sendable, Hashable, CaseIterable {
        /// Weight missing, stale or outside 0.3–350 kg: no dose (A5).
        case weightRequired = "weight-required"
        /// Weight < 10 kg: SC volume below 0.1 mL per 15 mg (A9).
        case lowVolumeMeasurement = "low-volume-measurement"
        /// The protocol states no frequency: the prescriber chooses; options computed (A5).
        case frequencyRequired = "frequency-required"
        /// No protocol cap of this kind, and the dose or day is above the seed's 100 mg / 400 mg (A5).
        case aboveCommonCap = "above-common-cap"
        /// No protocol mg/kg ceiling, and the day is above 10 mg/kg, the seed's highest weight-based dose.
        case aboveWeightBasedMaximum = "above-weight-based-maximum"
        /// St. Jude: rounded to a whole number of 100 mg syringes (A5).
        case roundedToWholeSyringe = "rounded-to-whole-syringe"
        /// St. Jude: no whole number of syringes within 10 %: confirm the 1 mg-rounded dose (A5).
        case roundingConfirmationRequired = "rounding-confirmation-required"
        /// Rounding half-up would have crossed a cap, so the dose was rounded down.
        case roundedDownToCap = "rounded-down-to-cap"
        /// A value used is a ToxWatch default (IMPL), not a published rule.
        case policyDefault = "policy-default"
        /// Which point of a dose range was used (less ill, severe, ceiling).
        case doseLevel = "dose-level"
        /// The prescriber's frequency is not one the protocol uses.
        case frequencyOutsideProtocol = "frequency-outside-protocol"
        /// The requested route is not one the protocol allows.
        case routeOutsideProtocol = "route-outside-protocol"
        /// A prescribed amount differs from the protocol's dose range.
        case doseOutsideProtocol = "dose-outside-protocol"
        /// Q48H from a clinician's renal override.
        case renalFrequencyOverride = "renal-frequency-override"
        /// Q48H was requested without a clinician's renal override: no dose.
        case renalOverrideRequired = "renal-override-required"
        /// The dose rounds to less than 1 mg (implausibly small weight): no dose.
        case doseBelowOneMg = "dose-below-1-mg"
        /// A prescribed amount that is not a usable dose (≤ 0 or absurdly large): no dose.
        case invalidPrescribedAmount = "invalid-prescribed-amount"
        /// The requested alternative regimen does not exist in the protocol: no dose.
        case unknownRegimen = "unknown-regimen"
        /// Escalation: the new dose.
        case escalated = "escalated"
        /// Escalation: the new dose is above 10 mg/kg/day, the seed's highest weight-based dose
        /// (e.g. CNH/Seattle moving a small child to the 100 mg per-dose cap).
        case escalationAboveSeedMaximum = "escalation-above-seed-maximum"
        /// Escalation: the protocol has no headroom (A7).
        case atProtocolCeiling = "at-protocol-ceiling"
        /// Taper: the next step.
        case taperStep = "taper-step"
        /// Taper: end of the taper, stop anakinra.
        case taperComplete = "taper-complete"
        /// Taper: a step that would not lower the daily total was skipped.
        case taperStepSkipped = "taper-step-skipped"
        /// Taper: a step's dose was held at the current dose so the taper never raises it.
        case taperStepClamped = "taper-step-clamped"
        /// The current dose (as given) is above a hard cap; the next dose is capped.
        case currentDoseAboveCap = "current-dose-above-cap"
        /// Age missing where it decides the formula (paediatric rule used).
        case ageRequired = "age-required"
        /// Height missing for the bedside Schwartz estimate.
        case heightRequired = "height-required"
        /// Serum creatinine missing or implausible.
        case creatinineRequired = "creatinine-required"
        /// Sex unknown for Cockcroft-Gault: the lower (female) estimate is used.
        case sexUnknown = "sex-unknown"
        /// Creatinine clearance < 30 mL/min: label's "consider every other day" (A9).
        case renal
    }

    /// How the flag is presented (A5 uses all three words).
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Explains a decision.
        case reason
        /// Needs attention, the result stands.
        case warning
        /// Needs action before the result can be used.
        case alert
    }

    package var code: Code
    package var kind: Kind
    package var values: [DosingValue]
    /// Source tag: `seed Table 1 row CNH`, `policy`, `Kineret label` …
    package var source: String
    /// One readable sentence for the rationale.
    package var message: String

    package init(_ code: Code, _ kind: Kind, values: [DosingValue] = [], source: String, message: String) {
        self.code = code
        self.kind = kind
        self.values = values
        self.source = source
        self.message = message
    }

    package var description: String { "\(kind.rawValue) \(code.rawValue): \(message) [\(source)]" }
}

/// A cap that changed the dose, with the numbers.
package struct AppliedCap: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case perDoseCap = "per-dose-cap"
        case dailyCap = "daily-cap"
        case mgPerKgDayCeiling = "mg-per-kg-day-ceiling"
    }

    package var kind: Kind
    /// The limit in mg (per dose for `per-dose-cap`, per day for the others).
    package var limitMg: ExactAmount
    /// The dose in mg before the cap.
    package var beforeMg: ExactAmount
    /// The dose in mg after the cap.
    package var afterMg: Int
    /// The cap as the protocol states it (`100 mg/dose`, `400 mg/day`, `10 mg/kg/day`).
    package var stated: String
    package var source: String

    package var description: String { "\(kind.rawValue) \(stated): \(beforeMg) mg → \(afterMg) mg" }
}

/// One arithmetic step, e.g. `2 mg/kg × 70 kg = 140 mg` then `per-dose cap 100 mg: 140 → 100 mg`.
package struct DoseStep: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case weightBased = "weight-based"
        case fixedAmount = "fixed-amount"
        case divided = "divided"
        case perDoseCap = "per-dose-cap"
        case dailyCap = "daily-cap"
        case mgPerKgDayCeiling = "mg-per-kg-day-ceiling"
        case rounding = "rounding"
        case capAfterRounding = "cap-after-rounding"
        case daily = "daily"
        case escalation = "escalation"
        case taper = "taper"
    }

    package var kind: Kind
    package var text: String

    package init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    package var description: String { text }
}
