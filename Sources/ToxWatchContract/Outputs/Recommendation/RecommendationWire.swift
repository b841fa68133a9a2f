import Foundation
package import ToxicityRules

// The wire form of the anakinra recommendation (DESIGN.md §3 `anakinra-recommendation`,
// `Schemas/anakinra-recommendation.schema.json`): every field of the explained recommendation,
// `requiresClinicianVerification: true`, and the dose with its `null`s written out.

/// A ``RecommendedDose`` on the wire: `mg`, `mgPerKg`, `frequency` and `dailyMg` are always
/// written (`null` without a frequency or weight), `options` only when there are some.
package struct RecommendedDoseWire: Codable, Hashable, Sendable {
    package var dose: RecommendedDose

    package init(_ dose: RecommendedDose) { self.dose = dose }

    private enum CodingKeys: String, CodingKey {
        case mg, mgPerKg, route, frequency, dailyMg, options, syringesPerDose, volumePerDoseML
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let routeText = try c.decode(String.self, forKey: .route)
        guard let route = Route(rawValue: routeText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .route, in: c, debugDescription: "unknown route \(routeText)")
        }
        dose = RecommendedDose(
            mg: try c.decodeIfPresent(Int.self, forKey: .mg),
            mgPerKg: try c.decodeIfPresent(Double.self, forKey: .mgPerKg),
            route: route,
            frequency: try c.decodeRawIfPresent(DoseFrequency.self, forKey: .frequency),
            dailyMg: try c.decodeIfPresent(Int.self, forKey: .dailyMg),
            options: try c.decodeIfPresent([RecommendedDoseOptionWire].self, forKey: .options)?.map(\.option) ?? [],
            syringesPerDose: try c.decodeIfPresent(Int.self, forKey: .syringesPerDose),
            volumePerDoseML: try c.decodeIfPresent(Double.self, forKey: .volumePerDoseML))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dose.mg, forKey: .mg)
        try c.encode(dose.mgPerKg, forKey: .mgPerKg)
        try c.encode(dose.route.rawValue, forKey: .route)
        try c.encode(dose.frequency?.rawValue, forKey: .frequency)
        try c.encode(dose.dailyMg, forKey: .dailyMg)
        if !dose.options.isEmpty { try c.encode(dose.options.map(RecommendedDoseOptionWire.init), forKey: .options) }
        try c.encodeIfPresent(dose.syringesPerDose, forKey: .syringesPerDose)
        try c.encodeIfPresent(dose.volumePerDoseML, forKey: .volumePerDoseML)
    }
}

/// A ``RecommendedDoseOption`` on the wire.
package struct RecommendedDoseOptionWire: Codable, Hashable, Sendable {
    package var frequency: RawValueWire<DoseFrequency>
    package var mg: Int
    package var dailyMg: Int

    package init(_ option: RecommendedDoseOption) {
        frequency = RawValueWire(option.frequency)
        mg = option.mg
        dailyMg = option.dailyMg
    }

    /// The rules value.
    package var option: RecommendedDoseOption {
        RecommendedDoseOption(frequency: frequency.value, mg: mg, dailyMg: dailyMg)
    }
}

/// An ``EvidenceItem`` on the wire (`status` left out when not stated).
package struct EvidenceItemWire: Codable, Hashable, Sendable {
    package var about: String
    package var source: String
    package var status: RawValueWire<EvidenceStatus>?

    package init(_ item: EvidenceItem) {
        about = item.about
        source = item.source
        status = item.status.map(RawValueWire.init)
    }

    /// The rules value.
    package var item: EvidenceItem { EvidenceItem(about: about, source: source, status: status?.value) }
}

