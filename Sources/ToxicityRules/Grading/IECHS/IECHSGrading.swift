import Foundation

// IEC-HS (Hines 2023, provisional R-IECHS-P) and carHLH (CARTOX 2018, R-CARHLH-1): clinical-spec
// A4 and Part B §6.

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

    /// The IEC-HS course, built like ``buildCRSCourse(policy:startEvents:previous:resumeBefore:)``
    /// (`crs` is this timeline's CRS course).
    func buildIECHSCourse(
        policy: GradingPolicy, crs: GradeCourse, startEvents: [String], previous: GradeCourse? = nil,
        resumeBefore: Double
    ) -> GradeCourse {
        let start = CourseStart(previous: previous, startEvents: startEvents, resumeBefore: resumeBefore)
        var candidates = CandidateInstants(from: start.from)
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
            from: start, candidates: candidates.sorted(), policy: policy,
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
