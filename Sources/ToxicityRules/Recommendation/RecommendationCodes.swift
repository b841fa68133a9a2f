// Codes, rule ids and sources of the recommendation rules (clinical-spec A5–A11). Dose-arithmetic
// flags keep their own codes (``DosingFlag/Code``) and map one-to-one onto these types: a flag's
// kind decides whether it becomes a reason, a warning or an alert, and its code is the same string.

extension ReasonCode {
    // A6 indications
    package static let refractoryGradeRose: ReasonCode = "refractory-grade-rose"
    package static let refractoryNotFallen: ReasonCode = "refractory-not-fallen"
    package static let refractoryTocilizumabMaximum: ReasonCode = "refractory-tocilizumab-maximum"
    package static let notYetRefractory: ReasonCode = "not-yet-refractory"
    package static let noActiveToxicity: ReasonCode = "no-active-toxicity"
    package static let belowProtocolTrigger: ReasonCode = "below-protocol-trigger"
    package static let corticosteroidGiven: ReasonCode = "corticosteroid-given"
    package static let corticosteroidOrdered: ReasonCode = "corticosteroid-ordered"
    package static let corticosteroidNotGiven: ReasonCode = "corticosteroid-not-given"
    package static let tocilizumabNotGiven: ReasonCode = "tocilizumab-not-given"
    package static let persistingAfterTocilizumab: ReasonCode = "persisting-after-tocilizumab"
    package static let notPersistingAfterTocilizumab: ReasonCode = "not-persisting-after-tocilizumab"
    package static let secondTocilizumabGiven: ReasonCode = "second-tocilizumab-given"
    package static let icansPresent: ReasonCode = "icans-present"
    package static let firstLine: ReasonCode = "first-line"
    package static let lineNotStated: ReasonCode = "line-not-stated"
    package static let withTocilizumab: ReasonCode = "with-tocilizumab"
    package static let prophylaxisDay: ReasonCode = "prophylaxis-day"
    package static let prophylaxisFevers: ReasonCode = "prophylaxis-fevers"
    package static let beforeProphylaxisDay: ReasonCode = "before-prophylaxis-day"
    package static let infusionDateRequired: ReasonCode = "infusion-date-required"
    package static let isolatedLateOnset: ReasonCode = "isolated-late-onset"
    package static let corticosteroidIfSevere: ReasonCode = "corticosteroid-recommended-if-severe"
    package static let antigenTargetOutsideProtocol: ReasonCode = "antigen-target-outside-protocol"
    package static let clinicianCodedFinding: ReasonCode = "clinician-coded-finding"
    package static let doseNotSpecifiedByProtocol: ReasonCode = "dose-not-specified-by-protocol"
    package static let courseCompleted: ReasonCode = "course-completed"
    /// An IEC-HS indication met by the other criteria set (carHLH/IEC-HS, A6).
    package static let iecHsByOtherCriteria: ReasonCode = "iec-hs-by-other-criteria"

    // A7 course
    package static let onTherapy: ReasonCode = "on-therapy"
    package static let reassessmentPending: ReasonCode = "reassessment-pending"
    package static let gradeNotFallen: ReasonCode = "grade-not-fallen"
    package static let gradeFallen: ReasonCode = "grade-fallen"
    package static let taperTriggerHeld: ReasonCode = "taper-trigger-held"
    package static let taperTriggerNotHeld: ReasonCode = "taper-trigger-not-held"
    package static let taperTriggerNotDocumented: ReasonCode = "taper-trigger-not-documented"
    package static let taperPrescriberDefined: ReasonCode = "taper-prescriber-defined"
    package static let lastAgentWeaned: ReasonCode = "last-agent-weaned"
    package static let recurrence: ReasonCode = "recurrence"
    package static let taperStep: ReasonCode = "taper-step"
    package static let taperComplete: ReasonCode = "taper-complete"
    package static let escalated: ReasonCode = "escalated"

    // A8 route
    package static let protocolRoute: ReasonCode = "protocol-route"
    package static let preferredRoute: ReasonCode = "preferred-route"
    package static let ivThrombocytopenia: ReasonCode = "iv-thrombocytopenia"
    package static let ivCoagulopathy: ReasonCode = "iv-coagulopathy"
    package static let ivSevereCRS: ReasonCode = "iv-severe-crs"
    package static let ivSevereICANS: ReasonCode = "iv-severe-icans"
    package static let ivChildInjectionPain: ReasonCode = "iv-child-injection-pain"
    package static let ivOffLabel: ReasonCode = "iv-off-label"
    package static let considerIVOffProtocol: ReasonCode = "consider-iv-off-protocol"

    // A9 safety
    package static let eColiHypersensitivity: ReasonCode = "e-coli-hypersensitivity"
    package static let tnfBlockade: ReasonCode = "tnf-blockade"
    package static let infectionRisk: ReasonCode = "infection-risk"
    package static let renal: ReasonCode = "renal"

