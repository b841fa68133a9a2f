import Foundation

// Builds the shortage alternatives (clinical-spec A10) of an assessment, for an `Explainer`.

extension AssessmentContext {
    func alternatives() -> [ShortageAlternative] {
        var result: [ShortageAlternative] = []
        if let entry = shortage.tocilizumab { result.append(tocilizumabAlternatives(entry)) }
        if let entry = shortage.anakinra {
            result.append(anakinraAlternatives(cause: "shortage", entry: entry))
        } else if rules != nil, decision.action == .hold {
            result.append(
                anakinraAlternatives(
                    cause: decision.primary == .eColiHypersensitivity ? "contraindication" : "tnf-blockade",
                    entry: nil
                )
            )
        }
        return result
    }

    var ageYears: Double? { profile.age?.age.years }

    // MARK: Tocilizumab short

    func tocilizumabAlternatives(_ entry: InventorySnapshot.Entry) -> ShortageAlternative {
        var options: [AlternativeOption] = []
        var excluded: [ExcludedAlternative] = []
        let crsGrade = CompactList([observedGrade(.crs)].compactMap { $0 })

        // 1. Anakinra per the patient's protocol, even before its line of therapy.
        if let rules {
            let p = rules.value
            if let event = decision.safety.hypersensitivityEvent {
                excluded.append(
                    ExcludedAlternative(
                        drug: "anakinra",
                        reason: Reason(
                            code: .contraindicated,
                            rule: .safety,
                            source: .kineretLabel,
                            observed: [observedEvent(event, field: .allergies, category: "e-coli-derived-protein")]
                        )
                    )
                )
            } else {
                let inLine = decision.action.dosesAnakinra
                let level: DoseLevel = grades.crs.core.grade >= 3 ? .severe : .lessIll
                let computed =
                    inLine
                    ? decision.dose
                    : DecidedDose(p, plan: .protocolDose(level), route: decision.route, weightKg: weightKg)
                var cautions: [Reason] = []
                if !inLine {
                    cautions.append(Reason(code: .shortageModeOutsideUsualLine, rule: .shortage, source: .specA10))
                }
                if let slot = decision.safety.tnfSlot, let i = decision.safety.tnfIndex {
                    cautions.append(
                        Reason(
                            code: .tnfBlockade,
                            rule: .safety,
                            source: .kineretLabel,
                            observed: [observedGiven(timeline.index.given[slot], i)]
                        )
                    )
                }
                for flag in computed.flags where flag.kind != .reason { cautions.append(reason(flag)) }
                if computed.dose?.route == .iv {
                    cautions.append(Reason(code: .ivOffLabel, rule: .route, source: .kineretLabel))
                }
                cautions += stockCautions(.anakinra)
                options.append(
                    AlternativeOption(
                        rank: 0,
                        drug: "anakinra",
                        dose: computed.dose.map(alternativeDose),
                        label: inLine ? nil : "shortage-mode: outside usual line",
                        rationale: inLine
                            ? "Anakinra is already indicated under \(p.shortName)."
                            : "Anakinra per \(p.shortName), computed although its line of therapy is not reached (tocilizumab unavailable).",
                        evidence: EvidenceSource.caseSeries.rawValue,
                        status: .corroborated,
                        cautions: cautions,
                        protocolId: p.id
                    )
                )
            }
        }

        // 2. Corticosteroid.
        if let option = dexamethasone(
            rationale: "Corticosteroid in place of tocilizumab (adults 10 mg IV Q6H; children 0.5 mg/kg, max 10 mg)."
        ) {
            options.append(option)
        }

        // 3. Siltuximab.
        if let option = siltuximab() { options.append(option) }

        // Ruxolitinib only from 12 years (label).
        ruxolitinib(options: &options, excluded: &excluded)

        let need = SupportingAgentDosing.tocilizumab(weightKg: weightKg).dose.map { dose -> ShortageNeed in
            let mg = dose.mg.approximateDouble
            let units = entry.unitMg.flatMap { $0 > 0 ? Int((mg / $0).rounded(.up)) : nil }
            return ShortageNeed(mg: mg, doses: 1, units: units)
        }
        return ShortageAlternative(
            shortDrug: "tocilizumab",
            site: entry.site,
            status: entry.status,
            cause: "shortage",
            reasons: [
                Reason(
                    code: .tocilizumabNeeded,
                    rule: .shortage,
                    source: .policy,
                    observed: crsGrade,
                    thresholds: [
                        Threshold(
                            field: .crsGrade,
                            comparator: .greaterThanOrEqual,
                            value: Double(dosing.tocilizumabNeedGrade),
                            source: .policy
                        )
                    ]
                ),
                stockReason(entry),
            ],
            alternatives: ranked(options),
            excluded: excluded,
            need24h: need
        )
    }

    // MARK: Anakinra short (or held)

