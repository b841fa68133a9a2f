// The course's dose (clinical-spec §A13.1–2): the dose `continue` and a taper start from is the
// protocol's (or the engine's recommended) dose, never an administered amount. One administration
// of a protocol stated per day without a frequency is one dose of an interval, not the day's total.

/// An administered dose more than 10 % away from the dose computed for the same step (§A13.2).
struct DoseDeviation: Hashable, Sendable {
    /// Index in `given[anakinra]` of the administration.
    var given: Int
    /// The administered mg.
    var givenMg: Int
    /// The per-dose mg computed for the step, when the step has one.
    var expectedMg: Int?
}

extension PatientTimeline {
    /// Relative tolerance between an administered dose and the dose computed for its step (§A13.2).
    static let doseDeviationTolerance = 0.10

    /// Whether `given` is within the tolerance of `expected`.
    static func matches(_ given: Int, _ expected: Int) -> Bool {
        Double(abs(given - expected)) <= doseDeviationTolerance * Double(expected)
    }

    /// Settles the course's regimen and full dose against the protocol (§A13.1–2) and records a
    /// deviation of the latest administration.
    ///
    /// - Read from the administrations: the administered dose is matched against the protocol's
    ///   doses (the starting doses and the doses its escalation reaches); a match gives that
    ///   protocol dose, no match gives the starting dose and a deviation.
    /// - Read from the engine's recommendations: the latest administration is compared with the
    ///   per-dose mg recommended when it was given.
    /// - A daily dose without a frequency takes the interval from the administrations (two or
    ///   more), else from the recommended options the administered mg matches, else stays a daily
    ///   dose (`frequency-required`).
    func settleCourseDose(
        _ p: PreparedProtocol, weight: Double?, severe: Bool, decision d: inout RecommendationDecision
    ) {
        let course = d.course
        guard let given = course.lastGivenMg, let last = course.last, let first = course.first else { return }
        let series = index.given[Self.anakinraSlot]
        let observedFrequency: DoseFrequency? =
            last > first ? .nearest(hours: (series.times[last] - series.times[last - 1]) / 3600) : nil

        if course.regimenFromAdministrations {
            let doses = protocolDoses(p.value, weight: weight, route: course.regimen?.route ?? p.preferredRoute)
            guard
                let start = doses.first(where: { $0.level == (severe ? .severe : .lessIll) })?.dose ?? doses.first?.dose
            else { return }
            let frequency = p.defaultFrequency ?? observedFrequency
            if let matched = doses.lazy.compactMap({ self.split($0.dose, given: given, at: frequency, p.value, weight) }
            )
            .first {
                d.course.regimen = matched
            } else if start.frequency == nil, frequency == nil {
                // No clean split of any protocol daily dose: keep the daily dose, the prescriber
                // chooses the interval.
                d.course.regimen = start
                if Double(given) > Double(start.dailyMg) * (1 + Self.doseDeviationTolerance) {
                    d.doseDeviation = DoseDeviation(given: last, givenMg: given, expectedMg: nil)
                }
            } else {
                let protocolDose = frequency.flatMap { split(start, at: $0, p.value, weight) } ?? start
                d.course.regimen = protocolDose
                d.doseDeviation = DoseDeviation(given: last, givenMg: given, expectedMg: protocolDose.mg)
            }
            if d.course.taperStart == nil || d.course.fullDose == course.regimen {
                d.course.fullDose = d.course.regimen
            } else if let full = course.fullDose, let fullMg = full.mg {
                d.course.fullDose =
                    doses.lazy.compactMap({ self.split($0.dose, given: fullMg, at: full.frequency, p.value, weight) })
                    .first ?? start
            }
            return
        }

        if let expected = course.recommendedMgAtLastDose, !Self.matches(given, expected) {
            d.doseDeviation = DoseDeviation(given: last, givenMg: given, expectedMg: expected)
        }
        // A recommended daily dose without a frequency (§A13.1).
        for keyPath in [\TherapyCourse.regimen, \TherapyCourse.fullDose] {
            guard let dose = d.course[keyPath: keyPath], dose.frequency == nil else { continue }
            if let frequency = observedFrequency, let split = split(dose, at: frequency, p.value, weight) {
                d.course[keyPath: keyPath] = split
            } else if let split = split(dose, given: given, at: nil, p.value, weight) {
                d.course[keyPath: keyPath] = split
            }
        }
    }

