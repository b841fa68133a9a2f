package import Foundation

// The clinical events the engine reasons over: DESIGN.md §3 as Swift values.
//
// These types carry no wire format. `ToxWatchContract` decodes JSON, HL7 v2 and FHIR into them
// (validating units and ranges on the way in), so every value here is already in the unit its
// name states. The engine never sees a raw string where a unit or a code is expected.

/// A patient event: admission data, updated whenever the integration bus sends ADT.
package struct PatientEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    /// Date of birth at midnight UTC, when known; preferred over `ageYears` for age at T.
    package var birthDate: Date?
    /// Age in years at `occurredAt`, used when no birth date is known.
    package var ageYears: Double?
    package var sex: Sex?
    package var weightKg: Double?
    package var heightCm: Double?
    /// Allergy and intolerance codes, e.g. `e-coli-derived-protein`.
    package var allergies: [String]
    package var infusion: Infusion?
    /// Protocol id chosen for this patient (`childrens-national`, `st-jude` …).
    package var protocolId: String?
    /// The treating site, used to match pharmacy inventory.
    package var site: String?
    /// Ferritin at infusion in ng/mL, the IEC-HS baseline.
    package var baselineFerritin: Double?

    package init(
        eventId: String, patientId: String, occurredAt: Date, birthDate: Date? = nil, ageYears: Double? = nil,
        sex: Sex? = nil, weightKg: Double? = nil, heightCm: Double? = nil, allergies: [String] = [],
        infusion: Infusion? = nil, protocolId: String? = nil, site: String? = nil, baselineFerritin: Double? = nil
    ) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.birthDate = birthDate
        self.ageYears = ageYears
        self.sex = sex
        self.weightKg = weightKg
        self.heightCm = heightCm
        self.allergies = allergies
        self.infusion = infusion
        self.protocolId = protocolId
        self.site = site
        self.baselineFerritin = baselineFerritin
    }
}

/// Administrative sex, used only by creatinine-clearance estimates.
package enum Sex: String, Sendable, Hashable, CaseIterable {
    case female, male, other, unknown
}

/// The CAR T-cell infusion a course is measured from.
package struct Infusion: Sendable, Hashable {
    package var product: String
    /// Antigen target: CD19, CD22, BCMA, GD2 …
    package var target: String
    package var infusedAt: Date

    package init(product: String, target: String, infusedAt: Date) {
        self.product = product
        self.target = target
        self.infusedAt = infusedAt
    }
}

/// A set of vital signs taken together. Any field may be absent.
package struct VitalsEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    package var temperatureC: Double?
    package var systolicBP: Double?
    package var diastolicBP: Double?
    package var meanArterialPressure: Double?
    package var heartRate: Double?
    package var respiratoryRate: Double?
    package var spo2: Double?
    package var oxygen: OxygenSupport?

    package init(
        eventId: String, patientId: String, occurredAt: Date, temperatureC: Double? = nil,
        systolicBP: Double? = nil, diastolicBP: Double? = nil, meanArterialPressure: Double? = nil,
        heartRate: Double? = nil, respiratoryRate: Double? = nil, spo2: Double? = nil, oxygen: OxygenSupport? = nil
    ) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.temperatureC = temperatureC
        self.systolicBP = systolicBP
        self.diastolicBP = diastolicBP
        self.meanArterialPressure = meanArterialPressure
        self.heartRate = heartRate
        self.respiratoryRate = respiratoryRate
        self.spo2 = spo2
        self.oxygen = oxygen
    }
}

/// The oxygen a patient receives at the time of a vitals set.
package struct OxygenSupport: Sendable, Hashable {
    package var device: OxygenDevice
    package var flowLPerMin: Double?
    /// Fraction of inspired oxygen, 0.21–1.0.
    package var fio2: Double?

    package init(device: OxygenDevice, flowLPerMin: Double? = nil, fio2: Double? = nil) {
        self.device = device
        self.flowLPerMin = flowLPerMin
        self.fio2 = fio2
    }
}

/// Oxygen delivery devices of DESIGN.md §3.
package enum OxygenDevice: String, Sendable, Hashable, CaseIterable {
    case roomAir = "room-air"
    case blowBy = "blow-by"
    case lowFlowNasalCannula = "low-flow-nasal-cannula"
    case highFlowNasalCannula = "high-flow-nasal-cannula"
    case simpleFaceMask = "simple-face-mask"
    case nonRebreather = "non-rebreather"
    case venturiMask = "venturi-mask"
    case cpap
    case bipap
    case mechanicalVentilation = "mechanical-ventilation"
    /// Supplemental oxygen charted as a flow without its device: classified by the flow.
    case unknown
}