    func anakinraAlternatives(cause: String, entry: InventorySnapshot.Entry?) -> ShortageAlternative {
        var options: [AlternativeOption] = []
        var excluded: [ExcludedAlternative] = []

        // 1. Corticosteroid escalation.
        if let option = dexamethasone(rationale: "Escalate the corticosteroid in place of anakinra.") {
            options.append(option)
        }

        // 2. Emapalumab when IEC-HS / carHLH features.
        let facts = grades.iecHs.facts
        let features =
            grades.iecHs.present || timeline.otherCriteriaIECHS(at: time, grades: grades) != nil
            || (facts.ferritinMet && facts.oftenPresentCount >= 1)
        if features, let dose = SupportingAgentDosing.emapalumab(weightKg: weightKg).dose {
            options.append(
                AlternativeOption(
                    rank: 0,
                    drug: "emapalumab",
                    dose: alternativeDose(dose),
                    rationale:
                        "IEC-HS/carHLH features: emapalumab 1 mg/kg IV twice weekly (primary HLH label starting dose).",
                    evidence: dose.source,
                    status: dose.status,
                    cautions: [
                        Reason(code: .offLabel, rule: .shortage, source: .specA10),
                        Reason(code: .infectionProphylaxis, rule: .shortage, source: "Gamifant label"),
                    ] + stockCautions(.emapalumab),
                    protocolId: nil
                )
            )
        } else {
            excluded.append(
                ExcludedAlternative(
                    drug: "emapalumab",
                    reason: Reason(code: .iecHsFeatures, rule: .shortage, source: .specA10, grade: 0)
                )
            )
        }

        // 3. Ruxolitinib with cautions (from 12 years).
        ruxolitinib(options: &options, excluded: &excluded)

        // 4. Siltuximab for CRS.
        if grades.crs.core.grade >= 1 {
            if let option = siltuximab() { options.append(option) }
        } else {
            excluded.append(
                ExcludedAlternative(
                    drug: "siltuximab",
                    reason: Reason(code: .crsActive, rule: .shortage, source: .specA10, grade: 0)
                )
            )
        }

        // The patient's own next-24-hour need.
        var need: ShortageNeed?
        if rules != nil, entry != nil {
            let computed = decision.dose
            if let mg = computed.dose?.mg, let frequency = computed.dose?.frequency {
                let supply = AnakinraSupply.next24HourNeed(
                    mgPerDose: mg,
                    frequency: frequency,
                    nextDoseDueAt: decision.nextDoseDueAt.map { Date(timeIntervalSinceReferenceDate: $0) },
                    now: Date(timeIntervalSinceReferenceDate: time)
                )
                var units = supply.syringes
                if let unit = entry?.unitMg, unit > 0, unit != Double(AnakinraProduct.syringeMg) {
                    units = supply.doses * Int((Double(mg) / unit).rounded(.up))
                }
                need = ShortageNeed(mg: Double(supply.mg), doses: supply.doses, units: units)
            } else if let daily = computed.dose?.dailyMg {
                need = ShortageNeed(mg: Double(daily), doses: nil, units: nil)
            }
        }
        var reasons: [Reason] = [Reason(code: .anakinraNeeded, rule: .shortage, source: .specA10)]
        if let entry { reasons.append(stockReason(entry)) }
        if cause == "contraindication", let event = decision.safety.hypersensitivityEvent {
            reasons.append(
                Reason(
                    code: .eColiHypersensitivity,
                    rule: .safety,
                    source: .kineretLabel,
                    observed: [observedEvent(event, field: .allergies, category: "e-coli-derived-protein")]
                )
            )
        }
        if cause == "tnf-blockade" { reasons.append(Reason(code: .tnfBlockade, rule: .safety, source: .kineretLabel)) }
        return ShortageAlternative(
            shortDrug: "anakinra",
            site: entry?.site ?? profile.site,
            status: entry?.status,
            cause: cause,
            reasons: reasons,
            alternatives: ranked(options),
            excluded: excluded,
            need24h: need
        )
    }

    // MARK: Agents