    /// The protocol's doses for this weight: its starting doses (less ill, severe) and every dose
    /// its escalation reaches from them, in that order.
    func protocolDoses(_ p: AnakinraProtocol, weight: Double?, route: Route) -> [(level: DoseLevel?, dose: CurrentDose)]
    {
        var doses: [(level: DoseLevel?, dose: CurrentDose)] = []
        for level in [DoseLevel.lessIll, .severe] {
            let request = DoseRequest(weightKg: weight, level: level, frequency: nil, route: route)
            guard let calculation = AnakinraDosing.calculate(p, request, explain: false).calculation,
                let dose = CurrentDose(calculation), !doses.contains(where: { $0.dose == dose })
            else { continue }
            doses.append((level, dose))
        }
        var frontier = doses.map(\.dose)
        for _ in 0..<4 {
            var next: [CurrentDose] = []
            for dose in frontier {
                guard case .escalated(let c) = AnakinraDosing.escalate(p, from: dose, weightKg: weight, explain: false),
                    let escalated = CurrentDose(c), !doses.contains(where: { $0.dose == escalated })
                else { continue }
                doses.append((nil, escalated))
                next.append(escalated)
            }
            if next.isEmpty { break }
            frontier = next
        }
        return doses
    }

    /// `dose` at `frequency` (the same daily dose split into doses), computed with every cap.
    func split(_ dose: CurrentDose, at frequency: DoseFrequency, _ p: AnakinraProtocol, _ weight: Double?)
        -> CurrentDose?
    {
        if dose.frequency == frequency { return dose }
        guard dose.frequency == nil, let w = AnakinraDosing.validatedWeight(weight) else { return nil }
        let daily = ExactAmount(dose.dailyMg)
        let amount: ExactAmount
        switch p.dose.basis {
        case .perDayMgPerKg: amount = daily / w
        case .perDayMg: amount = daily
        case .perDoseMgPerKg: amount = daily / w / frequency.dosesPer24Hours
        case .perDoseMg: amount = daily / frequency.dosesPer24Hours
        }
        let request = DoseRequest(weightKg: weight, level: .prescribed(amount), frequency: frequency, route: dose.route)
        guard let c = AnakinraDosing.calculate(p, request, explain: false).calculation, let mg = c.mg else {
            return nil
        }
        return CurrentDose(mg: mg, frequency: frequency, route: dose.route)
    }

    /// The protocol dose `dose` that an administered `given` mg is one dose of: at `frequency`
    /// when known, else at the first of the protocol's frequency options it matches.
    func split(_ dose: CurrentDose, given: Int, at frequency: DoseFrequency?, _ p: AnakinraProtocol, _ weight: Double?)
        -> CurrentDose?
    {
        let candidates: [DoseFrequency] =
            if let frequency { [frequency] } else if let own = dose.frequency { [own] } else {
                p.frequency.options.isEmpty ? p.frequency.allowed : p.frequency.options
            }
        for frequency in candidates {
            guard let split = split(dose, at: frequency, p, weight), let mg = split.mg, Self.matches(given, mg) else {
                continue
            }
            return split
        }
        return nil
    }
}

extension PatientTimeline {
    /// §A13.4: whether a fixed-dose regimen (mg, not mg/kg) gives this weight more than the seed's
    /// 10 mg/kg/day.
    func exceedsWeightBasedMaximum(_ p: PreparedProtocol, plan: DosePlan, weight: Double?) -> Bool {
        guard !p.value.dose.basis.isWeightBased, let w = AnakinraDosing.validatedWeight(weight),
            let daily = plannedDailyMg(p.value, plan: plan, weight: weight)
        else { return false }
        return ExactAmount(daily) > w * AnakinraDosing.seedMaximumMgPerKgPerDay
    }

    /// The daily mg a plan gives (the decision's arithmetic, without the explanation).
    func plannedDailyMg(_ p: AnakinraProtocol, plan: DosePlan, weight: Double?) -> Int? {
        switch plan {
        case .none:
            return nil
        case .protocolDose(let level):
            return AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, level: level), explain: false)
                .calculation?.dailyMg
        case .regimen(let dose):
            return dose.dailyMg
        case .escalation(let dose):
            if case .escalated(let c) = AnakinraDosing.escalate(p, from: dose, weightKg: weight, explain: false) {
                return c.dailyMg
            }
            return dose.dailyMg
        case .taper(let full, let step):
            let steps = AnakinraDosing.taperSchedule(p, from: full, weightKg: weight, explain: false).steps ?? []
            return step >= 1 && step <= steps.count ? steps[step - 1].dailyMg : nil
        }
    }
}