    // A10 shortages
    package static let shortageModeOutsideUsualLine: ReasonCode = "shortage-mode-outside-usual-line"
    package static let stockLow: ReasonCode = "stock-low"
    /// An adult regimen (Table 2) applied to a patient under 18: its fixed doses are not weight-based.
    package static let adultRegimenInChild: ReasonCode = "adult-regimen-in-child"
    package static let stockShortage: ReasonCode = "stock-shortage"
    package static let ageBelowLabel: ReasonCode = "age-below-label"
    package static let offLabel: ReasonCode = "off-label"
    package static let unverifiedDose: ReasonCode = "unverified-dose"
    package static let thrombocytopeniaRisk: ReasonCode = "thrombocytopenia-risk"
    package static let disseminatedIntravascularCoagulation: ReasonCode = "dic-risk"
    package static let carTExpansionUnknown: ReasonCode = "car-t-expansion-unknown"
    package static let infectionProphylaxis: ReasonCode = "infection-prophylaxis"
    package static let contraindicated: ReasonCode = "contraindicated"
    package static let alreadyOnCorticosteroid: ReasonCode = "already-on-corticosteroid"
    package static let noEstablishedDose: ReasonCode = "no-established-dose"
    package static let iecHsFeatures: ReasonCode = "iec-hs-features"
    package static let crsActive: ReasonCode = "crs-active"
    package static let tocilizumabNeeded: ReasonCode = "tocilizumab-needed"
    package static let anakinraNeeded: ReasonCode = "anakinra-needed"
    package static let protocolRequired: ReasonCode = "protocol-required"
}

extension AlertCode {
    package static let protocolRequired: AlertCode = "protocol-required"
    package static let weightRequired: AlertCode = "weight-required"
    package static let lowVolumeMeasurement: AlertCode = "low-volume-measurement"
    package static let renal: AlertCode = "renal"
    package static let doseOverdue: AlertCode = "dose-overdue"
    package static let possibleDuplicateDose: AlertCode = "possible-duplicate-dose"
    package static let doseNotSpecifiedByProtocol: AlertCode = "dose-not-specified-by-protocol"
    package static let atProtocolCeiling: AlertCode = "at-protocol-ceiling"
    package static let frequencyRequired: AlertCode = "frequency-required"
    package static let roundingConfirmationRequired: AlertCode = "rounding-confirmation-required"
    package static let anakinraContraindicated: AlertCode = "anakinra-contraindicated"

    /// Messages of the recommendation alerts (``Alert/message`` falls back to these).
    static let recommendationMessages: [AlertCode: String] = [
        .protocolRequired: "No anakinra protocol for this patient: name one (--protocol, or the patient's protocol)",
        .weightRequired: "No usable measured weight (≤ 30 days, 0.3–350 kg): no dose is calculated",
        .lowVolumeMeasurement: "Weight < 10 kg: SC volumes are below 0.1 mL per 15 mg; measure with care",
        .renal: "Creatinine clearance < 30 mL/min: the label says consider every-other-day dosing; no automatic change",
        .doseOverdue: "The next anakinra dose is overdue (beyond 125 % of the interval; short half-life)",
        .possibleDuplicateDose: "Two anakinra administrations closer than 75 % of the interval: check for a duplicate",
        .doseNotSpecifiedByProtocol: "The protocol gives no dose for this indication: its CRS dosing is offered",
        .atProtocolCeiling: "Not improving, but the protocol has no headroom to escalate: hold the current dose",
        .frequencyRequired: "The protocol states no frequency: the prescriber must choose one (options computed)",
        .roundingConfirmationRequired: "No whole number of syringes within 10 %: confirm the 1 mg-rounded dose",
        .anakinraContraindicated: "Anakinra is contraindicated (E. coli-derived protein hypersensitivity)",
        "dose-below-1-mg": "The dose rounds to less than 1 mg: no dose is calculated; check the weight",
        "renal-override-required": "Q48H is only used by a clinician's renal override",
        "invalid-prescribed-amount": "The current dose is not usable: no dose is calculated",
        "unknown-regimen": "The regimen named does not exist in the protocol",
    ]
}

extension RuleID {
    package static let doseArithmetic: RuleID = "A5-DOSE"
    package static let indication: RuleID = "A6-INDICATION"
    package static let refractory: RuleID = "A6-REFRACTORY"
    package static let course: RuleID = "A7-COURSE"
    package static let escalation: RuleID = "A7-ESCALATION"
    package static let taper: RuleID = "A7-TAPER"
    package static let nextDose: RuleID = "A7-NEXT-DOSE"
    package static let route: RuleID = "A8-ROUTE"
    package static let safety: RuleID = "A9-SAFETY"
    package static let shortage: RuleID = "A10-SHORTAGE"
}

extension EvidenceSource {
    /// The seed letter's text (not one row of its tables).
    package static let seedText: EvidenceSource = "seed letter text"
    /// The anakinra (Kineret) label.
    package static let kineretLabel: EvidenceSource = "Kineret label"
    package static let specA6: EvidenceSource = "clinical-spec A6"
    package static let specA7: EvidenceSource = "clinical-spec A7"
    package static let specA8: EvidenceSource = "clinical-spec A8"
    package static let specA9: EvidenceSource = "clinical-spec A9"
    package static let specA10: EvidenceSource = "clinical-spec A10"
    package static let caseSeries: EvidenceSource = "case series"
}

extension FieldName {
    package static let icansGrade: FieldName = "icansGrade"
    package static let iecHsGrade: FieldName = "iecHsGrade"
    package static let doseMg: FieldName = "doseMg"
    package static let dailyMg: FieldName = "dailyMg"
    package static let allergies: FieldName = "allergies"
    package static let protocolField: FieldName = "protocol"
    package static let site: FieldName = "site"
    package static let administeredAt: FieldName = "administeredAt"
    package static let hoursSince: FieldName = "hoursSince"
    package static let creatinineClearance: FieldName = "creatinineClearance"
    package static let heightCm: FieldName = "heightCm"
    package static let tocilizumabDoses: FieldName = "tocilizumabDoses"
    package static let feverCount: FieldName = "feverCount"
}

extension DosingFlag {
    /// The shared-vocabulary form of this flag's code.
    package var reasonCode: ReasonCode { ReasonCode(rawValue: code.rawValue) }
    package var alertCode: AlertCode { AlertCode(rawValue: code.rawValue) }
}
