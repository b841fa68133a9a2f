import Foundation

// IEC-HS (Hines 2023, provisional R-IECHS-P) and carHLH (CARTOX 2018, R-CARHLH-1): clinical-spec
// A4 and Part B §6.

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

/// Drugs whose administration counts as IEC-HS-directed therapy (A4), besides corticosteroids.
private let iecHsTherapyDrugs: [Drug] = [
    .anakinra, .emapalumab, .ruxolitinib, .cryoprecipitate, .fibrinogenConcentrate,
]

private let hlh2004Triglycerides: Double = 265
private let iecHsFibrinogen: Double = 150
private let coagulopathyINR: Double = 1.5
private let cartoxFerritin: Double = 10_000

extension TimelineIndex {
    /// The latest value of a test, current within `window`.
    @inline(__always)
    func lab(_ test: LabTest, at t: Double, window: Double) -> (index: Int, value: LabValue)? {
        let series = labs[test.ordinal]
        guard !series.isEmpty, let i = series.reading(at: t, window: window).current else { return nil }
        return (i, series.values[i])
    }

    /// The latest value of a test at or before the infusion (the baseline).
    func baselineLab(_ test: LabTest, infusedAt: Double?) -> Int? {
        guard let infusedAt else { return nil }
        return labs[test.ordinal].latest(atOrBefore: infusedAt)
    }

    /// Whether the latest finding of a kind at or before `t` is present (findings do not go stale:
    /// a clinician retracts one with `present: false`).
    @inline(__always)
    func finding(_ finding: ClinicalFinding, at t: Double) -> Int32? {
        let series = findings[finding.ordinal]
        guard !series.isEmpty, let i = series.latest(atOrBefore: t), series.values[i] else { return nil }
        return series.events[i]
    }

    /// `value > multiple × ULN` (or `× baseline` when the baseline is above the ULN): CTCAE-style
    /// comparison for transaminases, bilirubin and creatinine.
    func aboveMultiple(
        _ test: LabTest, at t: Double, window: Double, multiple: Double, defaultULN: Double?,
        infusedAt: Double?, source: LabComparison.Source, baselineAllowed: Bool
    ) -> LabComparison? {
        guard let (i, lab) = self.lab(test, at: t, window: window) else { return nil }
        let uln = lab.upperLimitOfNormal ?? defaultULN
        let baseline = baselineAllowed ? baselineLab(test, infusedAt: infusedAt) : nil
        if let b = baseline, let uln, labs[test.ordinal].values[b].value > uln {
            let reference = labs[test.ordinal].values[b].value
            guard lab.value > multiple * reference else { return nil }
            return LabComparison(
                test: test, index: i, value: lab.value, threshold: multiple * reference, comparator: .greaterThan,
                kind: .baseline, source: source, thresholdFromPolicy: false, reference: b)
        }
        if let uln {
            guard lab.value > multiple * uln else { return nil }
            return LabComparison(
                test: test, index: i, value: lab.value, threshold: multiple * uln, comparator: .greaterThan,
                kind: .upperLimit, source: source, thresholdFromPolicy: lab.upperLimitOfNormal == nil, reference: nil)
        }
        if test == .creatinine, let b = baseline {
            let reference = labs[test.ordinal].values[b].value
            guard reference > 0, lab.value > multiple * reference else { return nil }
            return LabComparison(
                test: test, index: i, value: lab.value, threshold: multiple * reference, comparator: .greaterThan,
                kind: .baseline, source: source, thresholdFromPolicy: false, reference: b)
        }
        return nil
    }

