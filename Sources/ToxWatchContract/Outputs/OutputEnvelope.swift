package import Foundation
package import ToxicityRules

// The worker's outputs as wire models (DESIGN.md §3 "Outputs", `Schemas/toxicity-grades.schema.json`,
// `anakinra-recommendation.schema.json`, `shortage-alternative.schema.json`): an envelope (`type`,
// `id`, `patientId`, `assessedAt`) with the body's fields beside it at the top level. `toxd` writes
// them; `toxctl`, tests and other consumers read them back with the same types.

/// The output types of DESIGN.md §3 and the topic each is published on (keyed by patient id).
package enum OutputType: String, Sendable, Hashable, CaseIterable {
    case toxicityGrades = "toxicity-grades"
    case anakinraRecommendation = "anakinra-recommendation"
    case shortageAlternative = "shortage-alternative"

    package var topic: String {
        switch self {
        case .toxicityGrades: ToxWatchTopics.toxicityGrades
        case .anakinraRecommendation: ToxWatchTopics.anakinraRecommendations
        case .shortageAlternative: ToxWatchTopics.shortageAlternatives
        }
    }

    /// The JSON Schema file in `Schemas/` that describes one record of the topic.
    package var schemaFile: String { "\(rawValue).schema.json" }
}

/// A body that travels in an ``OutputEnvelope``: its fields sit beside the envelope's. The body is
/// a rules value; its ``Wire`` is what is encoded and decoded.
package protocol OutputBody: Sendable {
    /// The body's wire form (the body itself when it is `Codable`).
    associatedtype Wire: Codable = Self
    static var outputType: OutputType { get }
    /// The body on the wire.
    var wire: Wire { get }
    /// The body read from the wire.
    init(wire: Wire)
    /// Writes the output record: the body's members and the envelope's, in one object, keys
    /// sorted across both, exactly as `OutputCoding.encoder` encodes ``OutputEnvelope``.
    func encode(envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter) throws(JSONByteWriter.Unwritable)
}

extension OutputBody {
    /// A body without a writer of its own: Foundation's encoding of the record (the reference path).
    package func encode(envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        let record = OutputEnvelope(
            id: envelope.id, patientId: envelope.patientId, assessedAt: envelope.assessedAt, body: self)
        do {
            writer.rawValue(Array(try OutputCoding.encoder.encode(record)))
        } catch {
            throw JSONByteWriter.Unwritable(value: "\(error)")
        }
    }
}

/// The envelope's members (`type`, `id`, `patientId`, `assessedAt`), which a body's writer writes
/// where their keys fall among its own.
package struct OutputEnvelopeMembers: Sendable {
    package var type: OutputType
    package var id: String
    package var patientId: String
    package var assessedAt: Date

    package func writeAssessedAt(into writer: inout JSONByteWriter) { writer.member("assessedAt", iso8601: assessedAt) }
    package func writeID(into writer: inout JSONByteWriter) { writer.member("id", id) }
    package func writePatientID(into writer: inout JSONByteWriter) { writer.member("patientId", patientId) }
    package func writeType(into writer: inout JSONByteWriter) { writer.member("type", type.rawValue) }
}

extension OutputBody where Wire == Self {
    /// A body that is its own wire form.
    package var wire: Self { self }

    package init(wire: Self) { self = wire }
}

/// One output record: the envelope of DESIGN.md §3 and its body, encoded flat
/// (`{"type", "id", "patientId", "assessedAt", …body fields}`).
///
/// ```swift
/// let output = ToxicityGradesOutput(id: id, patientId: "MRN1", assessedAt: t, body: body)
/// let bytes = try output.encoded()                       // the Kafka record value
/// let back = try ToxicityGradesOutput.decode(bytes)      // throws(EventDecodingError)
/// ```
package struct OutputEnvelope<Body: OutputBody>: Sendable {
    /// Deterministic: derived from the patient and the input or timer that caused the output.
    package var id: String
    /// The record key.
    package var patientId: String
    /// The instant the engine assessed.
    package var assessedAt: Date
    package var body: Body

    /// The `type` on the wire.
    package var type: OutputType { Body.outputType }

    package init(id: String, patientId: String, assessedAt: Date, body: Body) {
        self.id = id
        self.patientId = patientId
        self.assessedAt = assessedAt
        self.body = body
    }

    /// The Kafka record value: canonical JSON (sorted keys, timestamps in UTC), written by the
    /// body's byte writer (``OutputBody/encode(envelope:into:)``).
    ///
    /// - Throws: ``EventDecodingError`` when a value cannot be written (a non-finite number).
    package func encodedBytes() throws(EventDecodingError) -> [UInt8] {
        var writer = JSONByteWriter(escapingSlashes: false)
        do {
            try body.encode(
                envelope: OutputEnvelopeMembers(type: type, id: id, patientId: patientId, assessedAt: assessedAt),
                into: &writer)
        } catch {
            throw .invalidValue(path: "", value: type.rawValue, problem: "cannot be encoded: \(error)")
        }
        return writer.bytes
    }

    /// ``encodedBytes()`` as `Data`.
    package func encoded() throws(EventDecodingError) -> Data {
        Data(try encodedBytes())
    }

    /// The same bytes through the reference path, Foundation's `JSONEncoder` with the output
    /// settings (``OutputCoding/encoder``), for the property tests and benchmarks that compare both.
    package func encodedWithFoundation() throws(EventDecodingError) -> Data {
        do {
            return try OutputCoding.encoder.encode(self)
        } catch {
            throw .invalidValue(path: "", value: type.rawValue, problem: "cannot be encoded: \(error)")
        }
    }

    /// Decodes a record value of the output's topic.
    ///
    /// - Throws: ``EventDecodingError`` naming the field (a wrong `type` is an `unknown-value`).
    package static func decode(_ json: Data) throws(EventDecodingError) -> OutputEnvelope {
        do {
            return try OutputCoding.decoder.decode(OutputEnvelope.self, from: json)
        } catch {
            throw EventDecodingError(decoding: error)
        }
    }
}