/// A neurological assessment: ICE or CAPD and the other ICANS domains.
package struct NeuroEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    /// Immune effector cell encephalopathy score, 0–10.
    package var iceScore: Int?
    /// Cornell Assessment of Pediatric Delirium, 0–32.
    package var capdScore: Int?
    package var consciousness: Consciousness?
    package var seizure: Seizure?
    package var motorWeakness: MotorWeakness?
    package var cerebralEdema: CerebralEdema?
    package var raisedIcpSigns: [RaisedICPSign]
    /// The assessor reports the patient as sedated, so the instruments cannot be used.
    package var sedated: Bool?

    package init(
        eventId: String, patientId: String, occurredAt: Date, iceScore: Int? = nil, capdScore: Int? = nil,
        consciousness: Consciousness? = nil, seizure: Seizure? = nil, motorWeakness: MotorWeakness? = nil,
        cerebralEdema: CerebralEdema? = nil, raisedIcpSigns: [RaisedICPSign] = [], sedated: Bool? = nil
    ) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.iceScore = iceScore
        self.capdScore = capdScore
        self.consciousness = consciousness
        self.seizure = seizure
        self.motorWeakness = motorWeakness
        self.cerebralEdema = cerebralEdema
        self.raisedIcpSigns = raisedIcpSigns
        self.sedated = sedated
    }
}

/// Level of consciousness (ASTCT ICANS domain).
package enum Consciousness: String, Sendable, Hashable, CaseIterable {
    case awake
    case awakensSpontaneously = "awakens-spontaneously"
    case awakensToVoice = "awakens-to-voice"
    case awakensToTactile = "awakens-to-tactile"
    case unarousable
}

/// Seizure domain (ASTCT ICANS).
package enum Seizure: String, Sendable, Hashable, CaseIterable {
    case none
    case focalOrGeneralizedResolving = "focal-or-generalized-resolving"
    case nonconvulsiveEEGResolving = "nonconvulsive-eeg-resolving"
    case prolongedOrRepetitive = "prolonged-or-repetitive"
}

/// Motor domain (ASTCT ICANS); tremor and myoclonus are deliberately absent: they never count.
package enum MotorWeakness: String, Sendable, Hashable, CaseIterable {
    case none
    case deepFocal = "deep-focal"
}

/// Cerebral edema on neuroimaging (ASTCT ICANS).
package enum CerebralEdema: String, Sendable, Hashable, CaseIterable {
    case none, focal, diffuse
}

/// Clinical signs of raised intracranial pressure (each is ICANS grade 4).
package enum RaisedICPSign: String, Sendable, Hashable, CaseIterable {
    case posturing
    case cnVIPalsy = "cn-vi-palsy"
    case papilledema
    case cushingsTriad = "cushings-triad"
}

/// A laboratory result, already converted to the canonical unit of its test.
package struct LabEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    package var test: LabTest
    package var loinc: String?
    /// The value in ``LabTest/canonicalUnit``.
    package var value: Double
    /// Upper limit of normal in the canonical unit, when the laboratory reports one.
    package var upperLimitOfNormal: Double?

    package init(
        eventId: String, patientId: String, occurredAt: Date, test: LabTest, loinc: String? = nil, value: Double,
        upperLimitOfNormal: Double? = nil
    ) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.test = test
        self.loinc = loinc
        self.value = value
        self.upperLimitOfNormal = upperLimitOfNormal
    }
}

/// Laboratory tests the engine uses, with the unit every value is held in.
package enum LabTest: String, Sendable, Hashable, CaseIterable {
    case ferritin, crp, il6, fibrinogen, platelets, anc, hemoglobin, alt, ast, bilirubin, creatinine
    case creatinineClearance = "creatinine-clearance"
    case triglycerides, ldh
    case dDimer = "d-dimer"
    /// International normalised ratio (coagulopathy, route rule A8); an addition to DESIGN.md §3.
    case inr

    /// The unit values of this test are held in.
    package var canonicalUnit: String {
        switch self {
        case .ferritin: "ng/mL"
        case .crp: "mg/L"
        case .il6: "pg/mL"
        case .fibrinogen: "mg/dL"
        case .platelets, .anc: "10*3/uL"
        case .hemoglobin: "g/dL"
        case .alt, .ast, .ldh: "U/L"
        case .bilirubin, .creatinine, .triglycerides: "mg/dL"
        case .creatinineClearance: "mL/min"
        case .dDimer: "mg/L FEU"
        case .inr: "1"
        }
    }
}