    /// A new cytopenia (§A13.5): below the HLH-2004 threshold and lower than the last pre-infusion
    /// (post-lymphodepletion) value, or at least ``cytopeniaFall`` below the previous post-infusion
    /// value; with no pre-infusion value, lower than the previous post-infusion value. A first
    /// post-infusion count with nothing to compare it with is not new. The comparison's `reference`
    /// is the value it fell from.
    func cytopenia(_ test: LabTest, threshold: Double, at t: Double, window: Double, infusedAt: Double?)
        -> LabComparison?
    {
        guard let (i, lab) = self.lab(test, at: t, window: window), lab.value < threshold else { return nil }
        let series = labs[test.ordinal]
        let infused = infusedAt ?? -.infinity
        guard series.times[i] > infused else { return nil }
        let previous = i > 0 && series.times[i - 1] > infused ? i - 1 : nil
        let preInfusion = baselineLab(test, infusedAt: infusedAt)
        let reference: Int?
        if let b = preInfusion, lab.value < series.values[b].value {
            reference = b
        } else if let previous,
            preInfusion == nil
                ? lab.value < series.values[previous].value
                : lab.value <= (1 - Self.cytopeniaFall) * series.values[previous].value
        {
            reference = previous
        } else {
            reference = nil
        }
        guard let reference else { return nil }
        return LabComparison(
            test: test, index: i, value: lab.value, threshold: threshold, comparator: .lessThan,
            kind: .fixed, source: .hlh2004, thresholdFromPolicy: true, reference: reference)
    }

    /// The fall between post-infusion counts that makes a cytopenia new (§A13.5).
    static let cytopeniaFall = 0.25

    func iecHsTiming(at t: Double, crs: GradeCourse) -> IECHSTiming {
        guard let status = crs.status(at: t) else { return .notMet }
        if !status.isOpen { return .crsResolved(episode: status.index) }
        if let p = crs.pointIndex(atOrBefore: t) {
            let current = Int(crs.grades[p])
            if crs.completeness[p], current < status.maxGradeSoFar {
                return .crsResolving(episode: status.index, current: current, worst: status.maxGradeSoFar)
            }
            // Worse again after an improvement following IL-6-directed therapy.
            if !il6Directed.isEmpty, il6Directed.times[0] <= t,
                let atTherapy = crs.pointIndex(atOrBefore: il6Directed.times[0])
            {
                let gradeAtTherapy = Int(crs.grades[atTherapy])
                var trough = Int.max
                var q = atTherapy + 1
                while q <= p {
                    if crs.completeness[q] || crs.episodeOfPoint[q] < 0 { trough = min(trough, Int(crs.grades[q])) }
                    q += 1
                }
                if trough < gradeAtTherapy, current > trough, crs.completeness[p] {
                    return .worseningAfterImprovement(
                        il6: 0, gradeAtTherapy: gradeAtTherapy, trough: trough, current: current)
                }
            }
        }
        return .notMet
    }

