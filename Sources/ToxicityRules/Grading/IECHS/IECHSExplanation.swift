import Foundation

// The IEC-HS and carHLH grade explained (clinical-spec A4, A11): the features found and missing,
// with their observed values.

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
