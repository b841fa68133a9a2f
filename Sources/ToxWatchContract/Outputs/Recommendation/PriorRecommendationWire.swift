package import Foundation
package import ToxicityRules

/// A ``PriorRecommendation`` as the worker's changelog stores it: the action and route as their wire
/// strings (`"start"`, `"IV"`), absent values left out. A route this version does not know reads
/// as none: the course rules then take the route of the latest administration, as they always did.
package struct PriorRecommendationWire: Codable, Hashable, Sendable {
    package var id: String
    package var issuedAt: Date
    package var action: RawValueWire<RecommendationAction>
    package var drug: String
    package var doseMg: Double?
    package var dailyMg: Double?
    package var intervalHours: Double?
    package var route: String?
    package var protocolId: String?

    package init(_ prior: PriorRecommendation) {
        id = prior.id
        issuedAt = prior.issuedAt
        action = RawValueWire(prior.action)
        drug = prior.drug
        doseMg = prior.doseMg
        dailyMg = prior.dailyMg
        intervalHours = prior.intervalHours
        route = prior.route?.rawValue
        protocolId = prior.protocolId
    }

    /// The rules value.
    package var prior: PriorRecommendation {
        PriorRecommendation(
            id: id, issuedAt: issuedAt, action: action.value, drug: drug, doseMg: doseMg,
            intervalHours: intervalHours, route: route.flatMap(Route.init(rawValue:)), protocolId: protocolId,
            dailyMg: dailyMg)
    }
}

extension PriorRecommendationWire {
    /// Writes `prior` as its wire form encodes it in the changelog record: `.sortedKeys`, absent
    /// values left out, `issuedAt` as `.deferredToDate` (seconds since 2001-01-01).
    package static func encode(_ prior: PriorRecommendation, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.member("action", prior.action.rawValue)
        try writer.memberIfPresent("dailyMg", prior.dailyMg)
        try writer.memberIfPresent("doseMg", prior.doseMg)
        writer.member("drug", prior.drug)
        writer.member("id", prior.id)
        try writer.memberIfPresent("intervalHours", prior.intervalHours)
        writer.key("issuedAt")
        try writer.referenceSeconds(prior.issuedAt)
        writer.memberIfPresent("protocolId", prior.protocolId)
        writer.memberIfPresent("route", prior.route?.rawValue)
        writer.endObject()
    }
}
