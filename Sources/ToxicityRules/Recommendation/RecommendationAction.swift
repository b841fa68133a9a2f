/// What the pharmacy is asked to do with anakinra.
package enum RecommendationAction: String, Sendable, Hashable, CaseIterable {
    case start
    case `continue`
    case escalate
    case taper
    case stop
    case hold
    case none

    /// Actions that give a dose.
    package var dosesAnakinra: Bool {
        switch self {
        case .start, .continue, .escalate, .taper: true
        case .stop, .hold, .none: false
        }
    }
}
