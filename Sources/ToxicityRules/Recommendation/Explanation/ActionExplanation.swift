// The action of a recommendation explained (clinical-spec A5–A7, A11): the sentence that opens the
// rationale, the indication, course and trigger reasons, with the grades and findings they cite.

extension AssessmentContext {
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
                let agents = d.activeAgents.map {
                    $0.isCorticosteroid ? "a corticosteroid (\($0.drug.name))" : $0.drug.name
                }
                return
                    "Continue anakinra: the taper trigger has held, but \(agents.joined(separator: ", ")) \(agents.count == 1 ? "is" : "are") still active and \(name) weans anakinra last."
            }
            if d.primary == .iecHsNotStable {
                return
                    "Continue anakinra: IEC-HS is not stable or improving over the last 24 h (\(iecHsInstabilityText()))."
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
            if d.primary == .administeredAfterStop {
                return
                    "Stop anakinra: a dose was charted after the recommendation to stop, with no new anakinra order. If anakinra was restarted on purpose, chart the order."
            }
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
            if d.primary == .recurrence || d.primary == .courseCompleted || d.primary == .administeredAfterStop {
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
}
