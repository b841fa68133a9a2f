// The route of a recommendation explained (clinical-spec A8): why IV, with the labs and findings
// behind each reason, and the SC-only protocol's warning.

extension AssessmentContext {
    // MARK: Route

    func routeReasons(_ p: AnakinraProtocol) -> [Reason] {
        let d = decision
        var reasons: [Reason] = []
        let allowsIV = p.routes.allowed.contains(.iv)
        let allowsSC = p.routes.allowed.contains(.sc)
        let routeSource = EvidenceSource(rawValue: p.sourceTag(p.routes.status, evidence: p.routes.evidence))
        if allowsIV, allowsSC {
            if d.routeReasons.isEmpty {
                reasons.append(Reason(code: .preferredRoute, rule: .route, source: routeSource))
            } else {
                reasons += ivReasons(includeChild: true)
            }
        } else {
            reasons.append(Reason(code: .protocolRoute, rule: .route, source: routeSource))
        }
        if d.route == .iv { reasons.append(Reason(code: .ivOffLabel, rule: .route, source: .kineretLabel)) }
        return reasons
    }

    func ivReasons(includeChild: Bool) -> [Reason] {
        let d = decision
        var reasons: [Reason] = []
        if d.routeReasons.contains(.thrombocytopenia), let i = d.routeEvidence.platelets {
            reasons.append(
                Reason(
                    code: .ivThrombocytopenia,
                    rule: .route,
                    source: .specA8,
                    observed: [observedLab(.platelets, i)],
                    thresholds: [
                        Threshold(
                            field: .lab(.platelets),
                            comparator: .lessThan,
                            value: dosing.ivPlateletsBelow,
                            unit: LabTest.platelets.canonicalUnit,
                            source: .policy
                        )
                    ]
                )
            )
        }
        if d.routeReasons.contains(.coagulopathy) {
            var observed = CompactList<ObservedValue>()
            var thresholds = CompactList<Threshold>()
            if let i = d.routeEvidence.fibrinogen {
                observed.append(observedLab(.fibrinogen, i))
                thresholds.append(
                    Threshold(
                        field: .lab(.fibrinogen),
                        comparator: .lessThan,
                        value: dosing.ivFibrinogenBelow,
                        unit: "mg/dL",
                        source: .policy
                    )
                )
            }
            if let i = d.routeEvidence.inr {
                observed.append(observedLab(.inr, i))
                thresholds.append(
                    Threshold(field: .lab(.inr), comparator: .greaterThan, value: dosing.ivINRAbove, source: .policy)
                )
            }
            if let event = d.routeEvidence.coagulopathyEvent {
                observed.append(observedEvent(event, field: .finding, category: ClinicalFinding.coagulopathy.rawValue))
            }
            reasons.append(
                Reason(code: .ivCoagulopathy, rule: .route, source: .specA8, observed: observed, thresholds: thresholds)
            )
        }
        if d.routeReasons.contains(.severeCRS) {
            reasons.append(
                Reason(
                    code: .ivSevereCRS,
                    rule: .route,
                    source: .specA8,
                    observed: CompactList([observedGrade(.crs)].compactMap { $0 }),
                    thresholds: [
                        Threshold(
                            field: .crsGrade,
                            comparator: .greaterThanOrEqual,
                            value: Double(dosing.ivGradeAtLeast)
                        )
                    ]
                )
            )
        }
        if d.routeReasons.contains(.severeICANS) {
            reasons.append(
                Reason(
                    code: .ivSevereICANS,
                    rule: .route,
                    source: .specA8,
                    observed: CompactList([observedGrade(.icans)].compactMap { $0 }),
                    thresholds: [
                        Threshold(
                            field: .icansGrade,
                            comparator: .greaterThanOrEqual,
                            value: Double(dosing.ivGradeAtLeast)
                        )
                    ]
                )
            )
        }
        if includeChild, d.routeReasons.contains(.childUnder12), let age = profile.age {
            reasons.append(
                Reason(
                    code: .ivChildInjectionPain,
                    rule: .route,
                    source: .specA8,
                    observed: [timeline.ageObserved(age, at: time)],
                    thresholds: [
                        Threshold(
                            field: .ageYears,
                            comparator: .lessThan,
                            value: Double(dosing.ivChildUnderYears),
                            unit: "years",
                            source: .policy
                        )
                    ]
                )
            )
        }
        return reasons
    }

    func considerIVWarning(_ p: AnakinraProtocol) -> Reason {
        var observed = CompactList<ObservedValue>()
        var thresholds = CompactList<Threshold>()
        for reason in ivReasons(includeChild: false) {
            for value in reason.observed { observed.append(value) }
            for threshold in reason.thresholds { thresholds.append(threshold) }
        }
        return Reason(
            code: .considerIVOffProtocol,
            rule: .route,
            source: .specA8,
            observed: observed,
            thresholds: thresholds
        )
    }
}