/// An ``AnakinraRecommendation`` on the wire: the fields of its body beside each other.
package struct AnakinraRecommendationWire: Codable, Hashable, Sendable {
    package var recommendation: AnakinraRecommendation

    package init(_ recommendation: AnakinraRecommendation) { self.recommendation = recommendation }

    private enum CodingKeys: String, CodingKey {
        case action, dose, nextDoseDueAt, caps, rationale, reasons, warnings, alerts
        case protocolId = "protocol"
        case evidence, requiresClinicianVerification, inputEventIds
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let body = RecommendationBody(
            action: try c.decodeRaw(RecommendationAction.self, forKey: .action),
            dose: try c.decodeIfPresent(RecommendedDoseWire.self, forKey: .dose)?.dose,
            nextDoseDueAt: try c.decodeIfPresent(Date.self, forKey: .nextDoseDueAt),
            caps: try c.decodeIfPresent([ReasonWire].self, forKey: .caps)?.reasons ?? [],
            rationale: try c.decodeIfPresent([String].self, forKey: .rationale) ?? [],
            reasons: try c.decodeIfPresent([ReasonWire].self, forKey: .reasons)?.reasons ?? [],
            warnings: try c.decodeIfPresent([ReasonWire].self, forKey: .warnings)?.reasons ?? [],
            alerts: try c.decodeIfPresent([AlertWire].self, forKey: .alerts)?.alerts ?? [],
            protocolId: try c.decodeIfPresent(String.self, forKey: .protocolId),
            evidence: try c.decodeIfPresent([EvidenceItemWire].self, forKey: .evidence)?.map(\.item) ?? [],
            inputEventIds: try c.decodeIfPresent([String].self, forKey: .inputEventIds) ?? [])
        recommendation = AnakinraRecommendation(body: body)
    }

    package func encode(to encoder: any Encoder) throws {
        let body = recommendation.body
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(body.action.rawValue, forKey: .action)
        try c.encode(body.dose.map(RecommendedDoseWire.init), forKey: .dose)
        try c.encode(body.nextDoseDueAt, forKey: .nextDoseDueAt)
        try c.encode(body.caps.wire, forKey: .caps)
        try c.encode(body.rationale, forKey: .rationale)
        try c.encode(body.reasons.wire, forKey: .reasons)
        try c.encode(body.warnings.wire, forKey: .warnings)
        try c.encode(body.alerts.wire, forKey: .alerts)
        try c.encode(body.protocolId, forKey: .protocolId)
        try c.encode(body.evidence.map(EvidenceItemWire.init), forKey: .evidence)
        try c.encode(true, forKey: .requiresClinicianVerification)
        try c.encode(body.inputEventIds, forKey: .inputEventIds)
    }
}

// The byte writers of the recommendation: the same members as the `Codable` forms above, in
// `.sortedKeys` order, dates as `.iso8601` (``OutputCoding``).

extension RecommendedDoseWire {
    /// Writes `dose` as its wire form encodes it.
    package static func encode(_ dose: RecommendedDose, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.memberOrNull("dailyMg", dose.dailyMg)
        writer.memberOrNull("frequency", dose.frequency?.rawValue)
        writer.memberOrNull("mg", dose.mg)
        try writer.memberOrNull("mgPerKg", dose.mgPerKg)
        if !dose.options.isEmpty {
            writer.key("options")
            writer.beginArray()
            for option in dose.options { RecommendedDoseOptionWire.encode(option, into: &writer) }
            writer.endArray()
        }
        writer.member("route", dose.route.rawValue)
        writer.memberIfPresent("syringesPerDose", dose.syringesPerDose)
        try writer.memberIfPresent("volumePerDoseML", dose.volumePerDoseML)
        writer.endObject()
    }
}

extension RecommendedDoseOptionWire {
    /// Writes `option` as its wire form encodes it.
    package static func encode(_ option: RecommendedDoseOption, into writer: inout JSONByteWriter) {
        writer.beginObject()
        writer.member("dailyMg", option.dailyMg)
        writer.member("frequency", option.frequency.rawValue)
        writer.member("mg", option.mg)
        writer.endObject()
    }
}

extension EvidenceItemWire {
    /// Writes `item` as its wire form encodes it.
    package static func encode(_ item: EvidenceItem, into writer: inout JSONByteWriter) {
        writer.beginObject()
        writer.member("about", item.about)
        writer.member("source", item.source)
        writer.memberIfPresent("status", item.status?.rawValue)
        writer.endObject()
    }
}

extension AnakinraRecommendationWire {
    /// Writes the members of `recommendation` with those of its output envelope, as
    /// ``OutputEnvelope`` encodes them (one object, keys sorted across both).
    package static func encode(
        _ recommendation: AnakinraRecommendation, envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter
    ) throws(JSONByteWriter.Unwritable) {
        let body = recommendation.body
        writer.beginObject()
        writer.member("action", body.action.rawValue)
        writer.member("alerts", alerts: body.alerts)
        envelope.writeAssessedAt(into: &writer)
        try writer.member("caps", reasons: body.caps)
        writer.key("dose")
        if let dose = body.dose { try RecommendedDoseWire.encode(dose, into: &writer) } else { writer.null() }
        writer.key("evidence")
        writer.beginArray()
        for item in body.evidence { EvidenceItemWire.encode(item, into: &writer) }
        writer.endArray()
        envelope.writeID(into: &writer)
        writer.member("inputEventIds", body.inputEventIds)
        writer.key("nextDoseDueAt")
        if let due = body.nextDoseDueAt { writer.iso8601(due) } else { writer.null() }
        envelope.writePatientID(into: &writer)
        writer.memberOrNull("protocol", body.protocolId)
        writer.member("rationale", body.rationale)
        try writer.member("reasons", reasons: body.reasons)
        writer.member("requiresClinicianVerification", true)
        envelope.writeType(into: &writer)
        try writer.member("warnings", reasons: body.warnings)
        writer.endObject()
    }
}
