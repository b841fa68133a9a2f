package import Foundation
package import ToxicityRules

/// One input record of the contract: an event of a patient's course, or a pharmacy inventory
/// signal (the only event without a patient).
package enum InputEvent: Sendable, Hashable {
    case clinical(ClinicalEvent)
    case inventory(InventoryEvent)

    package var type: EventType {
        switch self {
        case .clinical(let event): event.type
        case .inventory: .inventory
        }
    }

    package var eventId: String {
        switch self {
        case .clinical(let event): event.eventId
        case .inventory(let event): event.eventId
        }
    }

    package var occurredAt: Date {
        switch self {
        case .clinical(let event): event.occurredAt
        case .inventory(let event): event.occurredAt
        }
    }

    /// The Kafka record key: the patient id, or `site/drug` for inventory.
    package var key: String {
        switch self {
        case .clinical(let event): event.patientId
        case .inventory(let event): event.key
        }
    }
}

/// Where an event came from (`source` on the wire): the sending system and message type.
package struct EventSource: Sendable, Hashable {
    /// The sending system (HL7 MSH-3, FHIR `meta.source`, or the bus's own name).
    package var system: String
    /// `ORU^R01`, `Observation` …
    package var messageType: String?

    package init(system: String, messageType: String? = nil) {
        self.system = system
        self.messageType = messageType
    }
}

/// An input event as it travels on Kafka: the event with its optional `source`.
///
/// ```swift
/// let envelope = try EventEnvelope.decode(record.value)   // throws(EventDecodingError)
/// switch envelope.event { case .clinical(let e): …; case .inventory(let i): … }
/// let bytes = try envelope.encoded()                      // canonical JSON, exact round trip
/// ```
package struct EventEnvelope: Sendable, Hashable {
    package var event: InputEvent
    package var source: EventSource?

    package init(_ event: InputEvent, source: EventSource? = nil) {
        self.event = event
        self.source = source
    }

    package init(_ event: ClinicalEvent, source: EventSource? = nil) {
        self.init(.clinical(event), source: source)
    }
}

extension EventEnvelope: Codable {
    package init(from decoder: any Decoder) throws {
        try self.init(reading: try FieldReader(decoder))
    }

    init(reading r: some ContractFieldReader) throws {
        let event = try Self.event(reading: r)
        self.init(event, source: try Self.source(reading: r))
    }

    /// The event of a document: every field but `source`.
    static func event(reading r: some ContractFieldReader) throws -> InputEvent {
        // Each event is built in its case of `InputEvent` directly (not in a `ClinicalEvent` first).
        switch try r.enumValue("type", EventType.self) {
        case .patient: return .clinical(.patient(try PatientEvent(reading: r)))
        case .vitals: return .clinical(.vitals(try VitalsEvent(reading: r)))
        case .neuro: return .clinical(.neuro(try NeuroEvent(reading: r)))
        case .lab: return .clinical(.lab(try LabEvent(reading: r)))
        case .finding: return .clinical(.finding(try FindingEvent(reading: r)))
        case .medication: return .clinical(.medication(try MedicationEvent(reading: r)))
        case .inventory: return .inventory(try InventoryEvent(reading: r))
        }
    }

    /// The document's `source`, read after its event.
    static func source(reading r: some ContractFieldReader) throws -> EventSource? {
        guard let s = try r.optionalObject("source") else { return nil }
        return EventSource(system: try s.string("system"), messageType: try s.optionalString("messageType"))
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        switch event {
        case .clinical(let e): try e.write(&w)
        case .inventory(let e): try e.write(&w)
        }
        if let source {
            try w.object("source") { s in
                try s.string("system", source.system)
                try s.string("messageType", source.messageType)
            }
        }
    }
}

// MARK: Entry points

extension EventEnvelope {
    /// Decodes one Kafka record value (UTF-8 JSON, one event) with the byte-level reader
    /// (``EventCodec``).
    ///
    /// - Throws: ``EventDecodingError`` naming the field, the value and what is allowed.
    package static func decode(_ json: Data) throws(EventDecodingError) -> EventEnvelope {
        try EventCodec.decode(json)
    }

    /// The reference reader: Foundation's `JSONDecoder` through the same field checks. Not used
    /// by the service; the codec's property tests and the decode benchmark compare against it.
    package static func decodeWithFoundation(_ json: Data) throws(EventDecodingError) -> EventEnvelope {
        try decodeJSON(EventEnvelope.self, from: json)
    }

