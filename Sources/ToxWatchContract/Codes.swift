package import ToxicityRules

/// What an observation code (LOINC or ToxWatch local) means to the adapters.
package enum ObservationKind: Sendable, Hashable {
    case vital(VitalField)
    case body(BodyMeasure)
    case lab(LabTest)
    case neuro(NeuroField)
    /// FHIR blood-pressure panel (85354-9): the values are in its components.
    case bloodPressurePanel
}

/// Fields of a `vitals` event an observation can fill.
package enum VitalField: String, Sendable, Hashable, CaseIterable {
    case temperature, systolic, diastolic, meanArterialPressure, heartRate, respiratoryRate, spo2
    case fio2, oxygenFlow, oxygenDevice

    var quantity: VitalQuantity? {
        switch self {
        case .temperature: .temperature
        case .systolic, .diastolic, .meanArterialPressure: .pressure
        case .heartRate, .respiratoryRate: .rate
        case .spo2: .saturation
        case .fio2: .fio2
        case .oxygenFlow: .oxygenFlow
        case .oxygenDevice: nil
        }
    }

    var range: PlausibleRange {
        switch self {
        case .temperature: .temperatureC
        case .systolic: .systolicBP
        case .diastolic: .diastolicBP
        case .meanArterialPressure: .meanArterialPressure
        case .heartRate: .heartRate
        case .respiratoryRate: .respiratoryRate
        case .spo2: .spo2
        case .fio2: .fio2
        case .oxygenFlow, .oxygenDevice: .oxygenFlow
        }
    }

    /// The JSON field name the value lands in.
    var jsonField: String {
        switch self {
        case .temperature: "temperatureC"
        case .systolic: "systolicBP"
        case .diastolic: "diastolicBP"
        case .meanArterialPressure: "meanArterialPressure"
        case .heartRate: "heartRate"
        case .respiratoryRate: "respiratoryRate"
        case .spo2: "spo2"
        case .fio2: "oxygen.fio2"
        case .oxygenFlow: "oxygen.flowLPerMin"
        case .oxygenDevice: "oxygen.device"
        }
    }
}

/// Body measurements that land in a `patient` event.
package enum BodyMeasure: String, Sendable, Hashable {
    case weight, height

    var quantity: VitalQuantity { self == .weight ? .weight : .height }
    var range: PlausibleRange { self == .weight ? .weightKg : .heightCm }
}

/// Fields of a `neuro` event; these have no verified LOINC and use ToxWatch local codes.
package enum NeuroField: String, Sendable, Hashable, CaseIterable {
    case iceScore = "ice-score"
    case capdScore = "capd-score"
    case consciousness
    case seizure
    case motorWeakness = "motor-weakness"
    case cerebralEdema = "cerebral-edema"
    case raisedIcpSign = "raised-icp-sign"
    case sedated
}