extension OutputEnvelope: Equatable where Body: Equatable {}
extension OutputEnvelope: Hashable where Body: Hashable {}

extension OutputEnvelope: Codable {
    private enum CodingKeys: String, CodingKey { case type, id, patientId, assessedAt }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard type == Body.outputType.rawValue else {
            throw EventDecodingError.unknownValue(path: "type", value: type, allowed: [Body.outputType.rawValue])
        }
        id = try container.decode(String.self, forKey: .id)
        patientId = try container.decode(String.self, forKey: .patientId)
        assessedAt = try container.decode(Date.self, forKey: .assessedAt)
        guard !id.trimmingWhitespace().isEmpty else {
            throw EventDecodingError.invalidValue(path: "id", value: id, problem: "must not be blank")
        }
        guard !patientId.trimmingWhitespace().isEmpty else {
            throw EventDecodingError.invalidValue(path: "patientId", value: patientId, problem: "must not be blank")
        }
        body = Body(wire: try Body.Wire(from: decoder))
    }

    package func encode(to encoder: any Encoder) throws {
        try body.wire.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(id, forKey: .id)
        try container.encode(patientId, forKey: .patientId)
        try container.encode(assessedAt, forKey: .assessedAt)
    }
}

/// The body of a `toxicity-grades` output (`Schemas/toxicity-grades.schema.json`): CRS, ICANS and
/// IEC-HS at `assessedAt` with their reasons, the input event ids they used, and the grading alerts.
package struct ToxicityGradesBody: OutputBody, Codable, Hashable {
    package static let outputType = OutputType.toxicityGrades

    package var crs: GradeAssessment
    package var icans: GradeAssessment
    package var iecHs: IECHSAssessment
    /// Every input event id a reason or an alert used, sorted.
    package var inputEventIds: [String]
    package var alerts: [Alert]

    package init(
        crs: GradeAssessment,
        icans: GradeAssessment,
        iecHs: IECHSAssessment,
        inputEventIds: [String],
        alerts: [Alert]
    ) {
        self.crs = crs
        self.icans = icans
        self.iecHs = iecHs
        self.inputEventIds = inputEventIds
        self.alerts = alerts
    }

    /// The body of an assessment's grades (what the worker publishes).
    package init(_ grading: GradingResult) {
        let alerts = grading.alerts
        self.init(
            crs: grading.crs,
            icans: grading.icans,
            iecHs: grading.iecHs,
            inputEventIds: grading.eventIds(alerts: alerts),
            alerts: alerts
        )
    }
    private enum CodingKeys: String, CodingKey { case crs, icans, iecHs, inputEventIds, alerts }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            crs: try container.decode(GradeAssessmentWire.self, forKey: .crs).assessment,
            icans: try container.decode(GradeAssessmentWire.self, forKey: .icans).assessment,
            iecHs: try container.decode(IECHSAssessmentWire.self, forKey: .iecHs).assessment,
            inputEventIds: try container.decode([String].self, forKey: .inputEventIds),
            alerts: try container.decode([AlertWire].self, forKey: .alerts).alerts
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(GradeAssessmentWire(crs), forKey: .crs)
        try container.encode(GradeAssessmentWire(icans), forKey: .icans)
        try container.encode(IECHSAssessmentWire(iecHs), forKey: .iecHs)
        try container.encode(inputEventIds, forKey: .inputEventIds)
        try container.encode(alerts.wire, forKey: .alerts)
    }

    package func encode(envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.member("alerts", alerts: alerts)
        envelope.writeAssessedAt(into: &writer)
        writer.key("crs")
        try GradeAssessmentWire.encode(crs, into: &writer)
        writer.key("icans")
        try GradeAssessmentWire.encode(icans, into: &writer)
        envelope.writeID(into: &writer)
        writer.key("iecHs")
        try IECHSAssessmentWire.encode(iecHs, into: &writer)
        writer.member("inputEventIds", inputEventIds)
        envelope.writePatientID(into: &writer)
        envelope.writeType(into: &writer)
        writer.endObject()
    }
}

