// The safety findings of a recommendation explained (clinical-spec A9): hypersensitivity, TNF
// blockade, infection risk, combination immunosuppression, renal impairment.

extension AssessmentContext {
    // MARK: Safety

    func safety(
        _ p: AnakinraProtocol,
        reasons: inout [Reason],
        warnings: inout [Reason],
        alerts: inout [Alert],
        rationale: inout [String],
        evidence: inout [EvidenceItem],
        dose: RecommendedDose?
    ) {
        let d = decision
        let s = d.safety
        let index = timeline.index
        if let event = s.hypersensitivityEvent {
            let observed = observedEvent(event, field: .allergies, category: "e-coli-derived-protein")
            if d.action == .hold {
                reasons.append(
                    Reason(
                        code: .eColiHypersensitivity,
                        rule: .safety,
                        source: .kineretLabel,
                        decisive: true,
                        observed: [observed]
                    )
                )
            }
            alerts.append(Alert(code: .anakinraContraindicated, fields: [.allergies], eventIds: [observed.eventId]))
            evidence.append(EvidenceItem(about: "safety", source: "Kineret label", status: .verified))
        }
        if let slot = s.tnfSlot, let i = s.tnfIndex {
            let observed = observedGiven(index.given[slot], i)
            reasons.append(
                Reason(
                    code: .tnfBlockade,
                    rule: .safety,
                    source: .kineretLabel,
                    decisive: d.primary == .tnfBlockade,
                    observed: [observed],
                    thresholds: [
                        Threshold(
                            field: .hoursSince,
                            comparator: .lessThanOrEqual,
                            value: dosing.tnfBlockerWindow / 3600,
                            unit: "h",
                            source: .policy
                        )
                    ]
                )
            )
            if d.action != .hold {
                rationale.append(
                    "A TNF blocker was given in the last 14 days: anakinra with it is not recommended (label; the seed discourages it)."
                )
            }
            evidence.append(EvidenceItem(about: "safety", source: "Kineret label; seed letter text", status: .verified))
        }
        let doses = dose != nil || d.action.dosesAnakinra
        guard doses else { return }
        // Infection risk.
        var infection = CompactList<ObservedValue>()
        if let i = s.lowANC { infection.append(observedLab(.anc, i)) }
        if let event = s.activeInfection {
            infection.append(observedEvent(event, field: .finding, category: ClinicalFinding.activeInfection.rawValue))
        }
        let combination = s.anakinraInWindow && s.combinationCount >= 2
        if combination {
            let from = time - dosing.infectionWindow
            let sources: [Series<Administration>] = [
                index.given[Drug.tocilizumab.slot ?? 0], index.corticosteroids, index.given[Drug.ruxolitinib.slot ?? 7],
                index.given[Drug.emapalumab.slot ?? 8],
            ]
            for series in sources {
                if !series.isEmpty, let k = series.latest(atOrBefore: time), series.times[k] >= from {
                    infection.append(observedGiven(series, k))
                }
            }
        }
        if !infection.isEmpty {
            var thresholds = CompactList<Threshold>()
            if s.lowANC != nil {
                thresholds.append(
                    Threshold(
                        field: .lab(.anc),
                        comparator: .lessThan,
                        value: dosing.severeNeutropeniaANC,
                        unit: LabTest.anc.canonicalUnit,
                        source: .policy
                    )
                )
            }
            if combination {
                thresholds.append(
                    Threshold(field: "immunosuppressants", comparator: .greaterThanOrEqual, value: 2, source: .policy)
                )
            }
            warnings.append(
                Reason(
                    code: .infectionRisk,
                    rule: .safety,
                    source: .specA9,
                    observed: infection,
                    thresholds: thresholds
                )
            )
            rationale.append(
                "Infection risk (neutropenia, active infection or combined immunosuppression): review antimicrobial prophylaxis."
            )
        }
        // Renal.
        if let renal = s.renal {
            var observed = CompactList<ObservedValue>()
            if let i = renal.reportedLab { observed.append(observedLab(.creatinineClearance, i)) }
            if let i = renal.creatinineLab { observed.append(observedLab(.creatinine, i)) }
            var ids = CompactList<String>()
            for value in observed { ids.append(value.eventId) }
            alerts.append(Alert(code: .renal, fields: [.creatinineClearance], eventIds: ids))
            let method = renal.method.map { " (\($0.rawValue))" } ?? " (reported)"
            rationale.append(
                "Creatinine clearance \(renal.value.decimalText(places: 1))\(method) < 30: the label says consider every-other-day dosing; no automatic change (acute setting)."
            )
            evidence.append(EvidenceItem(about: "safety", source: "Kineret label", status: .verified))
        }
    }
}
