package import ToxicityRules

/// The one-byte codes of an enum's values in the compact event form (``CompactEventCodec``): the
/// value at position `n` of ``values`` has code `n + 1` (0 is never a value's code).
///
/// Each table is written out case by case, so that codes do not move when a case is added to the
/// enum or its declaration is reordered: a new case goes at the end of its table, and a code once
/// given is never reused. Bytes written with one table are read back with the same table by every
/// later version.
package struct CompactCodeTable<Value: Equatable & Sendable>: Sendable {
    package let values: [Value]

    package init(_ values: [Value]) {
        self.values = values
    }

    /// The code of `value`. Every value of the enum has one (the codec's tests check each table
    /// against the enum's cases).
    func code(of value: Value) -> UInt8 {
        guard let index = values.firstIndex(of: value) else {
            preconditionFailure("\(value) has no compact code: add it at the end of its CompactCodeTable")
        }
        return UInt8(index + 1)
    }

    /// The value of `code`; a code no value has is a corrupt record.
    func value(code: UInt8) throws(CompactDecodingError) -> Value {
        guard code >= 1, Int(code) <= values.count else { throw .unknownCode(code) }
        return values[Int(code) - 1]
    }
}

/// The code tables of the compact event form. Append only: see ``CompactCodeTable``.
package enum CompactCodes {
    package static let sex = CompactCodeTable<Sex>([.female, .male, .other, .unknown])

    package static let oxygenDevice = CompactCodeTable<OxygenDevice>([
        .roomAir, .blowBy, .lowFlowNasalCannula, .highFlowNasalCannula, .simpleFaceMask, .nonRebreather,
        .venturiMask, .cpap, .bipap, .mechanicalVentilation, .unknown,
    ])

    package static let consciousness = CompactCodeTable<Consciousness>([
        .awake, .awakensSpontaneously, .awakensToVoice, .awakensToTactile, .unarousable,
    ])

    package static let seizure = CompactCodeTable<Seizure>([
        .none, .focalOrGeneralizedResolving, .nonconvulsiveEEGResolving, .prolongedOrRepetitive,
    ])

    package static let motorWeakness = CompactCodeTable<MotorWeakness>([.none, .deepFocal])

    package static let cerebralEdema = CompactCodeTable<CerebralEdema>([.none, .focal, .diffuse])

    package static let raisedICPSign = CompactCodeTable<RaisedICPSign>([
        .posturing, .cnVIPalsy, .papilledema, .cushingsTriad,
    ])

    package static let labTest = CompactCodeTable<LabTest>([
        .ferritin, .crp, .il6, .fibrinogen, .platelets, .anc, .hemoglobin, .alt, .ast, .bilirubin, .creatinine,
        .creatinineClearance, .triglycerides, .ldh, .dDimer, .inr,
    ])

    package static let clinicalFinding = CompactCodeTable<ClinicalFinding>([
        .hemophagocytosis, .splenomegaly, .coagulopathy, .pulmonaryEdemaGrade3, .oliguriaGrade3, .dialysis,
        .prolongedRefractoryThrombocytopenia, .developmentalDelay, .activeInfection,
    ])

    package static let medicationAction = CompactCodeTable<MedicationAction>([
        .administered, .infusionStarted, .infusionRateChanged, .infusionStopped, .ordered, .discontinued,
    ])

    package static let route = CompactCodeTable<Route>([.iv, .sc, .po])

    /// The drugs with a case of their own; any other drug (``Drug/other(_:)``) is written as code 0
    /// followed by its name.
    package static let drug = CompactCodeTable<Drug>([
        .tocilizumab, .siltuximab, .anakinra, .dexamethasone, .methylprednisolone, .prednisolone, .hydrocortisone,
        .ruxolitinib, .emapalumab, .etanercept, .infliximab, .adalimumab, .certolizumab, .golimumab,
        .norepinephrine, .epinephrine, .dopamine, .phenylephrine, .vasopressin, .dobutamine, .milrinone,
        .acetaminophen, .ibuprofen, .midazolam, .propofol, .dexmedetomidine, .lorazepam, .cryoprecipitate,
        .fibrinogenConcentrate,
    ])
}