extension AnakinraRecommendation: OutputBody {
    package static let outputType = OutputType.anakinraRecommendation
    package var wire: AnakinraRecommendationWire { AnakinraRecommendationWire(self) }
    package init(wire: AnakinraRecommendationWire) { self = wire.recommendation }

    package func encode(envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        try AnakinraRecommendationWire.encode(self, envelope: envelope, into: &writer)
    }
}

extension ShortageAlternative: OutputBody {
    package static let outputType = OutputType.shortageAlternative
    package var wire: ShortageAlternativeWire { ShortageAlternativeWire(self) }
    package init(wire: ShortageAlternativeWire) { self = wire.advice }

    package func encode(envelope: OutputEnvelopeMembers, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        try ShortageAlternativeWire.encode(self, envelope: envelope, into: &writer)
    }
}

/// `cart.toxicity-grades.v1`.
package typealias ToxicityGradesOutput = OutputEnvelope<ToxicityGradesBody>
/// `pharmacy.anakinra-recommendations.v1`.
package typealias AnakinraRecommendationOutput = OutputEnvelope<AnakinraRecommendation>
/// `pharmacy.shortage-alternatives.v1`.
package typealias ShortageAlternativeOutput = OutputEnvelope<ShortageAlternative>

/// Any output record, for readers of several output topics (`toxctl`, tests).
package enum ToxWatchOutput: Sendable, Hashable {
    case toxicityGrades(ToxicityGradesOutput)
    case anakinraRecommendation(AnakinraRecommendationOutput)
    case shortageAlternative(ShortageAlternativeOutput)

    package var type: OutputType {
        switch self {
        case .toxicityGrades: .toxicityGrades
        case .anakinraRecommendation: .anakinraRecommendation
        case .shortageAlternative: .shortageAlternative
        }
    }

    package var id: String {
        switch self {
        case .toxicityGrades(let o): o.id
        case .anakinraRecommendation(let o): o.id
        case .shortageAlternative(let o): o.id
        }
    }

    package var patientId: String {
        switch self {
        case .toxicityGrades(let o): o.patientId
        case .anakinraRecommendation(let o): o.patientId
        case .shortageAlternative(let o): o.patientId
        }
    }

    /// Decodes a record of any output topic, dispatching on its `type`.
    package static func decode(_ json: Data) throws(EventDecodingError) -> ToxWatchOutput {
        struct TypeOnly: Decodable { var type: String }
        let probe: TypeOnly
        do {
            probe = try OutputCoding.decoder.decode(TypeOnly.self, from: json)
        } catch {
            throw EventDecodingError(decoding: error)
        }
        switch OutputType(rawValue: probe.type) {
        case .toxicityGrades: return .toxicityGrades(try ToxicityGradesOutput.decode(json))
        case .anakinraRecommendation: return .anakinraRecommendation(try AnakinraRecommendationOutput.decode(json))
        case .shortageAlternative: return .shortageAlternative(try ShortageAlternativeOutput.decode(json))
        case nil:
            throw .unknownValue(path: "type", value: probe.type, allowed: OutputType.allCases.map(\.rawValue))
        }
    }

    package func encoded() throws(EventDecodingError) -> Data {
        switch self {
        case .toxicityGrades(let o): try o.encoded()
        case .anakinraRecommendation(let o): try o.encoded()
        case .shortageAlternative(let o): try o.encoded()
        }
    }
}

/// The JSON settings of every output record: sorted keys, no escaped slashes, timestamps as
/// ISO-8601 in UTC without fractions (what `toxd` has always written); reading accepts any
/// contract timestamp (with an offset, fractions allowed).
package enum OutputCoding {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            switch ISO8601Timestamp.parse(text) {
            case .success(let date): return date
            case .failure(let problem):
                throw EventDecodingError.invalidTimestamp(
                    path: jsonPath(decoder.codingPath),
                    value: text,
                    problem: problem.description
                )
            }
        }
        return decoder
    }()
}
