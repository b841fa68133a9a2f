// Reason codes, rule ids and flags of the grading rules (clinical-spec A1–A4, Part B §3–§6).

extension ReasonCode {
    // CRS (A2)
    package static let fever: ReasonCode = "fever"
    package static let noFever: ReasonCode = "no-fever"
    package static let feverUnknown: ReasonCode = "fever-unknown"
    package static let feverWaived: ReasonCode = "fever-waived"
    package static let indeterminateFeverMasked: ReasonCode = "indeterminate-fever-masked"
    package static let feverBeforeInfusion: ReasonCode = "fever-before-infusion"
    package static let crsResolved: ReasonCode = "crs-resolved"
    package static let normotension: ReasonCode = "normotension"
    package static let bloodPressureUnknown: ReasonCode = "blood-pressure-unknown"
    package static let hypotension: ReasonCode = "hypotension"
    package static let hypotensionMAP: ReasonCode = "hypotension-map"
    package static let vasopressor: ReasonCode = "vasopressor"
    package static let vasopressinOnly: ReasonCode = "vasopressin-only"
    package static let multipleVasopressors: ReasonCode = "multiple-vasopressors"
    package static let inotropeNotCounted: ReasonCode = "inotrope-not-counted"
    package static let roomAir: ReasonCode = "room-air"
    package static let oxygenUnknown: ReasonCode = "oxygen-unknown"
    package static let lowFlowOxygen: ReasonCode = "low-flow-oxygen"
    package static let highFlowOxygen: ReasonCode = "high-flow-oxygen"
    package static let maskOxygen: ReasonCode = "mask-oxygen"
    package static let positivePressure: ReasonCode = "positive-pressure"
    package static let deviceFlowConflict: ReasonCode = "device-flow-conflict"
    package static let baselineOxygen: ReasonCode = "baseline-oxygen"
    package static let hypotensionWithoutFever: ReasonCode = "hypotension-without-fever"
    package static let hypoxiaWithoutFever: ReasonCode = "hypoxia-without-fever"

    // ICANS (A3)
    package static let iceScore: ReasonCode = "ice-score"
    package static let capdScore: ReasonCode = "capd-score"
    package static let unableToAssessUnarousable: ReasonCode = "unable-to-assess-unarousable"
    package static let consciousness: ReasonCode = "consciousness"
    package static let seizure: ReasonCode = "seizure"
    package static let motorWeakness: ReasonCode = "motor-weakness"
    package static let cerebralEdema: ReasonCode = "cerebral-edema"
    package static let raisedIntracranialPressure: ReasonCode = "raised-intracranial-pressure"
    package static let age12Boundary: ReasonCode = "age-12-boundary"
    package static let instrumentAgeMismatch: ReasonCode = "instrument-age-mismatch"
    package static let notAssessableSedated: ReasonCode = "not-assessable-sedated"
    package static let developmentalDelay: ReasonCode = "developmental-delay"
    package static let neuroUnknown: ReasonCode = "neuro-unknown"

    // IEC-HS and carHLH (A4)
    package static let ferritinAbove2xULN: ReasonCode = "ferritin-above-2x-uln"
    package static let ferritinAbove2xBaseline: ReasonCode = "ferritin-above-2x-baseline"
    package static let ferritinRapidlyRising: ReasonCode = "ferritin-rapidly-rising"
    package static let ferritinNotMet: ReasonCode = "ferritin-not-met"
    package static let timingCRSResolved: ReasonCode = "timing-crs-resolved"
    package static let timingCRSResolving: ReasonCode = "timing-crs-resolving"
    package static let timingWorseningAfterImprovement: ReasonCode = "timing-worsening-after-improvement"
    package static let timingNotMet: ReasonCode = "timing-not-met"
    package static let transaminasesAbove5xULN: ReasonCode = "transaminases-above-5x-uln"
    package static let hypofibrinogenemia: ReasonCode = "hypofibrinogenemia"
    package static let hemophagocytosis: ReasonCode = "hemophagocytosis"
    package static let cytopenia: ReasonCode = "cytopenia"
    package static let ldhAboveULN: ReasonCode = "ldh-above-uln"
    package static let hyperbilirubinemia: ReasonCode = "hyperbilirubinemia"
    package static let coagulopathy: ReasonCode = "coagulopathy"
    package static let splenomegaly: ReasonCode = "splenomegaly"
    package static let hypertriglyceridemia: ReasonCode = "hypertriglyceridemia"
    package static let noOftenPresentFeature: ReasonCode = "no-often-present-feature"
    package static let ferritinAbove10000DuringCRS: ReasonCode = "ferritin-above-10000-during-crs"
    package static let liverToxicityGrade3: ReasonCode = "liver-toxicity-grade3"
    package static let renalToxicityGrade3: ReasonCode = "renal-toxicity-grade3"
    package static let pulmonaryEdemaGrade3: ReasonCode = "pulmonary-edema-grade3"
    package static let fewerThanTwoOrganCriteria: ReasonCode = "fewer-than-two-organ-criteria"
    package static let iecHsPresentNoTherapy: ReasonCode = "iec-hs-present-no-directed-therapy"
    package static let iecHsDirectedTherapy: ReasonCode = "iec-hs-directed-therapy"
    package static let organSupport: ReasonCode = "organ-support"
    package static let positivePressureOrDialysis: ReasonCode = "positive-pressure-or-dialysis"
}