    func iecHsFacts(at t: Double, policy: GradingPolicy, crs: GradeCourse, labWindow: Double) -> IECHSFacts {
        let infusedAt = self.infusedAt(at: t)?.time
        let limits = policy.referenceLimits

        // Ferritin (key feature): > 2 × ULN, > 2 × baseline, or rapidly rising above the ULN.
        let ferritinSeries = labs[LabTest.ferritin.ordinal]
        let ferritinReading = ferritinSeries.reading(at: t, window: labWindow)
        var aboveULN: LabComparison?
        var aboveBaseline: LabComparison?
        var rising: LabComparison?
        var patientBaseline: Int?
        if let i = ferritinReading.current {
            let value = ferritinSeries.values[i].value
            let uln = ferritinSeries.values[i].upperLimitOfNormal ?? limits.ferritinULN
            let ulnFromPolicy = ferritinSeries.values[i].upperLimitOfNormal == nil
            if value > 2 * uln {
                aboveULN = LabComparison(
                    test: .ferritin, index: i, value: value, threshold: 2 * uln, comparator: .greaterThan,
                    kind: .upperLimit, source: .astct2023, thresholdFromPolicy: ulnFromPolicy, reference: nil)
            }
            var baselineValue: Double?
            var baselineLabIndex: Int?
            if let b = baselineFerritin.latest(atOrBefore: t) {
                baselineValue = baselineFerritin.values[b]
                patientBaseline = b
            } else if let b = baselineLab(.ferritin, infusedAt: infusedAt), b != i {
                baselineValue = ferritinSeries.values[b].value
                baselineLabIndex = b
            }
            if let baselineValue, baselineValue > 0, value > 2 * baselineValue {
                aboveBaseline = LabComparison(
                    test: .ferritin, index: i, value: value, threshold: 2 * baselineValue, comparator: .greaterThan,
                    kind: .baseline, source: .astct2023, thresholdFromPolicy: false,
                    reference: baselineLabIndex)
            } else {
                patientBaseline = nil
            }
            // Rapidly rising: at least `ferritinRiseFactor` × the lowest value of the window, above the ULN.
            if value > uln {
                var lowest: Int?
                var j = i - 1
                while j >= 0, ferritinSeries.times[i] - ferritinSeries.times[j] <= policy.ferritinRiseWindow {
                    if lowest.map({ ferritinSeries.values[j].value < ferritinSeries.values[$0].value }) ?? true {
                        lowest = j
                    }
                    j -= 1
                }
                if let lowest, value >= policy.ferritinRiseFactor * ferritinSeries.values[lowest].value {
                    rising = LabComparison(
                        test: .ferritin, index: i, value: value,
                        threshold: policy.ferritinRiseFactor * ferritinSeries.values[lowest].value,
                        comparator: .greaterThanOrEqual, kind: .rise, source: .astct2023, thresholdFromPolicy: true,
                        reference: lowest)
                }
            }
        }

        // Often present.
        let alt = aboveMultiple(
            .alt, at: t, window: labWindow, multiple: 5, defaultULN: limits.altULN, infusedAt: infusedAt,
            source: .astct2023, baselineAllowed: true)
        let ast = aboveMultiple(
            .ast, at: t, window: labWindow, multiple: 5, defaultULN: limits.astULN, infusedAt: infusedAt,
            source: .astct2023, baselineAllowed: true)
        var fibrinogen: LabComparison?
        if let (i, lab) = self.lab(.fibrinogen, at: t, window: labWindow), lab.value < iecHsFibrinogen {
            fibrinogen = LabComparison(
                test: .fibrinogen, index: i, value: lab.value, threshold: iecHsFibrinogen, comparator: .lessThan,
                kind: .fixed, source: .astct2023, thresholdFromPolicy: false, reference: nil)
        }
        let platelets = cytopenia(
            .platelets, threshold: policy.cytopeniaPlatelets, at: t, window: labWindow, infusedAt: infusedAt)
        let anc = cytopenia(.anc, threshold: policy.cytopeniaANC, at: t, window: labWindow, infusedAt: infusedAt)
        let hemoglobin = cytopenia(
            .hemoglobin, threshold: policy.cytopeniaHemoglobin, at: t, window: labWindow, infusedAt: infusedAt)

        // May be present (reported, not required).
        var ldh: LabComparison?
        if let (i, lab) = self.lab(.ldh, at: t, window: labWindow), let uln = lab.upperLimitOfNormal, lab.value > uln {
            ldh = LabComparison(
                test: .ldh, index: i, value: lab.value, threshold: uln, comparator: .greaterThan,
                kind: .upperLimit, source: .astct2023, thresholdFromPolicy: false, reference: nil)
        }
        let bilirubin = aboveMultiple(
            .bilirubin, at: t, window: labWindow, multiple: 1, defaultULN: limits.bilirubinULN, infusedAt: nil,
            source: .astct2023, baselineAllowed: false)
        var inr: LabComparison?
        if let (i, lab) = self.lab(.inr, at: t, window: labWindow), lab.value > coagulopathyINR {
            inr = LabComparison(
                test: .inr, index: i, value: lab.value, threshold: coagulopathyINR, comparator: .greaterThan,
                kind: .fixed, source: .astct2023, thresholdFromPolicy: true, reference: nil)
        }
        var triglycerides: LabComparison?
        if let (i, lab) = self.lab(.triglycerides, at: t, window: labWindow), lab.value > hlh2004Triglycerides {
            triglycerides = LabComparison(
                test: .triglycerides, index: i, value: lab.value, threshold: hlh2004Triglycerides,
                comparator: .greaterThan, kind: .fixed, source: .hlh2004, thresholdFromPolicy: false,
                reference: nil)
        }

        // CARTOX: peak ferritin > 10,000 ng/mL sampled during the current or latest CRS episode.
        var peak: LabComparison?
        if policy.iecHsCriteria == .cartox2018, let status = crs.status(at: t) {
            let end = status.closedAt ?? t
            var j = ferritinSeries.countBefore(status.episode.start)
            let last = ferritinSeries.countAtOrBefore(end)
            while j < last {
                if ferritinSeries.times[j] < end || status.closedAt == nil {
                    let value = ferritinSeries.values[j].value
                    if value > cartoxFerritin, value > (peak?.value ?? -.infinity) {
                        peak = LabComparison(
                            test: .ferritin, index: j, value: value, threshold: cartoxFerritin,
                            comparator: .greaterThan, kind: .fixed, source: .cartox2018, thresholdFromPolicy: false,
                            reference: nil)
                    }
                }
                j += 1
            }
        }
        var liverALT: LabComparison?
        var liverAST: LabComparison?
        var liverBilirubin: LabComparison?
        var renal: LabComparison?
        if policy.iecHsCriteria == .cartox2018 {
            liverALT = aboveMultiple(
                .alt, at: t, window: labWindow, multiple: 5, defaultULN: limits.altULN, infusedAt: infusedAt,
                source: .ctcae5, baselineAllowed: true)
            liverAST = aboveMultiple(
                .ast, at: t, window: labWindow, multiple: 5, defaultULN: limits.astULN, infusedAt: infusedAt,
                source: .ctcae5, baselineAllowed: true)
            liverBilirubin = aboveMultiple(
                .bilirubin, at: t, window: labWindow, multiple: 3, defaultULN: limits.bilirubinULN,
                infusedAt: infusedAt, source: .ctcae5, baselineAllowed: true)
            renal = aboveMultiple(
                .creatinine, at: t, window: labWindow, multiple: 3, defaultULN: nil, infusedAt: infusedAt,
                source: .ctcae5, baselineAllowed: true)
        }

        // Directed therapy and organ support.
        var therapy: (slot: Int, index: Int)?
        for drug in iecHsTherapyDrugs {
            guard let slot = drug.slot else { continue }
            let series = given[slot]
            if !series.isEmpty, let i = series.latest(atOrBefore: t), t - series.times[i] <= policy.iecHsTherapyWindow {
                if therapy.map({ series.times[i] > given[$0.slot].times[$0.index] }) ?? true { therapy = (slot, i) }
            }
        }
        var corticosteroid: Int?
        if let i = corticosteroids.latest(atOrBefore: t),
            t - corticosteroids.times[i] <= policy.corticosteroidActiveWindow
        {
            corticosteroid = i
        }
        let oxygenReading = oxygen.reading(at: t, window: policy.vitalsFreshness).current
        return IECHSFacts(
            time: t,
            ferritin: ferritinReading,
            ferritinAboveULN: aboveULN,
            ferritinAboveBaseline: aboveBaseline,
            ferritinRising: rising,
            patientBaselineFerritin: patientBaseline,
            timing: iecHsTiming(at: t, crs: crs),
            transaminases: (alt, ast),
            fibrinogen: fibrinogen,
            hemophagocytosisEvent: finding(.hemophagocytosis, at: t),
            cytopenias: (platelets, anc, hemoglobin),
            ldh: ldh,
            bilirubin: bilirubin,
            inr: inr,
            coagulopathyEvent: finding(.coagulopathy, at: t),
            splenomegalyEvent: finding(.splenomegaly, at: t),
            triglycerides: triglycerides,
            peakFerritinDuringCRS: peak,
            liverGrade3: (liverALT, liverAST, liverBilirubin),
            renalGrade3: renal,
            oliguriaEvent: finding(.oliguriaGrade3, at: t),
            pulmonaryEdemaEvent: finding(.pulmonaryEdemaGrade3, at: t),
            therapy: therapy,
            corticosteroid: corticosteroid,
            vasopressors: activeInfusions(
                at: t, mask: TrackedInfusion.nonVasopressinVasopressors | TrackedInfusion.vasopressinBit),
            oxygen: oxygenReading,
            oxygenTier: oxygenReading.map { OxygenClassification(oxygen.values[$0]).tier } ?? 0,
            dialysisEvent: finding(.dialysis, at: t)
        )
    }