    /// The canonical JSON of this event: keys sorted, timestamps in UTC, lab values in their
    /// test's canonical unit.
    ///
    /// - Throws: ``EventDecodingError`` when a value is outside the contract (the encoders
    ///   never write what the decoder would refuse).
    package func encoded() throws(EventDecodingError) -> Data {
        try encodeJSON(self)
    }
}

/// Decodes one input event (any `type`, inventory included) from a Kafka record value.
///
/// - Throws: ``EventDecodingError``.
package func decodeEvent(_ json: Data) throws(EventDecodingError) -> InputEvent {
    try EventCodec.decodeEvent(json)
}

/// Decodes one input event from raw bytes.
package func decodeEvent(_ bytes: [UInt8]) throws(EventDecodingError) -> InputEvent {
    try EventCodec.decodeEvent(bytes)
}

/// Encodes one input event as canonical JSON (see ``EventEnvelope/encoded()``).
package func encodeEvent(_ event: InputEvent, source: EventSource? = nil) throws(EventDecodingError) -> Data {
    try EventEnvelope(event, source: source).encoded()
}

/// Decodes any contract type from JSON, converting Foundation's errors into
/// ``EventDecodingError`` with a JSON path. A key that appears twice in one object, at any depth,
/// is `malformed-json` naming it (``JSONDuplicateKeys``): readers must never disagree on a record.
package func decodeJSON<T: Decodable>(_ type: T.Type, from json: Data) throws(EventDecodingError) -> T {
    try checkJSONKeysAreUnique(json)
    do {
        return try sharedDecoder.decode(type, from: json)
    } catch {
        throw EventDecodingError(decoding: error, json: json)
    }
}

/// Throws `malformed-json` naming the first key that appears twice in one object.
func checkJSONKeysAreUnique(_ json: Data) throws(EventDecodingError) {
    if let path = JSONDuplicateKeys.firstDuplicate(in: json) { throw .duplicateKey(path) }
}

/// Decoders and encoders hold no per-call state once configured; Foundation declares them
/// Sendable, so one instance serves every caller.
private let sharedDecoder = JSONDecoder()
private let sharedEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

/// Encodes any contract type as canonical JSON (sorted keys, unescaped slashes).
package func encodeJSON<T: Encodable>(_ value: T) throws(EventDecodingError) -> Data {
    do {
        return try sharedEncoder.encode(value)
    } catch let error as EventDecodingError {
        throw error
    } catch {
        throw .invalidValue(path: "", value: String(describing: T.self), problem: "cannot be encoded: \(error)")
    }
}

extension EventDecodingError {
    /// Maps any error thrown while decoding `json` to the contract's error, keeping the JSON path;
    /// bytes that are not JSON because they are not UTF-8 say so.
    init(decoding error: any Error, json: Data) {
        self.init(decoding: error)
        guard case .malformedJSON(let path, _) = self, path.isEmpty else { return }
        if let cause = json.withUnsafeBytes({ EventDecodingError.unreadableJSONCause($0) }) { self = cause }
    }

    /// Maps any error thrown while decoding to the contract's error, keeping the JSON path.
    init(decoding error: any Error) {
        switch error {
        case let error as EventDecodingError:
            self = error
        case DecodingError.keyNotFound(let key, let context):
            self = .missingField(path: jsonPath(context.codingPath + [key]))
        case DecodingError.valueNotFound(_, let context):
            self = .missingField(path: jsonPath(context.codingPath))
        case DecodingError.typeMismatch(let type, let context):
            let expected = String(describing: type).hasPrefix("Array") ? "an array" : "\(type)"
            let found = context.debugDescription.range(of: "but found ").map {
                String(context.debugDescription[$0.upperBound...]).replacingAll(" instead.", with: "")
            }
            self = .wrongType(
                path: jsonPath(context.codingPath),
                expected: expected,
                found: found ?? "another JSON type"
            )
        case DecodingError.dataCorrupted(let context):
            // Foundation's own text may quote the input; the problem is said without it.
            self = .malformedJSON(
                path: jsonPath(context.codingPath),
                problem: context.codingPath.isEmpty
                    ? "not valid JSON (or a number past what a 64-bit float holds)" : "a value that cannot be read"
            )
        default:
            self = .malformedJSON(path: "", problem: "cannot be decoded")
        }
    }
}
