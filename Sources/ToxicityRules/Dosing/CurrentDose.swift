/// The dose a patient is on now.
package struct CurrentDose: Sendable, Hashable {
    /// Whole mg per dose; `nil` while no frequency is chosen (CHOP).
    package var mg: Int?
    package var frequency: DoseFrequency?
    /// Whole mg per 24 h.
    package var dailyMg: Int
    package var route: Route

    /// A dose given at a frequency.
    package init(mg: Int, frequency: DoseFrequency, route: Route) {
        self.mg = mg
        self.frequency = frequency
        self.dailyMg = mg * frequency.dosesPer24Hours
        self.route = route
    }

    /// A daily dose without a frequency (CHOP before the prescriber chooses one).
    package init(dailyMg: Int, route: Route) {
        self.mg = nil
        self.frequency = nil
        self.dailyMg = dailyMg
        self.route = route
    }

    /// The dose of a calculation; `nil` when it has neither a per-dose nor a daily amount.
    package init?(_ calculation: DoseCalculation) {
        if let mg = calculation.mg, let frequency = calculation.frequency {
            self.init(mg: mg, frequency: frequency, route: calculation.route)
        } else if let daily = calculation.dailyMg {
            self.init(dailyMg: daily, route: calculation.route)
        } else {
            return nil
        }
    }
}

/// The result of an escalation.
package enum EscalationOutcome: Sendable, Hashable {
    /// The escalated dose (its flags include `escalated`).
    case escalated(DoseCalculation)
    /// No headroom: hold the current dose (flag `at-protocol-ceiling`).
    case atCeiling(DosingFlag)
    /// No dose could be calculated (e.g. `weight-required`).
    case noDose([DosingFlag])
}

/// One step of a taper: a reduced dose, or stop.
package struct TaperStep: Sendable, Hashable, CustomStringConvertible {
    /// 1-based position in the schedule.
    package var number: Int
    /// Whole mg per dose; `nil` for stop.
    package var mg: Int?
    package var frequency: DoseFrequency?
    /// Whole mg per 24 h (0 for stop).
    package var dailyMg: Int
    /// Time on this step (`nil` for stop).
    package var hours: HoursRange?
    package var capsApplied: [AppliedCap]
    package var flags: [DosingFlag]
    package var steps: [DoseStep]

    /// Whether this step stops anakinra.
    package var isStop: Bool { mg == nil }

    package var description: String {
        guard let mg, let frequency else { return "\(number). stop" }
        return "\(number). \(mg) mg \(frequency.rawValue) (\(dailyMg) mg/day) for \(hours?.description ?? "?")"
    }
}

/// The result of a taper calculation.
package enum TaperOutcome: Sendable, Hashable {
    /// The remaining steps from the current dose, ending with stop.
    case schedule([TaperStep])
    /// No schedule could be calculated (`frequency-required`, `weight-required`).
    case noDose([DosingFlag])

    package var steps: [TaperStep]? {
        if case .schedule(let steps) = self { return steps }
        return nil
    }
}
