// How the recommended dose is computed, and the plan routed (clinical-spec A5–A8).

/// How the recommended dose is computed (with every cap: ``DecidedDose``).
enum DosePlan: Hashable, Sendable {
    case none
    /// The protocol's dose at a level (A5: severe for grade ≥ 3).
    case protocolDose(DoseLevel)
    /// A dose being given (continue, recurrence), brought under the caps.
    case regimen(CurrentDose)
    /// The escalation arithmetic from the current dose (A7).
    case escalation(from: CurrentDose)
    /// Step `step` (1-based) of the taper from the full dose (A7).
    case taper(from: CurrentDose, step: Int)
}

extension DosePlan {
    /// The plan with its route set (the route rules decide it at every assessment).
    func routed(_ route: Route) -> DosePlan {
        switch self {
        case .none, .protocolDose: return self
        case .regimen(var dose):
            dose.route = route
            return .regimen(dose)
        case .escalation(var dose):
            dose.route = route
            return .escalation(from: dose)
        case .taper(var dose, let step):
            dose.route = route
            return .taper(from: dose, step: step)
        }
    }
}
