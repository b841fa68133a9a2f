package import ToxicityRules

// The wire form of the shortage alternatives (DESIGN.md §3 `shortage-alternative`,
// `Schemas/shortage-alternative.schema.json`).

/// An ``AlternativeDose`` on the wire: every field written, `null` when unknown.
package struct AlternativeDoseWire: Codable, Hashable, Sendable {
    package var dose: AlternativeDose

    package init(_ dose: AlternativeDose) { self.dose = dose }

    private enum CodingKeys: String, CodingKey { case mg, mgPerKg, route, frequency, schedule, dailyMg }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .route)
        guard let route = Route(rawValue: text) else {
            throw DecodingError.dataCorruptedError(forKey: .route, in: c, debugDescription: "unknown route \(text)")
        }
        dose = AlternativeDose(
            mg: try c.decodeIfPresent(Double.self, forKey: .mg),
            mgPerKg: try c.decodeIfPresent(Double.self, forKey: .mgPerKg),
            route: route,
            frequency: try c.decodeRawIfPresent(DoseFrequency.self, forKey: .frequency),
            schedule: try c.decode(String.self, forKey: .schedule),
            dailyMg: try c.decodeIfPresent(Double.self, forKey: .dailyMg))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dose.mg, forKey: .mg)
        try c.encode(dose.mgPerKg, forKey: .mgPerKg)
        try c.encode(dose.route.rawValue, forKey: .route)
        try c.encode(dose.frequency?.rawValue, forKey: .frequency)
        try c.encode(dose.schedule, forKey: .schedule)
        try c.encode(dose.dailyMg, forKey: .dailyMg)
    }
}

/// An ``AlternativeOption`` on the wire (`dose`, `label` and `protocol` left out when absent).
package struct AlternativeOptionWire: Codable, Hashable, Sendable {
    package var rank: Int
    package var drug: String
    package var dose: AlternativeDoseWire?
    package var label: String?
    package var rationale: String
    package var evidence: String
    package var status: RawValueWire<EvidenceStatus>
    package var cautions: [ReasonWire]
    package var protocolId: String?

    private enum CodingKeys: String, CodingKey {
        case rank, drug, dose, label, rationale, evidence, status, cautions
        case protocolId = "protocol"
    }

    package init(_ option: AlternativeOption) {
        rank = option.rank
        drug = option.drug
        dose = option.dose.map(AlternativeDoseWire.init)
        label = option.label
        rationale = option.rationale
        evidence = option.evidence
        status = RawValueWire(option.status)
        cautions = option.cautions.wire
        protocolId = option.protocolId
    }

    /// The rules value.
    package var option: AlternativeOption {
        AlternativeOption(
            rank: rank, drug: drug, dose: dose?.dose, label: label, rationale: rationale, evidence: evidence,
            status: status.value, cautions: cautions.reasons, protocolId: protocolId)
    }
}

/// An ``ExcludedAlternative`` on the wire.
package struct ExcludedAlternativeWire: Codable, Hashable, Sendable {
    package var drug: String
    package var reason: ReasonWire

    package init(_ excluded: ExcludedAlternative) {
        drug = excluded.drug
        reason = ReasonWire(excluded.reason)
    }

    /// The rules value.
    package var excluded: ExcludedAlternative { ExcludedAlternative(drug: drug, reason: reason.reason) }
}

/// A ``ShortageNeed`` on the wire (unknown amounts left out).
package struct ShortageNeedWire: Codable, Hashable, Sendable {
    package var mg: Double?
    package var doses: Int?
    package var units: Int?

    package init(_ need: ShortageNeed) {
        mg = need.mg
        doses = need.doses
        units = need.units
    }

    /// The rules value.
    package var need: ShortageNeed { ShortageNeed(mg: mg, doses: doses, units: units) }
}

