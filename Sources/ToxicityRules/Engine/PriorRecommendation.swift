package import Foundation

/// A recommendation the engine made earlier for this patient, fed back into the timeline so that
/// course rules (continue, taper, recurrence) can see what was advised. Only recommendations issued
/// at or before the instant evaluated count.
///
/// Stored in the worker's changelog with the action and route as their wire strings (`"start"`,
/// `"IV"`), as it always was.
package struct PriorRecommendation: Hashable, Sendable, Codable {
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

    private enum CodingKeys: String, CodingKey {
        case id, issuedAt, action, drug, doseMg, dailyMg, intervalHours, route, protocolId
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        issuedAt = try c.decode(Date.self, forKey: .issuedAt)
        action = try c.decode(RecommendationAction.self, forKey: .action)
        drug = try c.decode(String.self, forKey: .drug)
        doseMg = try c.decodeIfPresent(Double.self, forKey: .doseMg)
        dailyMg = try c.decodeIfPresent(Double.self, forKey: .dailyMg)
        intervalHours = try c.decodeIfPresent(Double.self, forKey: .intervalHours)
        // A route this version does not know counts as none: the course rules then take the
        // route of the latest administration, as they always did.
        route = try c.decodeIfPresent(String.self, forKey: .route).flatMap(Route.init(rawValue:))
        protocolId = try c.decodeIfPresent(String.self, forKey: .protocolId)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(issuedAt, forKey: .issuedAt)
        try c.encode(action, forKey: .action)
        try c.encode(drug, forKey: .drug)
        try c.encodeIfPresent(doseMg, forKey: .doseMg)
        try c.encodeIfPresent(dailyMg, forKey: .dailyMg)
        try c.encodeIfPresent(intervalHours, forKey: .intervalHours)
        try c.encodeIfPresent(route?.rawValue, forKey: .route)
        try c.encodeIfPresent(protocolId, forKey: .protocolId)
    }
}
