package import Foundation

/// Stable reason codes of dead-letter records (`cart.dlq.v1`), also fit for metric labels.
package enum DeadLetterReason: String, Sendable, Hashable, CaseIterable, Codable {
    case malformedJSON = "malformed-json"
    case missingField = "missing-field"
    case wrongType = "wrong-type"
    case unknownValue = "unknown-value"
    case unknownUnit = "unknown-unit"
    case outOfRange = "out-of-range"
    case invalidTimestamp = "invalid-timestamp"
    case invalidValue = "invalid-value"
    case malformedHL7 = "malformed-hl7"
    /// A valid event on a topic that does not carry its type (a `lab` on `cart.vitals.v1`).
    case wrongTopic = "wrong-topic"
    /// A valid patient event whose record key is not its `patientId`: co-partitioning needs the
    /// patient id as the key, or the patient's events would be split between workers.
    case keyMismatch = "key-mismatch"
}

/// A record the worker could not accept, as published on `cart.dlq.v1`
/// (`Schemas/dead-letter.schema.json`): the original bytes, headers and coordinates, and why.
///
/// The record keeps everything needed to re-drive the message (`toxctl dlq redrive`) after the
/// cause is fixed. Its `id` is the source coordinates, so a re-delivered poison message yields
/// the same record.
package struct DeadLetterRecord: Sendable, Hashable {
    /// The source record's coordinates.
    package struct Source: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var offset: Int64
        /// The source record's timestamp, when the broker gave one.
        package var timestamp: Date?

        package init(topic: String, partition: Int32, offset: Int64, timestamp: Date? = nil) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.timestamp = timestamp
        }
    }

    /// One Kafka header of the source record; a header may have no value.
    package struct Header: Sendable, Hashable {
        package var key: String
        package var value: Data?

        package init(key: String, value: Data?) {
            self.key = key
            self.value = value
        }
    }

    /// What was wrong: the field (a path, safe to log) and a sentence (may quote the value).
    package struct ErrorDetail: Sendable, Hashable {
        package var field: String?
        package var message: String

        package init(field: String?, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// The topic dead letters are published on.
    package static let topic = ToxWatchTopics.deadLetters

    package var reason: DeadLetterReason
    package var error: ErrorDetail
    package var source: Source
    /// The source record's key bytes (`nil` for a record without key).
    package var originalKey: Data?
    /// The source record's value bytes (`nil` for a tombstone).
    package var originalValue: Data?
    package var originalHeaders: [Header]
    /// When the worker dead-lettered the record.
    package var deadLetteredAt: Date

    /// `topic/partition/offset` of the source record.
    package var id: String { "\(source.topic)/\(source.partition)/\(source.offset)" }

    package init(
        reason: DeadLetterReason,
        error: ErrorDetail,
        source: Source,
        originalKey: Data?,
        originalValue: Data?,
        originalHeaders: [Header],
        deadLetteredAt: Date
    ) {
        self.reason = reason
        self.error = error
        self.source = source
        self.originalKey = originalKey
        self.originalValue = originalValue
        self.originalHeaders = originalHeaders
        self.deadLetteredAt = deadLetteredAt
    }

    /// A dead letter for a record that failed to decode.
    package init(
        decodingError: EventDecodingError,
        source: Source,
        originalKey: Data?,
        originalValue: Data?,
        originalHeaders: [Header],
        deadLetteredAt: Date
    ) {
        self.init(
            reason: decodingError.reason,
            error: ErrorDetail(field: decodingError.field, message: decodingError.description),
            source: source,
            originalKey: originalKey,
            originalValue: originalValue,
            originalHeaders: originalHeaders,
            deadLetteredAt: deadLetteredAt
        )
    }

    /// Decodes a record read from `cart.dlq.v1`.
    package static func decode(_ json: Data) throws(EventDecodingError) -> DeadLetterRecord {
        try decodeJSON(DeadLetterRecord.self, from: json)
    }

    /// The JSON published on `cart.dlq.v1`.
    package func encoded() throws(EventDecodingError) -> Data {
        try encodeJSON(self)
    }
}

extension DeadLetterRecord: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType("dead-letter")
        guard let s = try r.optionalObject("source") else {
            throw EventDecodingError.missingField(path: r.path("source"))
        }
        guard let e = try r.optionalObject("error") else {
            throw EventDecodingError.missingField(path: r.path("error"))
        }
        let partition = try s.number("partition", in: PlausibleRange(0, Double(Int32.max), integral: true))
        let offset = try s.number("offset", in: PlausibleRange(0, 9_007_199_254_740_991, integral: true))
        let source = Source(
            topic: try s.string("topic"),
            partition: Int32(partition),
            offset: Int64(offset),
            timestamp: try s.optionalTimestamp("timestamp")
        )
        var headers: [Header] = []
        if r.has("originalHeaders") {
            var list = try r.container.nestedUnkeyedContainer(forKey: AnyCodingKey("originalHeaders"))
            while !list.isAtEnd {
                let h = FieldReader(container: try list.nestedContainer(keyedBy: AnyCodingKey.self))
                headers.append(Header(key: try h.string("key"), value: try h.optionalBase64("value")))
            }
        }
        self.init(
            reason: try r.enumValue("reason", DeadLetterReason.self),
            error: ErrorDetail(field: try e.optionalString("field"), message: try e.string("message")),
            source: source,
            originalKey: try r.optionalBase64("originalKey"),
            originalValue: try r.optionalBase64("originalValue"),
            originalHeaders: headers,
            deadLetteredAt: try r.timestamp("deadLetteredAt")
        )
        let id = try r.string("id")
        guard id == self.id else {
            throw EventDecodingError.invalidValue(
                path: r.path("id"),
                value: id,
                problem: "is not source topic/partition/offset"
            )
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try w.string("type", "dead-letter")
        try w.string("id", id)
        try w.raw("reason", reason)
        try w.object("error") { e in
            try e.string("field", error.field)
            try e.string("message", error.message)
        }
        try w.object("source") { s in
            try s.string("topic", source.topic)
            try s.integer("partition", Int(source.partition), in: PlausibleRange(0, nil))
            try s.integer("offset", Int(source.offset), in: PlausibleRange(0, nil))
            try s.timestamp("timestamp", source.timestamp)
        }
        try w.base64("originalKey", originalKey)
        try w.base64("originalValue", originalValue)
        var headers = w.container.nestedUnkeyedContainer(forKey: AnyCodingKey("originalHeaders"))
        for header in originalHeaders {
            var h = FieldWriter(container: headers.nestedContainer(keyedBy: AnyCodingKey.self))
            try h.container.encode(header.key, forKey: AnyCodingKey("key"))
            if let value = header.value {
                try h.container.encode(value.base64EncodedString(), forKey: AnyCodingKey("value"))
            } else {
                try h.container.encodeNil(forKey: AnyCodingKey("value"))
            }
        }
        try w.timestamp("deadLetteredAt", deadLetteredAt)
    }
}

extension FieldReader {
    func optionalBase64(_ key: String) throws -> Data? {
        let codingKey = AnyCodingKey(key)
        guard container.contains(codingKey), try !container.decodeNil(forKey: codingKey) else { return nil }
        guard let text = try? container.decode(String.self, forKey: codingKey) else {
            throw EventDecodingError.wrongType(path: path(key), expected: "a base64 string", found: "another JSON type")
        }
        guard let data = Data(base64Encoded: text) else {
            throw EventDecodingError.invalidValue(
                path: path(key),
                value: String(text.prefix(16)),
                problem: "is not base64"
            )
        }
        return data
    }
}

extension FieldWriter {
    mutating func base64(_ key: String, _ value: Data?) throws {
        if let value {
            try container.encode(value.base64EncodedString(), forKey: AnyCodingKey(key))
        } else {
            try container.encodeNil(forKey: AnyCodingKey(key))
        }
    }
}