/// A ``ShortageAlternative`` on the wire, with `requiresClinicianVerification: true`.
package struct ShortageAlternativeWire: Codable, Hashable, Sendable {
    package var advice: ShortageAlternative

    package init(_ advice: ShortageAlternative) { self.advice = advice }

    private enum CodingKeys: String, CodingKey {
        case shortDrug, site, status, cause, reasons, alternatives, excluded, need24h, requiresClinicianVerification
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        advice = ShortageAlternative(
            shortDrug: try c.decode(String.self, forKey: .shortDrug),
            site: try c.decodeIfPresent(String.self, forKey: .site),
            status: try c.decodeIfPresent(String.self, forKey: .status).flatMap { StockStatus(rawValue: $0) },
            cause: try c.decodeIfPresent(String.self, forKey: .cause) ?? "shortage",
            reasons: try c.decodeIfPresent([ReasonWire].self, forKey: .reasons)?.reasons ?? [],
            alternatives: try c.decode([AlternativeOptionWire].self, forKey: .alternatives).map(\.option),
            excluded: try c.decodeIfPresent([ExcludedAlternativeWire].self, forKey: .excluded)?.map(\.excluded) ?? [],
            need24h: try c.decodeIfPresent(ShortageNeedWire.self, forKey: .need24h)?.need)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(advice.shortDrug, forKey: .shortDrug)
        try c.encode(advice.site, forKey: .site)
        try c.encode(advice.status?.rawValue, forKey: .status)
        try c.encode(advice.cause, forKey: .cause)
        try c.encode(advice.reasons.wire, forKey: .reasons)
        try c.encode(advice.alternatives.map(AlternativeOptionWire.init), forKey: .alternatives)
        try c.encode(advice.excluded.map(ExcludedAlternativeWire.init), forKey: .excluded)
        try c.encode(advice.need24h.map(ShortageNeedWire.init), forKey: .need24h)
        try c.encode(true, forKey: .requiresClinicianVerification)
    }
}

extension [ShortageAlternative] {
    /// The alternatives on the wire.
    package var wire: [ShortageAlternativeWire] { map(ShortageAlternativeWire.init) }
}

// The byte writers of the shortage alternatives: the same members as the `Codable` forms above, in
// `.sortedKeys` order.

extension AlternativeDoseWire {
    /// Writes `dose` as its wire form encodes it.
    package static func encode(_ dose: AlternativeDose, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        try writer.memberOrNull("dailyMg", dose.dailyMg)
        writer.memberOrNull("frequency", dose.frequency?.rawValue)
        try writer.memberOrNull("mg", dose.mg)
        try writer.memberOrNull("mgPerKg", dose.mgPerKg)
        writer.member("route", dose.route.rawValue)
        writer.member("schedule", dose.schedule)
        writer.endObject()
    }
}

extension AlternativeOptionWire {
    /// Writes `option` as its wire form encodes it.
    package static func encode(_ option: AlternativeOption, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        try writer.member("cautions", reasons: option.cautions)
        if let dose = option.dose {
            writer.key("dose")
            try AlternativeDoseWire.encode(dose, into: &writer)
        }
        writer.member("drug", option.drug)
        writer.member("evidence", option.evidence)
        writer.memberIfPresent("label", option.label)
        writer.memberIfPresent("protocol", option.protocolId)
        writer.member("rank", option.rank)
        writer.member("rationale", option.rationale)
        writer.member("status", option.status.rawValue)
        writer.endObject()
    }
}

extension ExcludedAlternativeWire {
    /// Writes `excluded` as its wire form encodes it.
    package static func encode(_ excluded: ExcludedAlternative, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.member("drug", excluded.drug)
        writer.key("reason")
        try ReasonWire.encode(excluded.reason, into: &writer)
        writer.endObject()
    }
}

extension ShortageNeedWire {
    /// Writes `need` as its wire form encodes it.
    package static func encode(_ need: ShortageNeed, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.memberIfPresent("doses", need.doses)
        try writer.memberIfPresent("mg", need.mg)
        writer.memberIfPresent("units", need.units)
        writer.endObject()
    }
}

extension ShortageAlternativeWire {
    /// Writes the members of `advice` with those of its output envelope, as ``OutputEnvelope``
    /// encodes them (one object, keys sorted across both).
    package static func encode(
        _ advice: ShortageAlternative, envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter
    ) throws(JSONByteWriter.Unwritable) {
        writer.beginObject()
        try writer.member("alternatives", advice.alternatives, AlternativeOptionWire.encode(_:into:))
        envelope.writeAssessedAt(into: &writer)
        writer.member("cause", advice.cause)
        try writer.member("excluded", advice.excluded, ExcludedAlternativeWire.encode(_:into:))
        envelope.writeID(into: &writer)
        writer.key("need24h")
        if let need = advice.need24h { try ShortageNeedWire.encode(need, into: &writer) } else { writer.null() }
        envelope.writePatientID(into: &writer)
        try writer.member("reasons", reasons: advice.reasons)
        writer.member("requiresClinicianVerification", true)
        writer.member("shortDrug", advice.shortDrug)
        writer.memberOrNull("site", advice.site)
        writer.memberOrNull("status", advice.status?.rawValue)
        envelope.writeType(into: &writer)
        writer.endObject()
    }
}