    func buildIECHSCourse(policy: GradingPolicy, crs: GradeCourse, startEvents: [String]) -> GradeCourse {
        var candidates = CandidateInstants()
        for series in labs {
            candidates.add(series)
            candidates.add(series, staleAfter: policy.labFreshness)
        }
        for series in findings { candidates.add(series) }
        candidates.add(oxygen)
        candidates.add(oxygen, staleAfter: policy.vitalsFreshness)
        for bit in 0..<5 { candidates.add(infusionChanges[bit]) }
        for drug in iecHsTherapyDrugs {
            guard let slot = drug.slot else { continue }
            candidates.add(given[slot])
            candidates.add(given[slot], staleAfter: policy.iecHsTherapyWindow)
        }
        candidates.add(corticosteroids)
        candidates.add(corticosteroids, staleAfter: policy.corticosteroidActiveWindow)
        candidates.add(contentsOf: crs.times)
        candidates.add(il6Directed)
        candidates.add(patients)
        let criteria = policy.iecHsCriteria
        return buildCourse(
            candidates: candidates.sorted(), policy: policy, startEvents: startEvents,
            grade: { t in
                let facts = iecHsFacts(at: t, policy: policy, crs: crs, labWindow: policy.labFreshness)
                let event = facts.ferritin.latest.map { labs[LabTest.ferritin.ordinal].events[$0] } ?? 0
                return (facts.grade(criteria), true, event)
            },
            resolved: { t in
                !iecHsFacts(at: t, policy: policy, crs: crs, labWindow: .infinity).present(criteria)
            }
        )
    }
}