extension RuleID {
    package static let crsFever: RuleID = "R-CRS-1"
    package static let crsFeverMasking: RuleID = "R-CRS-2"
    package static let crsWorstDomain: RuleID = "R-CRS-3"
    package static let crsVasopressors: RuleID = "R-CRS-4"
    package static let crsOxygen: RuleID = "R-CRS-5"
    package static let crsHypotension: RuleID = "R-CRS-6"
    package static let crsNoFever: RuleID = "R-CRS-8"
    package static let crsIndeterminate: RuleID = "R-CRS-9"
    package static let episode: RuleID = "A1-EPISODE"
    package static let freshness: RuleID = "A1-FRESHNESS"
    package static let adultMAP: RuleID = "A2-MAP"
    package static let baselineOxygen: RuleID = "A2-BASELINE-OXYGEN"
    package static let deviceFlow: RuleID = "A2-DEVICE-FLOW"
    package static let inotropes: RuleID = "A2-INOTROPES"
    package static let icansDomains: RuleID = "R-ICANS-1"
    package static let icansICE0: RuleID = "R-ICANS-2"
    package static let icansConsciousness: RuleID = "R-ICANS-3"
    package static let icansCAPD: RuleID = "R-ICANS-P1"
    package static let icansUnableCAPD: RuleID = "R-ICANS-P2"
    package static let icansInstrumentAge: RuleID = "R-ICANS-P3"
    package static let iecHsProvisional: RuleID = "R-IECHS-P"
    package static let iecHsGrade: RuleID = "A4-GRADE"
    package static let carHLH: RuleID = "R-CARHLH-1"
}

/// Flags an assessment carries (clinical-spec A2–A4), as a bit set. Encodes as an array of
/// kebab-case strings in declaration order.
package struct GradeFlags: OptionSet, Hashable, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fever is no longer required in this CRS episode (A2).
    package static let feverWaived = GradeFlags(rawValue: 1 << 0)
    /// Fever waived, neither hypotension nor hypoxia: grade 1 by convention (R-CRS-9).
    package static let indeterminateFeverMasked = GradeFlags(rawValue: 1 << 1)
    /// Vasopressin is the only vasopressor (R-CRS-4).
    package static let vasopressinOnly = GradeFlags(rawValue: 1 << 2)
    /// Oxygen device and flow disagree on low/high flow (R-CRS-5).
    package static let deviceFlowConflict = GradeFlags(rawValue: 1 << 3)
    /// Oxygen at or below the pre-infusion need was not counted (A2).
    package static let baselineOxygenExcluded = GradeFlags(rawValue: 1 << 4)
    /// An inotrope is running and is not counted as a vasopressor (A2, policy).
    package static let inotropeNotCounted = GradeFlags(rawValue: 1 << 5)
    /// Hypotension without fever (CRS grade 0; consider other causes).
    package static let hypotensionWithoutFever = GradeFlags(rawValue: 1 << 6)
    /// Oxygen need without fever (CRS grade 0; consider other causes).
    package static let hypoxiaWithoutFever = GradeFlags(rawValue: 1 << 7)
    /// The patient is exactly 12 years 0 days old: ICE used (A3).
    package static let age12Boundary = GradeFlags(rawValue: 1 << 8)
    /// An ICANS instrument was used outside its age (A3).
    package static let instrumentAgeMismatch = GradeFlags(rawValue: 1 << 9)
    /// ICE/CAPD and consciousness not assessable because of sedation (A3).
    package static let notAssessableSedated = GradeFlags(rawValue: 1 << 10)
    /// Some input needed for the grade was missing or stale: the grade is what the available data
    /// supports (a lower bound), see the alerts.
    package static let incompleteData = GradeFlags(rawValue: 1 << 11)
    /// A fever before the infusion was not counted.
    package static let feverBeforeInfusion = GradeFlags(rawValue: 1 << 12)
    /// CAPD used at 12 years or older because of developmental delay.
    package static let developmentalDelay = GradeFlags(rawValue: 1 << 13)
    /// No infusion date: CRS onset taken from the first fever.
    package static let infusionUnknown = GradeFlags(rawValue: 1 << 14)
    /// Oxygen flow charted without its device: classified by the flow alone (R-CRS-5, policy).
    package static let oxygenDeviceUnknown = GradeFlags(rawValue: 1 << 15)
    /// Findings the grade needs are past their freshness window: no grade (§A13.12).
    package static let cannotGrade = GradeFlags(rawValue: 1 << 16)

    static let names: [(GradeFlags, String)] = [
        (.feverWaived, "fever-waived"),
        (.indeterminateFeverMasked, "indeterminate-fever-masked"),
        (.vasopressinOnly, "vasopressin-only"),
        (.deviceFlowConflict, "device-flow-conflict"),
        (.baselineOxygenExcluded, "baseline-oxygen-excluded"),
        (.inotropeNotCounted, "inotrope-not-counted"),
        (.hypotensionWithoutFever, "hypotension-without-fever"),
        (.hypoxiaWithoutFever, "hypoxia-without-fever"),
        (.age12Boundary, "age-12-boundary"),
        (.instrumentAgeMismatch, "instrument-age-mismatch"),
        (.notAssessableSedated, "not-assessable-sedated"),
        (.incompleteData, "incomplete-data"),
        (.feverBeforeInfusion, "fever-before-infusion"),
        (.developmentalDelay, "developmental-delay"),
        (.infusionUnknown, "infusion-unknown"),
        (.oxygenDeviceUnknown, "oxygen-device-unknown"),
        (.cannotGrade, "cannot-grade"),
    ]

    /// The kebab-case names of the flags set, in declaration order.
    package var names: [String] {
        Self.names.compactMap { contains($0.0) ? $0.1 : nil }
    }

    /// The flags with these kebab-case names (names no flag has are ignored).
    package init(names: some Sequence<String>) {
        self = []
        for name in names {
            if let flag = Self.names.first(where: { $0.1 == name }) { insert(flag.0) }
        }
    }
}
