import Foundation

// Builds the explained recommendation from an assessment's decision (clinical-spec A11): the
// decided dose's arithmetic and caps described, reasons with observed values, event ids
// and thresholds, warnings, alerts, rationale and evidence. Runs only for what an `Explainer` is
// asked to publish.

extension AssessmentContext {
    var weightKg: Double? { timeline.weightKg(profile) }

    // MARK: Observed values

    func observedWeight() -> ObservedValue? {
        guard let i = profile.weight else { return nil }
        let w = timeline.index.weights
        return timeline.observed(.weightKg, value: w.values[i], unit: "kg", event: w.events[i], at: w.times[i])
    }

    func observedLab(_ test: LabTest, _ i: Int) -> ObservedValue {
        let series = timeline.index.labs[test.ordinal]
        return timeline.observed(
            .lab(test),
            value: series.values[i].value,
            unit: test.canonicalUnit,
            event: series.events[i],
            at: series.times[i]
        )
    }

    func observedGiven(_ series: Series<Administration>, _ i: Int) -> ObservedValue {
        timeline.observed(
            .drug,
            value: series.values[i].doseMg,
            category: series.values[i].drug.name,
            unit: series.values[i].doseMg == nil ? nil : "mg",
            event: series.events[i],
            at: series.times[i]
        )
    }

    func observedEvent(_ position: Int32, field: FieldName, category: String?) -> ObservedValue {
        timeline.observed(field, category: category, event: position, at: timeline.eventTimes[Int(position)])
    }

    /// The grade of a toxicity now, cited with the event behind its decisive criterion.
    func observedGrade(_ toxicity: ToxicitySet) -> ObservedValue? {
        let grading = self.grading
        let field: FieldName
        let grade: Int?
        let reasons: [Reason]
        switch toxicity {
        case .icans:
            field = .icansGrade
            grade = grading.icans.grade
            reasons = grading.icans.reasons
        case .iecHs:
            field = .iecHsGrade
            grade = grading.iecHs.grade
            reasons = grading.iecHs.reasons
        default:
            field = .crsGrade
            grade = grading.crs.grade
            reasons = grading.crs.reasons
        }
        let source = reasons.first(where: \.decisive)?.observed.first ?? reasons.first?.observed.first
        guard let source, let grade else { return nil }  // no grade to cite while it cannot be graded (§A13.12)
        return ObservedValue(
            field: field,
            value: Double(grade),
            eventId: source.eventId,
            observedAt: source.observedAt
        )
    }

    func gradeField(_ toxicity: ToxicitySet) -> FieldName {
        switch toxicity {
        case .icans: .icansGrade
        case .iecHs: .iecHsGrade
        default: .crsGrade
        }
    }

    func toxicityName(_ toxicity: ToxicitySet) -> String { toxicity.names.joined(separator: "/") }

    // MARK: The recommendation

