import Foundation

// Builds the explained recommendation from an assessment's decision (clinical-spec A11): the
// decided dose's arithmetic and caps described, reasons with observed values, event ids
// and thresholds, warnings, alerts, rationale and evidence. Runs only when a recommendation is read
// or encoded.

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
            alerts.append(Alert(code: .doseNotSpecifiedByProtocol, fields: [.protocol_]))
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

        if p.population == .adult, let age = profile.age?.age, age.completedYears < 18, dose != nil || d.action.dosesAnakinra {
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
            alerts: [Alert(code: .protocolRequired, fields: [.protocol_])],
            protocolId: nil,
            evidence: [],
            inputEventIds: []
        )
    }

    // MARK: Action

    func actionSentence(_ p: AnakinraProtocol) -> String {
        let d = decision
        let name = p.shortName
        switch d.action {
        case .start:
            if d.primary == .recurrence {
                return "Restart anakinra at the last full dose: the toxicity recurred after the course ended (\(name))."
            }
            return "Start anakinra (\(name)): \(indicationText(p, d.indication))."
        case .continue:
            if d.lastAgentWeaned {
                let agents = d.activeAgents.map { $0.isCorticosteroid ? "a corticosteroid (\($0.drug.name))" : $0.drug.name }
                return
                    "Continue anakinra: the taper trigger has held, but \(agents.joined(separator: ", ")) \(agents.count == 1 ? "is" : "are") still active and \(name) weans anakinra last."
            }
            if d.primary == .iecHsNotStable {
                return "Continue anakinra: IEC-HS is not stable or improving over the last 24 h (\(iecHsInstabilityText()))."
            }
            if d.primary == .recurrence {
                return "Back to the last full dose: the toxicity recurred during the taper (\(name))."
            }
            if d.primary == .gradeNotFallen {
                return "Continue anakinra: the grade has not fallen after the reassessment window."
            }
            return "Continue anakinra (\(name)): \(triggerText(p))."
        case .escalate:
            if d.primary == .recurrence {
                return "Back to the last full dose: the toxicity recurred during the taper."
            }
            return
                "Escalate anakinra (\(p.escalation.rule.rawValue)): the grade has not fallen \(p.reassessment.hours) after the current dose began."
        case .taper:
            return "Taper anakinra, step \(d.taperStep ?? 1): \(triggerText(p))."
        case .stop:
            if p.taper.method == .stopWithoutTaper {
                return "Stop anakinra (\(name) states no taper): \(triggerText(p))."
            }
            return "Stop anakinra: end of the taper."
        case .hold:
            if d.primary == .eColiHypersensitivity {
                return
                    "Hold: anakinra is contraindicated (hypersensitivity to E. coli-derived proteins); no dose. See the alternatives."
            }
            if d.primary == .weightBasedMaximumExceeded {
                return
                    "Hold: \(name)'s fixed dose is above 10 mg/kg/day for this patient's weight. The dose shown is for a documented override only."
            }
            return
                "Hold: a TNF blocker was given in the last 14 days (serious infections with the combination; the seed discourages it). The dose shown is for a documented override only."
        case .none:
            if d.primary == .courseCompleted {
                return "No anakinra: the course ended and the toxicity has not recurred."
            }
            return "No anakinra under \(name): \(indicationText(p, d.indication))."
        }
    }

    func indicationText(_ p: AnakinraProtocol, _ outcome: IndicationOutcome?) -> String {
        guard let outcome, outcome.index >= 0 else { return "no indication of the protocol is met" }
        let toxicity =
            outcome.toxicity == .prolongedRefractoryThrombocytopenia
            ? "prolonged refractory thrombocytopenia" : toxicityName(ToxicitySet(outcome.toxicity))
        let grade = "\(toxicity) grade \(outcome.grade)"
        switch outcome.code {
        case .refractoryGradeRose: return "\(grade) rose after tocilizumab and a corticosteroid (refractory)"
        case .refractoryNotFallen:
            return
                "\(grade) has not fallen \(Int(decisionDosing.refractoryWindow / 3600)) h after the first corticosteroid (refractory)"
        case .refractoryTocilizumabMaximum: return "\(grade) with the tocilizumab maximum reached (refractory)"
        case .notYetRefractory:
            switch outcome.refractory?.outcome {
            case .tocilizumabMissing?: return "\(grade), not yet refractory: no tocilizumab in this episode"
            case .corticosteroidMissing?: return "\(grade), not yet refractory: no corticosteroid in this episode"
            default: return "\(grade), not yet refractory (the grade has fallen, or the window has not elapsed)"
            }
        case .noActiveToxicity:
            let ungradable = ungradable.map(\.name)
            guard ungradable.isEmpty else {
                return "\(ungradable.joined(separator: " and ")) cannot be graded from current findings, "
                    + "so no toxicity the protocol treats can be confirmed"
            }
            return "no toxicity the protocol treats is present"
        case .belowProtocolTrigger:
            let minimum = p.indications[outcome.index].minimumGrade ?? 1
            return "\(grade) is below the protocol's trigger (grade ≥ \(minimum))"
        case .corticosteroidGiven: return "\(grade) with a corticosteroid given"
        case .corticosteroidOrdered: return "\(grade) with a corticosteroid ordered"
        case .corticosteroidNotGiven:
            return "\(grade), but no corticosteroid given yet (the protocol starts anakinra with one)"
        case .tocilizumabNotGiven: return "\(grade), but no tocilizumab given in this episode"
        case .persistingAfterTocilizumab:
            return "\(grade) persisting after the first tocilizumab dose, corticosteroid given"
        case .notPersistingAfterTocilizumab:
            return "\(grade) has not persisted long enough after the first tocilizumab dose"
        case .secondTocilizumabGiven:
            return "a second tocilizumab dose was given (the protocol starts anakinra before it)"
        case .icansPresent: return "ICANS is present (this indication is CRS without ICANS)"
        case .firstLine: return "\(grade), first line"
        case .isolatedLateOnset: return "\(grade), isolated (no fever, no hypotension), first line"
        case .lineNotStated: return "\(grade) (line of therapy not stated by the source)"
        case .withTocilizumab: return "\(grade), with tocilizumab"
        case .prophylaxisDay: return "prophylaxis from day +\(p.indications[outcome.index].fromDayAfterInfusion ?? 0)"
        case .prophylaxisFevers:
            return
                "prophylaxis after \(outcome.count ?? 0) fevers before day +\(p.indications[outcome.index].fromDayAfterInfusion ?? 0)"
        case .beforeProphylaxisDay:
            return "before day +\(p.indications[outcome.index].fromDayAfterInfusion ?? 0) of prophylaxis"
        case .infusionDateRequired: return "the infusion date is needed to time prophylaxis"
        case .clinicianCodedFinding: return "prolonged refractory thrombocytopenia (clinician-coded)"
        default: return outcome.code.rawValue
        }
    }

    var decisionDosing: DosingPolicy { dosing }

    func triggerText(_ p: AnakinraProtocol) -> String {
        let trigger = p.taper.trigger
        switch decision.trigger {
        case .notStated: return "\(p.shortName) states no taper trigger; tapering is prescriber-defined"
        case .held: return "the taper trigger (\(trigger.kind.rawValue)) has held \(trigger.holdHours ?? 24) h"
        case .notHeld(let toxicity): return "the taper trigger is not met (\(toxicityName(toxicity)))"
        case .notDocumented(let toxicity):
            return
                "the taper trigger cannot be confirmed: \(toxicityName(toxicity)) was not documented in the last \(trigger.holdHours ?? 24) h"
        case .tooEarly(let until):
            let hours = max(0, Int(((until - time) / 3600).rounded(.up)))
            return "on anakinra for less than the hold window (decidable in \(hours) h)"
        }
    }

    func actionReasons(_ p: AnakinraProtocol, evidence: inout [EvidenceItem]) -> [Reason] {
        let d = decision
        var reasons: [Reason] = []
        switch d.course.state {
        case .never, .ended:
            if d.primary == .recurrence || d.primary == .courseCompleted {
                reasons.append(
                    Reason(
                        code: d.primary,
                        rule: .course,
                        source: .specA7,
                        decisive: true,
                        observed: CompactList(d.indicating.members.compactMap { observedGrade($0) })
                    )
                )
                evidence.append(EvidenceItem(about: "course", source: "clinical-spec A7", status: .policy))
            } else {
                let timeline = self.timeline
                let outcomes = timeline.allIndications(
                    rules ?? PreparedProtocol(p),
                    at: time,
                    grades: grades,
                    profile: profile,
                    dosing: dosing
                )
                for outcome in outcomes where outcome.met || d.action == .none {
                    let decisive = outcome.index == d.indication?.index && outcome.code == d.primary
                    reasons.append(indicationReason(p, outcome, decisive: decisive))
                    if let other = outcome.otherCriteria {
                        reasons.append(
                            Reason(
                                code: .iecHsByOtherCriteria,
                                rule: other == .cartox2018 ? .carHLH : .iecHsProvisional,
                                source: other == .cartox2018 ? .cartox2018 : .astct2023Provisional,
                                observed: CompactList([observedGrade(.iecHs)].compactMap { $0 })
                            )
                        )
                    }
                    if outcome.met, let i = Optional(outcome.index), p.indications[i].corticosteroid == .ifSevere,
                        outcome.severe, !d.corticosteroidActive
                    {
                        reasons.append(
                            Reason(code: .corticosteroidIfSevere, rule: .indication, source: indicationSource(p, i))
                        )
                    }
                }
                if let outcome = d.indication, outcome.index >= 0 {
                    let indication = p.indications[outcome.index]
                    evidence.append(
                        EvidenceItem(
                            about: "indication",
                            source: indicationSource(p, outcome.index).rawValue,
                            status: indication.status
                        )
                    )
                    if outcome.refractory != nil {
                        evidence.append(EvidenceItem(about: "indication", source: "clinical-spec A6", status: .policy))
                    }
                }
            }
        case .onTherapy:
            reasons += courseReasons(p, evidence: &evidence)
        }
        if d.safety.hypersensitivityEvent != nil, d.action == .hold {
            // Added with the safety reasons.
        }
        return reasons
    }

    func indicationSource(_ p: AnakinraProtocol, _ i: Int) -> EvidenceSource {
        let indication = p.indications[i]
        return EvidenceSource(rawValue: p.sourceTag(indication.status, evidence: indication.evidence))
    }

    func indicationReason(_ p: AnakinraProtocol, _ outcome: IndicationOutcome, decisive: Bool) -> Reason {
        let toxicity = ToxicitySet(outcome.toxicity)
        var observed = CompactList<ObservedValue>()
        var thresholds = CompactList<Threshold>()
        if !toxicity.isEmpty, let grade = observedGrade(toxicity) { observed.append(grade) }
        let indication = p.indications[outcome.index]
        if let minimum = indication.minimumGrade {
            thresholds.append(
                Threshold(field: gradeField(toxicity), comparator: .greaterThanOrEqual, value: Double(minimum))
            )
        }
        let index = timeline.index
        var rule = RuleID.indication
        var source = indicationSource(p, outcome.index)
        if let facts = outcome.refractory {
            rule = .refractory
            source = .policy
            if let i = facts.firstTocilizumab {
                observed.append(observedGiven(index.given[Drug.tocilizumab.slot ?? 0], i))
            }
            if let i = facts.firstCorticosteroid { observed.append(observedGiven(index.corticosteroids, i)) }
            if let reference = facts.referenceGrade {
                thresholds.append(
                    Threshold(
                        field: gradeField(toxicity),
                        comparator: outcome.code == .refractoryGradeRose ? .greaterThan : .greaterThanOrEqual,
                        value: Double(reference),
                        source: .policy
                    )
                )
            }
            if outcome.code == .refractoryNotFallen || outcome.code == .notYetRefractory {
                thresholds.append(
                    Threshold(
                        field: .hoursSince,
                        comparator: .greaterThanOrEqual,
                        value: dosing.refractoryWindow / 3600,
                        unit: "h",
                        source: .policy
                    )
                )
            }
            if outcome.code == .refractoryTocilizumabMaximum {
                thresholds.append(
                    Threshold(
                        field: .tocilizumabDoses,
                        comparator: .greaterThanOrEqual,
                        value: Double(dosing.tocilizumabMaximumTotal)
                    )
                )
            }
        }
        if let event = outcome.event {
            observed.append(
                observedEvent(event, field: outcome.code == .clinicianCodedFinding ? .finding : .drug, category: nil)
            )
        }
        if outcome.code == .prophylaxisFevers, let count = outcome.count, let infusion = profile.infusion {
            observed.append(
                timeline.observed(.feverCount, value: Double(count), event: infusion.event, at: infusion.time)
            )
        }
        if outcome.code == .persistingAfterTocilizumab || outcome.code == .notPersistingAfterTocilizumab,
            let hours = indication.persistingHoursAfterFirstTocilizumab
        {
            thresholds.append(
                Threshold(
                    field: .hoursSince,
                    comparator: .greaterThanOrEqual,
                    value: Double(hours),
                    unit: "h",
                    source: .policy
                )
            )
        }
        return Reason(
            code: outcome.code,
            rule: rule,
            source: source,
            grade: outcome.grade,
            decisive: decisive,
            observed: observed,
            thresholds: thresholds
        )
    }

    func courseReasons(_ p: AnakinraProtocol, evidence: inout [EvidenceItem]) -> [Reason] {
        let d = decision
        let index = timeline.index
        let series = index.given[PatientTimeline.anakinraSlot]
        var reasons: [Reason] = []
        var lastObserved = CompactList<ObservedValue>()
        if let last = d.course.last { lastObserved.append(observedGiven(series, last)) }
        reasons.append(Reason(code: .onTherapy, rule: .course, source: .specA7, observed: lastObserved))
        evidence.append(EvidenceItem(about: "course", source: "clinical-spec A7", status: .policy))
        let grades = CompactList(d.indicating.members.compactMap { observedGrade($0) })
        switch d.primary {
        case .recurrence:
            reasons.append(Reason(code: .recurrence, rule: .taper, source: .specA7, decisive: true, observed: grades))
        case .taperStep, .taperComplete:
            var thresholds = CompactList<Threshold>()
            if let grade = p.taper.trigger.grade {
                thresholds.append(
                    Threshold(
                        field: "grade",
                        comparator: .lessThanOrEqual,
                        value: Double(grade),
                        source: EvidenceSource(
                            rawValue: p.sourceTag(p.taper.trigger.status, evidence: p.taper.trigger.evidence)
                        )
                    )
                )
            }
            reasons.append(
                Reason(
                    code: .taperTriggerHeld,
                    rule: .taper,
                    source: EvidenceSource(
                        rawValue: p.sourceTag(p.taper.trigger.status, evidence: p.taper.trigger.evidence)
                    ),
                    observed: grades,
                    thresholds: thresholds
                )
            )
            reasons.append(
                Reason(
                    code: d.primary,
                    rule: .taper,
                    source: EvidenceSource(rawValue: p.sourceTag(p.taper.status, evidence: p.taper.evidence)),
                    decisive: true
                )
            )
            evidence.append(
                EvidenceItem(
                    about: "taper",
                    source: p.sourceTag(p.taper.status, evidence: p.taper.evidence),
                    status: p.taper.status
                )
            )
        case .iecHsNotStable:
            reasons.append(iecHsNotStableReason())
        case .lastAgentWeaned:
            var observed = grades
            for agent in d.activeAgents {
                let series = agent.isCorticosteroid ? index.corticosteroids : index.given[agent.drug.slot ?? 0]
                observed.append(observedGiven(series, agent.index))
            }
            reasons.append(Reason(code: .taperTriggerHeld, rule: .taper, source: .specA7))
            reasons.append(
                Reason(
                    code: .lastAgentWeaned,
                    rule: .taper,
                    source: EvidenceSource(rawValue: p.evidence),
                    decisive: true,
                    observed: observed,
                    thresholds: [
                        Threshold(
                            field: .hoursSince,
                            comparator: .greaterThan,
                            value: policyCorticosteroidHours,
                            unit: "h",
                            source: .policy
                        )
                    ]
                )
            )
        case .escalated, .gradeNotFallen:
            var thresholds = CompactList<Threshold>()
            if let reference = timeline.documentedWorst(d.indicating, at: d.course.doseStart) {
                thresholds.append(
                    Threshold(
                        field: "grade",
                        comparator: .greaterThanOrEqual,
                        value: Double(reference),
                        source: .policy
                    )
                )
            }
            thresholds.append(
                Threshold(
                    field: .hoursSince,
                    comparator: .greaterThanOrEqual,
                    value: Double(p.reassessment.hours.min),
                    unit: "h",
                    source: EvidenceSource(
                        rawValue: p.sourceTag(p.reassessment.status, evidence: p.reassessment.evidence)
                    )
                )
            )
            reasons.append(
                Reason(
                    code: .gradeNotFallen,
                    rule: .escalation,
                    source: .specA7,
                    decisive: true,
                    observed: grades,
                    thresholds: thresholds
                )
            )
            evidence.append(
                EvidenceItem(
                    about: "escalation",
                    source: p.sourceTag(p.escalation.status, evidence: p.escalation.evidence),
                    status: p.escalation.status
                )
            )
        default:
            switch d.trigger {
            case .notStated:
                reasons.append(
                    Reason(
                        code: .taperPrescriberDefined,
                        rule: .taper,
                        source: EvidenceSource(
                            rawValue: p.sourceTag(p.taper.trigger.status, evidence: p.taper.trigger.evidence)
                        )
                    )
                )
            case .held:
                reasons.append(Reason(code: .taperTriggerHeld, rule: .taper, source: .specA7, observed: grades))
            case .notHeld(let toxicity), .notDocumented(let toxicity):
                let code: ReasonCode = {
                    if case .notDocumented = d.trigger { return .taperTriggerNotDocumented }
                    return .taperTriggerNotHeld
                }()
                reasons.append(
                    Reason(
                        code: code,
                        rule: .taper,
                        source: .specA7,
                        observed: CompactList(toxicity.members.compactMap { observedGrade($0) })
                    )
                )
            case .tooEarly:
                reasons.append(
                    Reason(
                        code: .taperTriggerNotHeld,
                        rule: .taper,
                        source: .specA7,
                        thresholds: [
                            Threshold(
                                field: .hoursSince,
                                comparator: .greaterThanOrEqual,
                                value: Double(p.taper.trigger.holdHours ?? 24),
                                unit: "h",
                                source: .policy
                            )
                        ]
                    )
                )
            }
            if d.course.doseStart + Double(p.reassessment.hours.min) * 3600 > time {
                reasons.append(Reason(code: .reassessmentPending, rule: .escalation, source: .specA7))
            }
        }
        if d.overdue || d.duplicate || d.nextDoseDueAt != nil {
            evidence.append(EvidenceItem(about: "next-dose", source: "clinical-spec A7", status: .policy))
        }
        return reasons
    }

    var policyCorticosteroidHours: Double { timeline.policy.corticosteroidActiveWindow / 3600 }

    func courseAlert(_ code: AlertCode) -> Alert {
        var ids = CompactList<String>()
        let series = timeline.index.given[PatientTimeline.anakinraSlot]
        if code == .possibleDuplicateDose, let previous = decision.course.previous {
            ids.append(timeline.eventIds[Int(series.events[previous])])
        }
        if let last = decision.course.last { ids.append(timeline.eventIds[Int(series.events[last])]) }
        return Alert(code: code, fields: [.administeredAt], eventIds: ids)
    }

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

    // MARK: Flags, caps, alerts

    func reason(_ flag: DosingFlag) -> Reason {
        var observed = CompactList<ObservedValue>()
        if let weight = observedWeight() { observed.append(weight) }
        return Reason(
            code: flag.reasonCode,
            rule: .doseArithmetic,
            source: EvidenceSource(rawValue: flag.source),
            observed: observed
        )
    }

    func alert(_ flag: DosingFlag) -> Alert {
        var ids = CompactList<String>()
        var fields = CompactList<FieldName>()
        switch flag.code {
        case .weightRequired, .lowVolumeMeasurement, .doseBelowOneMg:
            fields.append(.weightKg)
            if let weight = observedWeight() { ids.append(weight.eventId) }
        case .frequencyRequired:
            fields.append("frequency")
        case .roundingConfirmationRequired:
            fields.append(.doseMg)
        default:
            break
        }
        return Alert(code: flag.alertCode, fields: fields, eventIds: ids)
    }

    func capReason(_ cap: AppliedCap) -> Reason {
        var observed = CompactList<ObservedValue>()
        if let weight = observedWeight() {
            observed.append(
                ObservedValue(
                    field: cap.kind == .perDoseCap ? "computedMg" : "computedDailyMg",
                    value: cap.beforeMg.approximateDouble,
                    unit: "mg",
                    eventId: weight.eventId,
                    observedAt: weight.observedAt
                )
            )
        }
        return Reason(
            code: ReasonCode(rawValue: cap.kind.rawValue),
            rule: .doseArithmetic,
            source: EvidenceSource(rawValue: cap.source),
            observed: observed,
            thresholds: [
                Threshold(
                    field: cap.kind == .perDoseCap ? .doseMg : .dailyMg,
                    comparator: .lessThanOrEqual,
                    value: cap.limitMg.approximateDouble,
                    unit: "mg"
                )
            ]
        )
    }

    func stockObserved(_ drug: Drug) -> CompactList<ObservedValue> {
        guard let entry = inventory.entry(drug, site: profile.site) else { return [] }
        return [
            ObservedValue(
                field: .site,
                category: "\(entry.site)/\(drug.name): \(entry.status.rawValue)",
                eventId: entry.eventId,
                observedAt: entry.occurredAt
            )
        ]
    }

    func merged(_ alerts: [Alert]) -> [Alert] {
        var result: [Alert] = []
        for alert in alerts {
            if let i = result.firstIndex(where: { $0.code == alert.code }) {
                for field in alert.fields where !result[i].fields.contains(field) { result[i].fields.append(field) }
                for id in alert.eventIds where !result[i].eventIds.contains(id) { result[i].eventIds.append(id) }
            } else {
                result.append(alert)
            }
        }
        return result
    }

    func unique(_ items: [EvidenceItem]) -> [EvidenceItem] {
        var seen = Set<EvidenceItem>()
        return items.filter { seen.insert($0).inserted }
    }
}

extension ToxicitySet {
    /// The single toxicities in the set, in a fixed order.
    var members: [ToxicitySet] { ToxicitySet.singles.filter { contains($0) } }
}