/// A clinician-coded finding that no vital sign or laboratory value carries: hemophagocytosis
/// on biopsy, grade ≥ 3 organ toxicities, dialysis. Travels on the labs topic as type `finding`
/// (an addition to DESIGN.md §3).
package struct FindingEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    package var finding: ClinicalFinding
    /// `false` records that a finding previously reported is no longer present.
    package var present: Bool

    package init(eventId: String, patientId: String, occurredAt: Date, finding: ClinicalFinding, present: Bool = true) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.finding = finding
        self.present = present
    }
}

/// Clinician-coded findings used by IEC-HS, carHLH, ICANS and protocol indications.
package enum ClinicalFinding: String, Sendable, Hashable, CaseIterable {
    case hemophagocytosis
    case splenomegaly
    /// Clinician-assessed coagulopathy (route rule A8, IEC-HS).
    case coagulopathy
    /// CTCAE grade ≥ 3 pulmonary edema (CARTOX carHLH criterion).
    case pulmonaryEdemaGrade3 = "pulmonary-edema-grade3"
    /// CTCAE grade ≥ 3 oliguria (CARTOX carHLH criterion).
    case oliguriaGrade3 = "oliguria-grade3"
    /// Renal replacement therapy (IEC-HS grade 4).
    case dialysis
    /// CHOP's indication after CD22 CAR T-cells.
    case prolongedRefractoryThrombocytopenia = "prolonged-refractory-thrombocytopenia"
    /// Developmental delay: CAPD is the ICANS instrument regardless of age.
    case developmentalDelay = "developmental-delay"
    /// Active infection (a safety warning for immunosuppression).
    case activeInfection = "active-infection"
}

/// A medication order, administration or infusion change.
package struct MedicationEvent: Sendable, Hashable {
    package var eventId: String
    package var patientId: String
    package var occurredAt: Date
    package var drug: Drug
    package var rxnorm: String?
    package var action: MedicationAction
    package var doseMg: Double?
    package var route: Route?
    /// Infusion rate as charted (unit as the feed sends it); informational.
    package var rate: Double?

    package init(
        eventId: String, patientId: String, occurredAt: Date, drug: Drug, rxnorm: String? = nil,
        action: MedicationAction, doseMg: Double? = nil, route: Route? = nil, rate: Double? = nil
    ) {
        self.eventId = eventId
        self.patientId = patientId
        self.occurredAt = occurredAt
        self.drug = drug
        self.rxnorm = rxnorm
        self.action = action
        self.doseMg = doseMg
        self.route = route
        self.rate = rate
    }
}

/// What happened to a medication.
package enum MedicationAction: String, Sendable, Hashable, CaseIterable {
    case administered
    case infusionStarted = "infusion-started"
    case infusionRateChanged = "infusion-rate-changed"
    case infusionStopped = "infusion-stopped"
    case ordered
    case discontinued
}

/// Administration routes.
package enum Route: String, Sendable, Hashable, CaseIterable {
    case iv = "IV"
    case sc = "SC"
    case po = "PO"
}

