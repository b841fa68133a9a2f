// What the IEC-HS and carHLH grading reads and decides (clinical-spec A4): lab comparisons,
// timing, the evaluation and the facts found.

/// A laboratory comparison: the reading used, its reference and whether the reference came from
/// the policy.
struct LabComparison: Hashable, Sendable {
    /// What the threshold is relative to.
    enum Reference: Hashable, Sendable {
        case fixed, upperLimit, baseline, rise
    }

    /// The source of a criterion (trivially copyable; see ``evidenceSource``).
    enum Source: Hashable, Sendable {
        case astct2023, cartox2018, ctcae5, hlh2004

        var evidenceSource: EvidenceSource {
            switch self {
            case .astct2023: .astct2023Provisional
            case .cartox2018: .cartox2018
            case .ctcae5: .ctcae5
            case .hlh2004: .hlh2004
            }
        }
    }

    var test: LabTest
    /// Index in the test's series.
    var index: Int
    var value: Double
    var threshold: Double
    var comparator: Comparator
    var kind: Reference
    var source: Source
    /// Set when the threshold came from a policy default.
    var thresholdFromPolicy: Bool
    /// A second observation the comparison used (baseline, previous value).
    var reference: Int?

    var thresholdField: FieldName {
        switch kind {
        case .fixed: .lab(test)
        case .upperLimit: .upperLimit(test)
        case .baseline: .baseline(test)
        case .rise: "ferritinRise"
        }
    }
}

/// Which part of the IEC-HS timing criterion holds.
enum IECHSTiming: Hashable, Sendable {
    case notMet
    /// The latest CRS episode has closed (onset after CRS resolution).
    case crsResolved(episode: Int)
    /// The CRS grade is below the episode's worst grade (resolving CRS).
    case crsResolving(episode: Int, current: Int, worst: Int)
    /// Worse again after an improvement that followed IL-6-directed therapy.
    case worseningAfterImprovement(il6: Int, gradeAtTherapy: Int, trough: Int, current: Int)
}

/// An IEC-HS evaluation at an instant: everything the explanation needs, trivially copyable.
struct IECHSEvaluation: Sendable {
    var time: Double
    var facts: IECHSFacts
    var present: Bool
    var grade: Int
    var status: EpisodeStatus?
    var maxGrade: Int
}

/// What the timeline says about IEC-HS / carHLH at one instant.
struct IECHSFacts: Sendable {
    var time: Double
    var ferritin: Reading
    var ferritinAboveULN: LabComparison?
    var ferritinAboveBaseline: LabComparison?
    var ferritinRising: LabComparison?
    /// Baseline ferritin from the patient event (index in ``TimelineIndex/baselineFerritin``).
    var patientBaselineFerritin: Int?
    var timing: IECHSTiming
    var transaminases: (alt: LabComparison?, ast: LabComparison?)
    var fibrinogen: LabComparison?
    var hemophagocytosisEvent: Int32?
    var cytopenias: (platelets: LabComparison?, anc: LabComparison?, hemoglobin: LabComparison?)
    var ldh: LabComparison?
    var bilirubin: LabComparison?
    var inr: LabComparison?
    var coagulopathyEvent: Int32?
    var splenomegalyEvent: Int32?
    var triglycerides: LabComparison?
    // CARTOX
    var peakFerritinDuringCRS: LabComparison?
    var liverGrade3: (alt: LabComparison?, ast: LabComparison?, bilirubin: LabComparison?)
    var renalGrade3: LabComparison?
    var oliguriaEvent: Int32?
    var pulmonaryEdemaEvent: Int32?
    // Treatment and organ support (A4 grade)
    /// Latest IEC-HS-directed administrations within their windows: (drug slot, index in series).
    var therapy: (slot: Int, index: Int)?
    var corticosteroid: Int?
    var vasopressors: UInt16
    var oxygen: Int?
    var oxygenTier: Int
    var dialysisEvent: Int32?

    var ferritinMet: Bool { ferritinAboveULN != nil || ferritinAboveBaseline != nil || ferritinRising != nil }
    var timingMet: Bool { timing != .notMet }
    var oftenPresentCount: Int {
        (transaminases.alt != nil || transaminases.ast != nil ? 1 : 0) + (fibrinogen != nil ? 1 : 0)
            + (hemophagocytosisEvent != nil ? 1 : 0)
            + (cytopenias.platelets != nil || cytopenias.anc != nil || cytopenias.hemoglobin != nil ? 1 : 0)
    }
    var cartoxOrganCount: Int {
        (liverGrade3.alt != nil || liverGrade3.ast != nil || liverGrade3.bilirubin != nil ? 1 : 0)
            + (renalGrade3 != nil || oliguriaEvent != nil ? 1 : 0) + (pulmonaryEdemaEvent != nil ? 1 : 0)
            + (hemophagocytosisEvent != nil ? 1 : 0)
    }

    func present(_ criteria: IECHSCriteriaSet) -> Bool {
        switch criteria {
        case .astct2023: ferritinMet && timingMet && oftenPresentCount >= 1
        case .cartox2018: peakFerritinDuringCRS != nil && cartoxOrganCount >= 2
        }
    }

    /// A4 grade when present: 1 no directed therapy; 2 on directed therapy; 3 organ support
    /// (vasopressor, high-flow or mask oxygen); 4 positive pressure or dialysis.
    func grade(_ criteria: IECHSCriteriaSet) -> Int {
        guard present(criteria) else { return 0 }
        if oxygenTier >= 4 || dialysisEvent != nil { return 4 }
        if vasopressors != 0 || oxygenTier == 3 { return 3 }
        if therapy != nil || corticosteroid != nil { return 2 }
        return 1
    }
}

extension FieldName {
    /// The upper limit of normal of a test, as a threshold name (`altULN` …).
    static func upperLimit(_ test: LabTest) -> FieldName {
        switch test {
        case .ferritin: "ferritinULN"
        case .alt: "altULN"
        case .ast: "astULN"
        case .bilirubin: "bilirubinULN"
        case .creatinine: "creatinineULN"
        case .ldh: "ldhULN"
        default: "upperLimitOfNormal"
        }
    }

    /// The pre-infusion baseline of a test, as a threshold name (`altBaseline` …).
    static func baseline(_ test: LabTest) -> FieldName {
        switch test {
        case .ferritin: "ferritinBaseline"
        case .alt: "altBaseline"
        case .ast: "astBaseline"
        case .bilirubin: "bilirubinBaseline"
        case .creatinine: "creatinineBaseline"
        default: "baseline"
        }
    }
}