/// The code tables of the adapters (documented in Docs/HL7-FHIR.md).
package enum ObservationCodes {
    /// HL7 v2 coding system (OBX-3.3) of the ToxWatch local codes; HL7 reserves `99zzz` for local systems.
    package static let localHL7System = "99TXW"
    /// FHIR code system of the ToxWatch local observation codes.
    package static let localFHIRSystem = "https://toxwatch.example/fhir/CodeSystem/observation"

    /// LOINC codes mapped to events. Sources: clinical-spec.md Part B §10, plus hemoglobin
    /// 718-7, respiratory rate 9279-1, D-dimer FEU 48065-7 and INR 6301-6 (FHIR vital-signs
    /// profile and common laboratory use; see Docs/HL7-FHIR.md).
    package static let loinc: [String: ObservationKind] = [
        "8310-5": .vital(.temperature),
        "8480-6": .vital(.systolic),
        "8462-4": .vital(.diastolic),
        "8478-0": .vital(.meanArterialPressure),
        "8867-4": .vital(.heartRate),
        "9279-1": .vital(.respiratoryRate),
        "59408-5": .vital(.spo2),
        "2708-6": .vital(.spo2),
        "3150-0": .vital(.fio2),
        "3151-8": .vital(.oxygenFlow),
        "85354-9": .bloodPressurePanel,
        "29463-7": .body(.weight),
        "8302-2": .body(.height),
        "2276-4": .lab(.ferritin),
        "1988-5": .lab(.crp),
        "26881-3": .lab(.il6),
        "3255-7": .lab(.fibrinogen),
        "777-3": .lab(.platelets),
        "26515-7": .lab(.platelets),
        "751-8": .lab(.anc),
        "26499-4": .lab(.anc),
        "753-4": .lab(.anc),
        "718-7": .lab(.hemoglobin),
        "1742-6": .lab(.alt),
        "1920-8": .lab(.ast),
        "1975-2": .lab(.bilirubin),
        "2160-0": .lab(.creatinine),
        "14682-9": .lab(.creatinine),
        "2571-8": .lab(.triglycerides),
        "2532-0": .lab(.ldh),
        "14804-9": .lab(.ldh),
        "48065-7": .lab(.dDimer),
        "6301-6": .lab(.inr),
    ]

    /// ToxWatch local codes (same code in HL7 `99TXW` and the FHIR local code system).
    package static let local: [String: ObservationKind] = {
        var table: [String: ObservationKind] = ["o2-device": .vital(.oxygenDevice)]
        for field in NeuroField.allCases { table[field.rawValue] = .neuro(field) }
        return table
    }()

    /// Synonyms feeds use for oxygen devices (matched case-insensitively), besides the
    /// contract's own device names.
    package static let oxygenDeviceSynonyms: [String: OxygenDevice] = [
        "ra": .roomAir, "room air": .roomAir,
        "blowby": .blowBy, "blow by": .blowBy,
        "nc": .lowFlowNasalCannula, "nasal cannula": .lowFlowNasalCannula, "lfnc": .lowFlowNasalCannula,
        "low flow nasal cannula": .lowFlowNasalCannula,
        "hfnc": .highFlowNasalCannula, "high flow nasal cannula": .highFlowNasalCannula,
        "sfm": .simpleFaceMask, "face mask": .simpleFaceMask, "simple face mask": .simpleFaceMask,
        "simple mask": .simpleFaceMask,
        "nrb": .nonRebreather, "non rebreather": .nonRebreather, "nonrebreather": .nonRebreather,
        "non-rebreather mask": .nonRebreather, "non rebreather mask": .nonRebreather,
        "venturi": .venturiMask, "venturi mask": .venturiMask,
        "bpap": .bipap,
        "mv": .mechanicalVentilation, "ventilator": .mechanicalVentilation,
        "mechanical ventilation": .mechanicalVentilation,
    ]

    package static func oxygenDevice(named text: String) -> OxygenDevice? {
        let key = text.trimmingWhitespace().lowercased()
        return OxygenDevice(rawValue: key) ?? oxygenDeviceSynonyms[key]
    }

    /// RxNorm ingredient (and a few product) RXCUIs of drugs the rules know (clinical-spec.md
    /// Part B §10; anakinra 72435 and etanercept 214555 are marked unverified there).
    package static let rxnorm: [String: Drug] = [
        "72435": .anakinra,
        "612865": .tocilizumab,
        "1657974": .tocilizumab, "1657979": .tocilizumab, "1657981": .tocilizumab,
        "3264": .dexamethasone,
        "6902": .methylprednisolone,
        "1193326": .ruxolitinib,
        "214555": .etanercept,
        "7512": .norepinephrine,
        "3992": .epinephrine,
        "3628": .dopamine,
        "8163": .phenylephrine,
        "11149": .vasopressin,
        "3616": .dobutamine,
    ]

    /// Brand names that identify an ingredient in free text.
    static let brandNames: [String: Drug] = [
        "actemra": .tocilizumab, "tyenne": .tocilizumab, "kineret": .anakinra, "sylvant": .siltuximab,
        "decadron": .dexamethasone, "solu-medrol": .methylprednisolone, "solumedrol": .methylprednisolone,
        "jakafi": .ruxolitinib, "gamifant": .emapalumab, "enbrel": .etanercept, "remicade": .infliximab,
        "levophed": .norepinephrine, "adrenalin": .epinephrine, "vasostrict": .vasopressin,
        "tylenol": .acetaminophen, "paracetamol": .acetaminophen, "advil": .ibuprofen, "motrin": .ibuprofen,
        "solu-cortef": .hydrocortisone, "precedex": .dexmedetomidine, "ativan": .lorazepam,
        "noradrenaline": .norepinephrine, "adrenaline": .epinephrine,
    ]

    /// The drug a free-text name or description denotes: a known ingredient or brand named as a
    /// word anywhere in the text (`Tocilizumab 20 MG/ML Injectable Solution` → tocilizumab),
    /// else the whole text as ``Drug/other(_:)``.
    package static func drug(fromText text: String) -> Drug {
        let lowered = text.trimmingWhitespace().lowercased()
        let words = lowered.split { !($0.isLetter || $0 == "-") }.map(String.init)
        for word in words {
            if let known = Drug.known.first(where: { $0.name == word }) { return known }
            if let brand = brandNames[word] { return brand }
        }
        if lowered.contains("fibrinogen concentrate") { return .fibrinogenConcentrate }
        return Drug(name: lowered)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