/// A drug, by ingredient. Drugs the rules know have their own case; any other ingredient is kept
/// as `.other` with its lower-cased name so that a feed carrying unrelated medications is valid.
package enum Drug: Sendable, Hashable {
    case tocilizumab, siltuximab, anakinra
    case dexamethasone, methylprednisolone, prednisolone, hydrocortisone
    case ruxolitinib, emapalumab
    case etanercept, infliximab, adalimumab, certolizumab, golimumab
    case norepinephrine, epinephrine, dopamine, phenylephrine, vasopressin
    case dobutamine, milrinone
    case acetaminophen, ibuprofen
    case midazolam, propofol, dexmedetomidine, lorazepam
    case cryoprecipitate
    case fibrinogenConcentrate
    case other(String)

    /// Every drug with a case of its own.
    package static let known: [Drug] = [
        .tocilizumab, .siltuximab, .anakinra, .dexamethasone, .methylprednisolone, .prednisolone, .hydrocortisone,
        .ruxolitinib, .emapalumab, .etanercept, .infliximab, .adalimumab, .certolizumab, .golimumab,
        .norepinephrine, .epinephrine, .dopamine, .phenylephrine, .vasopressin, .dobutamine, .milrinone,
        .acetaminophen, .ibuprofen, .midazolam, .propofol, .dexmedetomidine, .lorazepam, .cryoprecipitate,
        .fibrinogenConcentrate,
    ]

    /// Creates a drug from its wire name (`tocilizumab`, `fibrinogen-concentrate` …), case-insensitively.
    package init(name: String) {
        let lowered = name.lowercased()
        self = Drug.known.first { $0.name == lowered } ?? .other(lowered)
    }

    /// The wire name of the drug.
    package var name: String {
        switch self {
        case .tocilizumab: "tocilizumab"
        case .siltuximab: "siltuximab"
        case .anakinra: "anakinra"
        case .dexamethasone: "dexamethasone"
        case .methylprednisolone: "methylprednisolone"
        case .prednisolone: "prednisolone"
        case .hydrocortisone: "hydrocortisone"
        case .ruxolitinib: "ruxolitinib"
        case .emapalumab: "emapalumab"
        case .etanercept: "etanercept"
        case .infliximab: "infliximab"
        case .adalimumab: "adalimumab"
        case .certolizumab: "certolizumab"
        case .golimumab: "golimumab"
        case .norepinephrine: "norepinephrine"
        case .epinephrine: "epinephrine"
        case .dopamine: "dopamine"
        case .phenylephrine: "phenylephrine"
        case .vasopressin: "vasopressin"
        case .dobutamine: "dobutamine"
        case .milrinone: "milrinone"
        case .acetaminophen: "acetaminophen"
        case .ibuprofen: "ibuprofen"
        case .midazolam: "midazolam"
        case .propofol: "propofol"
        case .dexmedetomidine: "dexmedetomidine"
        case .lorazepam: "lorazepam"
        case .cryoprecipitate: "cryoprecipitate"
        case .fibrinogenConcentrate: "fibrinogen-concentrate"
        case .other(let name): name
        }
    }
}

/// Pharmacy stock of one drug at one site (key `site/drug` on `pharmacy.inventory.v1`).
package struct InventoryEvent: Sendable, Hashable {
    package var eventId: String
    package var occurredAt: Date
    package var site: String
    package var drug: Drug
    package var status: StockStatus
    package var unitsOnHand: Int?
    package var unitMg: Double?

    package init(
        eventId: String, occurredAt: Date, site: String, drug: Drug, status: StockStatus, unitsOnHand: Int? = nil,
        unitMg: Double? = nil
    ) {
        self.eventId = eventId
        self.occurredAt = occurredAt
        self.site = site
        self.drug = drug
        self.status = status
        self.unitsOnHand = unitsOnHand
        self.unitMg = unitMg
    }
}

/// Stock status of a drug at a site.
package enum StockStatus: String, Sendable, Hashable, CaseIterable {
    case available, low, shortage, unavailable
}

/// Any event of a patient's course.
package enum ClinicalEvent: Sendable, Hashable {
    case patient(PatientEvent)
    case vitals(VitalsEvent)
    case neuro(NeuroEvent)
    case lab(LabEvent)
    case finding(FindingEvent)
    case medication(MedicationEvent)

    package var eventId: String {
        switch self {
        case .patient(let e): e.eventId
        case .vitals(let e): e.eventId
        case .neuro(let e): e.eventId
        case .lab(let e): e.eventId
        case .finding(let e): e.eventId
        case .medication(let e): e.eventId
        }
    }

    package var patientId: String {
        switch self {
        case .patient(let e): e.patientId
        case .vitals(let e): e.patientId
        case .neuro(let e): e.patientId
        case .lab(let e): e.patientId
        case .finding(let e): e.patientId
        case .medication(let e): e.patientId
        }
    }

    package var occurredAt: Date {
        switch self {
        case .patient(let e): e.occurredAt
        case .vitals(let e): e.occurredAt
        case .neuro(let e): e.occurredAt
        case .lab(let e): e.occurredAt
        case .finding(let e): e.occurredAt
        case .medication(let e): e.occurredAt
        }
    }
}