    func recommendationBody() -> RecommendationBody {
        guard let rules else { return noProtocolBody() }
        let p = rules.value
        let d = decision
        var reasons: [Reason] = []
        var warnings: [Reason] = []
        var alerts: [Alert] = []
        var rationale: [String] = []
        var evidence: [EvidenceItem] = []

        // The dose, as decided (a TNF hold still shows it, for a documented override).
        let computed = d.dose
        let dose = computed.dose

        rationale.append(actionSentence(p))
        rationale += cannotGradeSentences()
        reasons += actionReasons(p, evidence: &evidence)

        // Route (A8).
        if d.action.dosesAnakinra || d.action == .hold || dose != nil {
            reasons += routeReasons(p)
            evidence.append(
                EvidenceItem(
                    about: "route",
                    source: p.sourceTag(p.routes.status, evidence: p.routes.evidence),
                    status: p.routes.status
                )
            )
            if !d.routeReasons.isEmpty {
                evidence.append(EvidenceItem(about: "route", source: "clinical-spec A8", status: .policy))
            }
            if d.considerIVOffProtocol { warnings.append(considerIVWarning(p)) }
        }

        // Dose arithmetic.
        if dose != nil || !computed.flags.isEmpty {
            rationale += computed.steps
            for flag in computed.flags {
                switch flag.kind {
                case .reason: reasons.append(reason(flag))
                case .warning: warnings.append(reason(flag))
                case .alert: alerts.append(alert(flag))
                }
                if flag.kind != .reason || flag.code == .escalated || flag.code == .taperComplete {
                    rationale.append(flag.message)
                }
            }
            if let source = computed.source {
                evidence.append(EvidenceItem(about: "dose", source: source, status: p.dose.status))
            }
            if !computed.caps.isEmpty {
                evidence.append(
                    EvidenceItem(
                        about: "caps",
                        source: p.sourceTag(p.caps.status, evidence: p.caps.evidence),
                        status: p.caps.status
                    )
                )
            }
            if p.frequency.status == .policy {
                evidence.append(EvidenceItem(about: "frequency", source: "policy", status: .policy))
            }
        }
        let caps = computed.caps.map(capReason)

        // Course alerts (A7).
        if d.overdue { alerts.append(courseAlert(.doseOverdue)) }
        if d.duplicate { alerts.append(courseAlert(.possibleDuplicateDose)) }
        if d.atCeiling {
            alerts.append(Alert(code: .atProtocolCeiling, fields: [.doseMg]))
            rationale.append(
                "Not improving after the reassessment window, but \(p.shortName) has no headroom: hold the current dose."
            )
        }
        if d.doseNotSpecified {
            alerts.append(Alert(code: .doseNotSpecifiedByProtocol, fields: [.protocolField]))
            rationale.append("\(p.shortName) publishes no dose for this indication: its CRS dosing is offered.")
        }
        if d.weightMissing, d.plan != .none, !alerts.contains(where: { $0.code == .weightRequired }) {
            alerts.append(Alert(code: .weightRequired, fields: [.weightKg]))
        }

        // Safety (A9).
        safety(
            p,
            reasons: &reasons,
            warnings: &warnings,
            alerts: &alerts,
            rationale: &rationale,
            evidence: &evidence,
            dose: dose
        )

        courseSafety(p, dose: dose, reasons: &reasons, alerts: &alerts, rationale: &rationale)

        // Stock (A10).
        if d.stockLow, d.action.dosesAnakinra || d.action == .hold {
            warnings.append(
                Reason(code: .stockLow, rule: .shortage, source: .specA10, observed: stockObserved(.anakinra))
            )
            rationale.append("Anakinra stock is low at the patient's site.")
        }
        if d.antigenMismatch, let target = profile.antigenTarget, let i = d.indication?.index, i >= 0 {
            warnings.append(
                Reason(
                    code: .antigenTargetOutsideProtocol,
                    rule: .indication,
                    source: EvidenceSource(rawValue: p.indications[i].evidence ?? p.evidence)
                )
            )
            rationale.append(
                "\(p.shortName) states this indication for \(p.indications[i].antigenTargets.joined(separator: "/")) CAR T-cells; this patient received \(target)."
            )
        }

        if p.population == .adult, let age = profile.age?.age, age.completedYears < 18,
            dose != nil || d.action.dosesAnakinra
        {
            warnings.append(Reason(code: .adultRegimenInChild, rule: .indication, source: .policy))
            rationale.append(
                "\(p.shortName) is a regimen reported in adults (\(p.evidence)); this patient is \(age.completedYears) years old: check the dose against a paediatric protocol."
            )
        }

        if dose != nil || d.action.dosesAnakinra {
            rationale.append("Decision support only: to be verified by a clinician and a pharmacist.")
        }

        var ids = Set<String>()
        for reason in reasons + warnings + caps { for value in reason.observed { ids.insert(value.eventId) } }
        for alert in alerts { ids.formUnion(alert.eventIds) }
        return RecommendationBody(
            action: d.action,
            dose: dose,
            nextDoseDueAt: d.nextDoseDueAt.map { Date(timeIntervalSinceReferenceDate: $0) },
            caps: caps,
            rationale: rationale,
            reasons: reasons,
            warnings: warnings,
            alerts: merged(alerts),
            protocolId: p.id,
            evidence: unique(evidence),
            inputEventIds: ids.sorted()
        )
    }

    func noProtocolBody() -> RecommendationBody {
        RecommendationBody(
            action: .none,
            dose: nil,
            nextDoseDueAt: nil,
            caps: [],
            rationale: ["No anakinra protocol is named for this patient: no recommendation is made."],
            reasons: [Reason(code: .protocolRequired, rule: .indication, source: .specA6)],
            warnings: [],
            alerts: [Alert(code: .protocolRequired, fields: [.protocolField])],
            protocolId: nil,
            evidence: [],
            inputEventIds: []
        )
    }
}

extension ToxicitySet {
    /// The single toxicities in the set, in a fixed order.
    var members: [ToxicitySet] { ToxicitySet.singles.filter { contains($0) } }
}