    func dexamethasone(rationale: String) -> AlternativeOption? {
        let outcome = SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: ageYears, weightKg: weightKg)
        guard let dose = outcome.dose else { return nil }
        var cautions: [Reason] = []
        if dose.status == .unverified {
            cautions.append(Reason(code: .unverifiedDose, rule: .shortage, source: .specA10))
        }
        if decision.corticosteroidActive {
            var observed = CompactList<ObservedValue>()
            let steroids = timeline.index.corticosteroids
            if let k = steroids.latest(atOrBefore: time) { observed.append(observedGiven(steroids, k)) }
            cautions.append(
                Reason(code: .alreadyOnCorticosteroid, rule: .shortage, source: .specA10, observed: observed)
            )
        }
        for flag in dose.flags where flag.kind != .reason { cautions.append(reason(flag)) }
        cautions += stockCautions(.dexamethasone)
        return AlternativeOption(
            rank: 0,
            drug: "dexamethasone",
            dose: alternativeDose(dose),
            rationale: rationale,
            evidence: dose.source,
            status: dose.status,
            cautions: cautions,
            protocolId: nil
        )
    }

    func siltuximab() -> AlternativeOption? {
        guard let dose = SupportingAgentDosing.siltuximab(weightKg: weightKg).dose else { return nil }
        return AlternativeOption(
            rank: 0,
            drug: "siltuximab",
            dose: alternativeDose(dose),
            rationale: "Anti-IL-6: siltuximab 11 mg/kg IV once (CARTOX option; off-label for CRS).",
            evidence: dose.source,
            status: dose.status,
            cautions: [Reason(code: .offLabel, rule: .shortage, source: .specA10)] + stockCautions(.siltuximab),
            protocolId: nil
        )
    }

    func ruxolitinib(options: inout [AlternativeOption], excluded: inout [ExcludedAlternative]) {
        let minimum = dosing.ruxolitinibMinimumAgeYears
        guard let age = profile.age, age.age.completedYears >= minimum else {
            var observed = CompactList<ObservedValue>()
            if let age = profile.age { observed.append(timeline.ageObserved(age, at: time)) }
            excluded.append(
                ExcludedAlternative(
                    drug: "ruxolitinib",
                    reason: Reason(
                        code: .ageBelowLabel,
                        rule: .shortage,
                        source: .specA10,
                        observed: observed,
                        thresholds: [
                            Threshold(
                                field: .ageYears,
                                comparator: .greaterThanOrEqual,
                                value: Double(minimum),
                                unit: "years"
                            )
                        ]
                    )
                )
            )
            return
        }
        options.append(
            AlternativeOption(
                rank: 0,
                drug: "ruxolitinib",
                dose: nil,
                rationale:
                    "JAK1/2 inhibitor (≥ 12 y label). No CRS/IEC-HS dose is established: label aGVHD starts at 5 mg PO twice daily; HLH experience 0.5 mg/kg/dose twice daily (C). Dose per local guidance.",
                evidence: "Jakafi label; clinical-spec §9",
                status: .corroborated,
                cautions: [
                    Reason(code: .noEstablishedDose, rule: .shortage, source: .specA10),
                    Reason(code: .thrombocytopeniaRisk, rule: .shortage, source: "Jakafi label"),
                    Reason(code: .disseminatedIntravascularCoagulation, rule: .shortage, source: .seedText),
                    Reason(code: .carTExpansionUnknown, rule: .shortage, source: .seedText),
                    Reason(code: .infectionRisk, rule: .shortage, source: "Jakafi label"),
                ] + stockCautions(.ruxolitinib),
                protocolId: nil
            )
        )
    }

    func alternativeDose(_ dose: SupportingDose) -> AlternativeDose {
        let mg = dose.mg.approximateDouble
        switch dose.schedule {
        case .once:
            return AlternativeDose(
                mg: mg,
                mgPerKg: dose.mgPerKg?.approximateDouble,
                route: dose.route,
                frequency: nil,
                schedule: "once",
                dailyMg: nil
            )
        case .every(let frequency):
            return AlternativeDose(
                mg: mg,
                mgPerKg: dose.mgPerKg?.approximateDouble,
                route: dose.route,
                frequency: frequency,
                schedule: frequency.rawValue,
                dailyMg: mg * Double(frequency.dosesPer24Hours)
            )
        case .twiceWeekly:
            return AlternativeDose(
                mg: mg,
                mgPerKg: dose.mgPerKg?.approximateDouble,
                route: dose.route,
                frequency: nil,
                schedule: "twice weekly",
                dailyMg: nil
            )
        }
    }

    func alternativeDose(_ dose: RecommendedDose) -> AlternativeDose {
        AlternativeDose(
            mg: dose.mg.map(Double.init),
            mgPerKg: dose.mgPerKg,
            route: dose.route,
            frequency: dose.frequency,
            schedule: dose.frequency?.rawValue ?? "frequency required",
            dailyMg: dose.dailyMg.map(Double.init)
        )
    }

    func stockCautions(_ drug: Drug) -> [Reason] {
        guard let entry = inventory.entry(drug, site: profile.site), entry.status != .available else { return [] }
        return [
            Reason(
                code: entry.status == .low ? .stockLow : .stockShortage,
                rule: .shortage,
                source: .specA10,
                observed: stockObserved(drug)
            )
        ]
    }

    func stockReason(_ entry: InventorySnapshot.Entry) -> Reason {
        Reason(
            code: .stockShortage,
            rule: .shortage,
            source: .specA10,
            observed: [
                ObservedValue(
                    field: .site,
                    category: "\(entry.site)/\(entry.drug.name): \(entry.status.rawValue)",
                    eventId: entry.eventId,
                    observedAt: entry.occurredAt
                )
            ]
        )
    }

    func ranked(_ options: [AlternativeOption]) -> [AlternativeOption] {
        options.enumerated().map { offset, option in
            var option = option
            option.rank = offset + 1
            return option
        }
    }
}