// MARK: - Explanation

extension PatientTimeline {
    private func labObserved(_ comparison: LabComparison) -> ObservedValue {
        let series = index.labs[comparison.test.ordinal]
        return observed(
            FieldName.lab(comparison.test), value: comparison.value, unit: comparison.test.canonicalUnit,
            event: series.events[comparison.index], at: series.times[comparison.index])
    }

    private func labReason(_ code: ReasonCode, _ comparison: LabComparison, rule: RuleID) -> Reason {
        var obs: CompactList<ObservedValue> = [labObserved(comparison)]
        if let reference = comparison.reference {
            let series = index.labs[comparison.test.ordinal]
            obs.append(
                observed(
                    FieldName.lab(comparison.test), value: series.values[reference].value,
                    unit: comparison.test.canonicalUnit, event: series.events[reference], at: series.times[reference]))
        }
        return Reason(
            code: code, rule: rule, source: comparison.source.evidenceSource, observed: obs,
            thresholds: [
                Threshold(
                    field: comparison.thresholdField, comparator: comparison.comparator, value: comparison.threshold,
                    unit: comparison.test.canonicalUnit, source: comparison.thresholdFromPolicy ? .policy : nil)
            ])
    }

    private func findingReason(
        _ code: ReasonCode, _ finding: ClinicalFinding, event: Int32, rule: RuleID, source: EvidenceSource
    )
        -> Reason
    {
        Reason(
            code: code, rule: rule, source: source,
            observed: [
                observed(
                    .finding, category: finding.rawValue, event: event,
                    at: eventTimes[Int(event)])
            ])
    }

    /// The IEC-HS / carHLH assessment at `t`, without explanation (cheap, no allocation).
    func evaluateIECHS(at t: Double) -> IECHSEvaluation {
        let criteria = policy.iecHsCriteria
        let facts = index.iecHsFacts(at: t, policy: policy, crs: crsCourse, labWindow: policy.labFreshness)
        let grade = facts.grade(criteria)
        let status = iecHsCourse.status(at: t)
        let runningMax = status.map { $0.isOpen ? $0.maxGradeSoFar : $0.episode.maxGrade } ?? 0
        return IECHSEvaluation(
            time: t, facts: facts, present: facts.present(criteria), grade: grade, status: status,
            maxGrade: max(grade, runningMax))
    }

