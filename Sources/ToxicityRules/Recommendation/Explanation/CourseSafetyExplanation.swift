// How the course-safety amendments (clinical-spec §A13) explain themselves in a recommendation:
// reasons, alerts and rationale sentences with the values behind them.

extension AssessmentContext {
    /// Adds the §A13 reasons, alerts and rationale of the decision.
    func courseSafety(
        _ p: AnakinraProtocol,
        dose: RecommendedDose?,
        reasons: inout [Reason],
        alerts: inout [Alert],
        rationale: inout [String]
    ) {
        let d = decision
        if d.weightBasedMaximumExceeded, let w = AnakinraDosing.validatedWeight(weightKg) {
            let daily = dose?.dailyMg ?? 0
            let perKg = ExactAmount(daily) / w
            reasons.append(
                Reason(
                    code: .weightBasedMaximumExceeded,
                    rule: .safety,
                    source: "clinical-spec A13.4",
                    decisive: true,
                    observed: CompactList([observedWeight()].compactMap { $0 }),
                    thresholds: [
                        Threshold(
                            field: "mgPerKgPerDay",
                            comparator: .greaterThan,
                            value: Double(AnakinraDosing.seedMaximumMgPerKgPerDay)
                        )
                    ]
                )
            )
            alerts.append(Alert(code: .weightBasedMaximumExceeded, fields: [.doseMg, .weightKg]))
            rationale.append(
                "\(p.shortName)'s fixed dose is \(daily) mg/day, \(perKg.decimalText(places: 1)) mg/kg/day for \(w) kg, above 10 mg/kg/day: held; the dose is shown for a documented override only."
            )
        }
        // §A13.14: a dose of a drug the site cannot supply says so.
        if d.action == .start || d.action == .continue || d.action == .escalate,
            let stock = inventory.entry(.anakinra, site: profile.site),
            stock.status == .unavailable || stock.status == .shortage
        {
            let code: AlertCode = stock.status == .unavailable ? .anakinraUnavailable : .stockLow
            alerts.append(Alert(code: code, fields: [.site], eventIds: [stock.eventId]))
            rationale.append(
                "Anakinra is \(stock.status.rawValue) at \(stock.site): see the shortage alternatives before giving this dose."
            )
        }
        if let given = d.course.givenAfterStop, d.action == .stop {
            let series = timeline.index.given[PatientTimeline.anakinraSlot]
            alerts.append(
                Alert(
                    code: .administeredAfterStop, fields: [.doseMg],
                    eventIds: [timeline.eventIds[Int(series.events[given])]]))
        }
        if let deviation = d.doseDeviation, d.action.dosesAnakinra || d.action == .hold {
            let series = timeline.index.given[PatientTimeline.anakinraSlot]
            let eventId = timeline.eventIds[Int(series.events[deviation.given])]
            alerts.append(Alert(code: .administeredDoseDeviation, fields: [.doseMg], eventIds: [eventId]))
            let perKg =
                AnakinraDosing.validatedWeight(weightKg).map {
                    " (\((ExactAmount(deviation.givenMg) / $0).decimalText(places: 1)) mg/kg)"
                } ?? ""
            let expected = deviation.expectedMg ?? dose?.mg
            let computed = expected.map { "\($0) mg" } ?? dose.flatMap { $0.dailyMg.map { "\($0) mg/day" } } ?? "—"
            rationale.append(
                "The last dose given, \(deviation.givenMg) mg\(perKg), differs by more than 10 % from the dose computed for this step, \(computed): the protocol dose is recommended, not the administered one."
            )
        }
    }

    /// The findings that make IEC-HS unstable, as text (§A13.6).
    func iecHsInstabilityText() -> String {
        let labs = timeline.index.labs
        return decision.iecHsInstability.map { finding in
            switch finding {
            case .lab(let test, let reference, let current):
                let series = labs[test.ordinal]
                let before = series.values[reference].value
                let now = series.values[current].value
                func text(_ value: Double) -> String { ExactAmount(measured: value, places: 2)?.description ?? "?" }
                let change = Int(((now - before) / before * 100).rounded())
                return
                    "\(test.rawValue) \(text(before)) → \(text(now)) \(test.canonicalUnit) (\(change >= 0 ? "+" : "")\(change) %)"
            case .newFeature: return "a new IEC-HS feature"
            case .newOrganSupport: return "new organ support"
            }
        }.joined(separator: "; ")
    }

    /// The decisive reason of `iec-hs-not-stable`, citing the labs that moved.
    func iecHsNotStableReason() -> Reason {
        var observed = CompactList<ObservedValue>()
        for finding in decision.iecHsInstability {
            if case .lab(let test, let reference, let current) = finding {
                observed.append(observedLab(test, reference))
                observed.append(observedLab(test, current))
            }
        }
        if let grade = observedGrade(.iecHs) { observed.append(grade) }
        return Reason(
            code: .iecHsNotStable,
            rule: .taper,
            source: "clinical-spec A13.6",
            decisive: true,
            observed: observed
        )
    }
}
