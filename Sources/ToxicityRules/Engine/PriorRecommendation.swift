package import Foundation

/// A recommendation the engine made earlier for this patient, fed back into the timeline so that
/// course rules (continue, taper, recurrence) can see what was advised. Only recommendations issued
/// at or before the instant evaluated count.
///
/// Stored in the worker's changelog as a `PriorRecommendationWire` (ToxWatchContract).
package struct PriorRecommendation: Hashable, Sendable {
    /// The deterministic id of the earlier output.
    package var id: String
    package var issuedAt: Date
    package var action: RecommendationAction
    package var drug: String
    package var doseMg: Double?
    /// The course's daily dose (mg per 24 h), also when no frequency was chosen yet (CHOP's
    /// `start` gives a daily dose with options): §A13.1. Optional, so earlier changelogs decode.
    package var dailyMg: Double?
    /// Dosing interval in hours (6 for Q6H …), when there was one.
    package var intervalHours: Double?
    /// The route of the dose, when there was one.
    package var route: Route?
    package var protocolId: String?

    package init(
        id: String, issuedAt: Date, action: RecommendationAction, drug: String = "anakinra", doseMg: Double? = nil,
        intervalHours: Double? = nil, route: Route? = nil, protocolId: String? = nil, dailyMg: Double? = nil
    ) {
        self.id = id
        self.issuedAt = issuedAt
        self.action = action
        self.drug = drug
        self.doseMg = doseMg
        self.dailyMg = dailyMg
        self.intervalHours = intervalHours
        self.route = route
        self.protocolId = protocolId
    }
}