    /// The reasons and alerts of an IEC-HS evaluation.
    func explainIECHS(_ evaluation: IECHSEvaluation, alerts: inout AlertList) -> [Reason] {
        let policy = self.policy
        let criteria = policy.iecHsCriteria
        let t = evaluation.time
        let facts = evaluation.facts
        let present = evaluation.present
        let grade = evaluation.grade
        var reasons: [Reason] = []

        switch criteria {
        case .astct2023:
            let rule = RuleID.iecHsProvisional
            // Ferritin.
            if let c = facts.ferritinAboveULN { reasons.append(labReason(.ferritinAbove2xULN, c, rule: rule)) }
            if let c = facts.ferritinAboveBaseline {
                var reason = labReason(.ferritinAbove2xBaseline, c, rule: rule)
                if let b = facts.patientBaselineFerritin {
                    reason.observed.append(
                        observed(
                            .baselineFerritin, value: index.baselineFerritin.values[b], unit: "ng/mL",
                            event: index.baselineFerritin.events[b], at: index.baselineFerritin.times[b]))
                }
                reasons.append(reason)
            }
            if let c = facts.ferritinRising { reasons.append(labReason(.ferritinRapidlyRising, c, rule: rule)) }
            if !facts.ferritinMet {
                let series = index.labs[LabTest.ferritin.ordinal]
                reasons.append(
                    Reason(
                        code: .ferritinNotMet, rule: rule, source: .astct2023Provisional,
                        observed: facts.ferritin.current.map {
                            [
                                observed(
                                    "ferritin", value: series.values[$0].value, unit: "ng/mL",
                                    event: series.events[$0], at: series.times[$0])
                            ]
                        } ?? []))
            }
            // Timing.
            switch facts.timing {
            case .notMet:
                reasons.append(Reason(code: .timingNotMet, rule: rule, source: .astct2023Provisional))
            case .crsResolved(let e):
                let episode = crsCourse.episodes[e]
                reasons.append(
                    Reason(
                        code: .timingCRSResolved, rule: rule, source: .astct2023Provisional,
                        observed: [
                            ObservedValue(
                                field: .crsMaxGrade, value: Double(episode.maxGrade),
                                eventId: eventIds[Int(episode.startEvent)],
                                observedAt: Date(timeIntervalSinceReferenceDate: episode.start))
                        ]))
            case .crsResolving(let e, let current, let worst):
                let episode = crsCourse.episodes[e]
                reasons.append(
                    Reason(
                        code: .timingCRSResolving, rule: rule, source: .astct2023Provisional,
                        observed: [
                            ObservedValue(
                                field: .crsGrade, value: Double(current),
                                eventId: eventIds[Int(episode.startEvent)],
                                observedAt: Date(timeIntervalSinceReferenceDate: t)),
                            ObservedValue(
                                field: .crsMaxGrade, value: Double(worst),
                                eventId: eventIds[Int(episode.startEvent)],
                                observedAt: Date(timeIntervalSinceReferenceDate: episode.start)),
                        ]))
            case .worseningAfterImprovement(let il6, let gradeAtTherapy, let trough, let current):
                let administration = index.il6Directed.values[il6]
                reasons.append(
                    Reason(
                        code: .timingWorseningAfterImprovement, rule: rule, source: .astct2023Provisional,
                        observed: [
                            observed(
                                .drug, value: administration.doseMg, category: administration.drug.name, unit: "mg",
                                event: index.il6Directed.events[il6], at: index.il6Directed.times[il6]),
                            ObservedValue(
                                field: .crsGrade, value: Double(current),
                                eventId: events[Int(index.il6Directed.events[il6])].eventId,
                                observedAt: Date(timeIntervalSinceReferenceDate: t)),
                        ],
                        thresholds: [
                            Threshold(field: "crsGradeAtTherapy", comparator: .equal, value: Double(gradeAtTherapy)),
                            Threshold(field: "crsGradeTrough", comparator: .greaterThan, value: Double(trough)),
                        ]))
            }
            // Often-present features.
            if let c = facts.transaminases.alt { reasons.append(labReason(.transaminasesAbove5xULN, c, rule: rule)) }
            if let c = facts.transaminases.ast { reasons.append(labReason(.transaminasesAbove5xULN, c, rule: rule)) }
            if let c = facts.fibrinogen { reasons.append(labReason(.hypofibrinogenemia, c, rule: rule)) }
            if let e = facts.hemophagocytosisEvent {
                reasons.append(
                    findingReason(
                        .hemophagocytosis, .hemophagocytosis, event: e, rule: rule, source: .astct2023Provisional))
            }
            if let c = facts.cytopenias.platelets { reasons.append(labReason(.cytopenia, c, rule: rule)) }
            if let c = facts.cytopenias.anc { reasons.append(labReason(.cytopenia, c, rule: rule)) }
            if let c = facts.cytopenias.hemoglobin { reasons.append(labReason(.cytopenia, c, rule: rule)) }
            if facts.oftenPresentCount == 0 {
                reasons.append(Reason(code: .noOftenPresentFeature, rule: rule, source: .astct2023Provisional))
            }
            // May-be-present features (supporting only).
            if let c = facts.ldh { reasons.append(labReason(.ldhAboveULN, c, rule: rule)) }
            if let c = facts.bilirubin { reasons.append(labReason(.hyperbilirubinemia, c, rule: rule)) }
            if let c = facts.inr { reasons.append(labReason(.coagulopathy, c, rule: rule)) }
            if let e = facts.coagulopathyEvent {
                reasons.append(
                    findingReason(.coagulopathy, .coagulopathy, event: e, rule: rule, source: .astct2023Provisional))
            }
            if let e = facts.splenomegalyEvent {
                reasons.append(
                    findingReason(.splenomegaly, .splenomegaly, event: e, rule: rule, source: .astct2023Provisional))
            }
            if let c = facts.triglycerides { reasons.append(labReason(.hypertriglyceridemia, c, rule: rule)) }
            // Ferritin is what the rule needs first: ask for it once the timing makes IEC-HS possible.
            if facts.timingMet, facts.ferritin.current == nil {
                alerts.addReading(
                    facts.ferritin, field: "ferritin", series: index.labs[LabTest.ferritin.ordinal], kind: .labs, self)
            }
        case .cartox2018:
            let rule = RuleID.carHLH
            if let c = facts.peakFerritinDuringCRS {
                reasons.append(labReason(.ferritinAbove10000DuringCRS, c, rule: rule))
            } else {
                reasons.append(Reason(code: .ferritinNotMet, rule: rule, source: .cartox2018))
            }
            if let c = facts.liverGrade3.alt { reasons.append(labReason(.liverToxicityGrade3, c, rule: rule)) }
            if let c = facts.liverGrade3.ast { reasons.append(labReason(.liverToxicityGrade3, c, rule: rule)) }
            if let c = facts.liverGrade3.bilirubin { reasons.append(labReason(.liverToxicityGrade3, c, rule: rule)) }
            if let c = facts.renalGrade3 { reasons.append(labReason(.renalToxicityGrade3, c, rule: rule)) }
            if let e = facts.oliguriaEvent {
                reasons.append(
                    findingReason(.renalToxicityGrade3, .oliguriaGrade3, event: e, rule: rule, source: .cartox2018))
            }
            if let e = facts.pulmonaryEdemaEvent {
                reasons.append(
                    findingReason(
                        .pulmonaryEdemaGrade3, .pulmonaryEdemaGrade3, event: e, rule: rule, source: .cartox2018))
            }
            if let e = facts.hemophagocytosisEvent {
                reasons.append(
                    findingReason(.hemophagocytosis, .hemophagocytosis, event: e, rule: rule, source: .cartox2018))
            }
            if facts.cartoxOrganCount < 2 {
                reasons.append(
                    Reason(
                        code: .fewerThanTwoOrganCriteria, rule: rule, source: .cartox2018,
                        thresholds: [Threshold(field: "organCriteria", comparator: .greaterThanOrEqual, value: 2)]))
            }
            if crsCourse.status(at: t)?.isOpen == true, facts.ferritin.current == nil {
                alerts.addReading(
                    facts.ferritin, field: "ferritin", series: index.labs[LabTest.ferritin.ordinal], kind: .labs, self)
            }
        }

        // Grade (A4).
        if present {
            let gradeSource: EvidenceSource = .astct2023Provisional
            if grade == 4 {
                var obs = CompactList<ObservedValue>()
                if let i = facts.oxygen, facts.oxygenTier >= 4 {
                    obs.append(
                        observed(
                            .oxygenDevice, value: index.oxygen.values[i].flowLPerMin,
                            category: index.oxygen.values[i].device.rawValue, unit: "L/min",
                            event: index.oxygen.events[i], at: index.oxygen.times[i]))
                }
                if let e = facts.dialysisEvent {
                    obs.append(
                        observed(
                            .finding, category: ClinicalFinding.dialysis.rawValue, event: e,
                            at: eventTimes[Int(e)]))
                }
                reasons.append(
                    Reason(
                        code: .positivePressureOrDialysis, rule: .iecHsGrade, source: gradeSource, grade: 4,
                        observed: obs))
            } else if grade == 3 {
                var obs = CompactList<ObservedValue>()
                for bit in 0..<5 where facts.vasopressors & (1 << bit) != 0 {
                    let series = index.infusionChanges[bit]
                    if let i = series.latest(atOrBefore: t) {
                        obs.append(
                            observed(
                                .drug, category: TrackedInfusion.drugs[bit].name, event: series.events[i],
                                at: series.times[i]))
                    }
                }
                if let i = facts.oxygen, facts.oxygenTier == 3 {
                    obs.append(
                        observed(
                            .oxygenDevice, value: index.oxygen.values[i].flowLPerMin,
                            category: index.oxygen.values[i].device.rawValue, unit: "L/min",
                            event: index.oxygen.events[i], at: index.oxygen.times[i]))
                }
                reasons.append(
                    Reason(code: .organSupport, rule: .iecHsGrade, source: gradeSource, grade: 3, observed: obs))
            }
            if grade >= 2, facts.therapy != nil || facts.corticosteroid != nil {
                var obs = CompactList<ObservedValue>()
                if let therapy = facts.therapy {
                    let series = index.given[therapy.slot]
                    let administration = series.values[therapy.index]
                    obs.append(
                        observed(
                            .drug, value: administration.doseMg, category: administration.drug.name, unit: "mg",
                            event: series.events[therapy.index], at: series.times[therapy.index]))
                }
                if let i = facts.corticosteroid {
                    let administration = index.corticosteroids.values[i]
                    obs.append(
                        observed(
                            .drug, value: administration.doseMg, category: administration.drug.name, unit: "mg",
                            event: index.corticosteroids.events[i], at: index.corticosteroids.times[i]))
                }
                reasons.append(
                    Reason(
                        code: .iecHsDirectedTherapy, rule: .iecHsGrade, source: gradeSource, grade: 2, observed: obs,
                        thresholds: [
                            Threshold(
                                field: "hoursSinceAdministration", comparator: .lessThanOrEqual,
                                value: (facts.therapy != nil
                                    ? policy.iecHsTherapyWindow : policy.corticosteroidActiveWindow)
                                    / 3600, unit: "h", source: .policy)
                        ]))
            } else if grade == 1 {
                reasons.append(Reason(code: .iecHsPresentNoTherapy, rule: .iecHsGrade, source: gradeSource, grade: 1))
            }
            // Presence itself rests on the criteria above: mark the decisive feature reasons.
        }
        markDecisive(&reasons, grade: grade)
        return reasons
    }
}
