package import Foundation
package import KafkaClient
package import ToxWatchContract

/// What became of one raw record.
package enum IngestOutcome: String, Sendable, Hashable, CaseIterable {
    /// Every message and observation mapped to events.
    case decoded
    /// Some events were published, and something was rejected (a dead letter says what).
    case partial
    /// Nothing could be used: the record went to the dead-letter topic.
    case failed
    /// Nothing to publish and nothing wrong: a message type, resource or code ToxWatch does not use.
    case skipped
}

/// The key of the per-outcome counters: the raw topic and the outcome.
package struct IngestCount: Hashable, Sendable {
    package var topic: String
    package var outcome: IngestOutcome
}

/// One raw record, decoded.
package struct IngestResult: Sendable {
    package var outcome: IngestOutcome
    /// The canonical events, in message order.
    package var events: [EventEnvelope] = []
    /// What to produce: the events (to their `cart.*` topic, keyed by patient id), then the dead
    /// letter if any.
    package var records: [ProducerRecord] = []
    package var deadLetter: DeadLetterRecord?
    /// What the adapters passed over (counted, never fatal).
    package var skipped: [AdapterNote] = []
}

/// One batch of raw records, decoded: what to produce, then which offsets to commit.
package struct IngestBatch: Sendable {
    package var records: [ProducerRecord] = []
    /// Per raw partition, the next offset to read (commit only after every record is acknowledged).
    package var commitOffsets: [TopicPartitionOffset] = []
    package var outcomes: [IngestCount: Int] = [:]
    /// Events per `cart.*` topic.
    package var events: [String: Int] = [:]
    package var deadLetters: [DeadLetterCount: Int] = [:]
}

/// Turns raw HL7 v2 and FHIR records into the event contract's records (pure: no Kafka, no clock;
/// the dead letters' wall-clock time is an argument).
///
/// - The format comes from the topic: ``hl7Topic`` records are HL7 v2 (MLLP framing and several
///   messages per record accepted), ``fhirTopic`` records one FHIR R4 JSON resource or Bundle, or
///   Bulk Data NDJSON lines (decoded as one bundle per patient, ``FHIRBulkData``).
/// - Events are keyed by patient id (inventory by `site/drug`) and carry the source message id and
///   the raw record's coordinates in headers. Their `eventId`s are the adapters' (MSH-10, `MSH-10#n`,
///   `Observation/abc`): a replay produces the same ids, which the worker drops.
/// - A record that cannot be used, or has rejected observations, becomes one dead letter whose id is
///   the raw record's coordinates (`hl7.inbound.v1/3/17`), written to dead-letter partition
///   `raw partition mod ``deadLetterPartitions``` with the raw key: the same record always yields the
///   same dead letter in the same partition, and no patient id is needed to place it.
package struct IngestProcessor: Sendable {
    package var hl7Topic: String
    package var fhirTopic: String
    package var deadLetterPartitions: Int
    package var hl7Options: HL7DecodingOptions
    /// A raw record larger than this is dead-lettered at once, by size and digest (``InputAdmission``).
    package var maxInputBytes = 1 << 20

    package init(
        hl7Topic: String = ToxWatchTopics.hl7Inbound,
        fhirTopic: String = ToxWatchTopics.fhirInbound,
        deadLetterPartitions: Int,
        hl7Options: HL7DecodingOptions = .init()
    ) {
        self.hl7Topic = hl7Topic
        self.fhirTopic = fhirTopic
        self.deadLetterPartitions = max(1, deadLetterPartitions)
        self.hl7Options = hl7Options
    }

    /// Decodes a batch (any raw partitions, arrival order).
    package func process(_ batch: [KafkaMessage], now: Date) -> IngestBatch {
        var outcome = IngestBatch()
        var next: [TopicPartition: Int64] = [:]
        for message in batch {
            next[message.topicPartition] = max(next[message.topicPartition] ?? 0, message.offset + 1)
            let result = process(message, now: now)
            outcome.records += result.records
            outcome.outcomes[IngestCount(topic: message.topic, outcome: result.outcome), default: 0] += 1
            for envelope in result.events { outcome.events[envelope.event.type.topic, default: 0] += 1 }
            if let letter = result.deadLetter {
                outcome.deadLetters[
                    DeadLetterCount(topic: message.topic, reason: letter.reason.rawValue),
                    default: 0
                ] += 1
            }
        }
        outcome.commitOffsets = next.keys.sorted().map { TopicPartitionOffset($0, KafkaOffset(next[$0] ?? 0)) }
        return outcome
    }

    /// Decodes one raw record.
    package func process(_ message: KafkaMessage, now: Date) -> IngestResult {
        if let oversized = InputAdmission(maxInputBytes: maxInputBytes).oversized(message, now: now) {
            var result = IngestResult(outcome: .failed, deadLetter: oversized)
            result.records = [
                deadLetterRecord(
                    oversized, message: message, outcome: .failed, format: message.topic == fhirTopic ? "fhir" : "hl7")
            ]
            return result
        }
        var decoded: [(envelope: EventEnvelope, sourceID: String?)] = []
        var problems: [EventDecodingError] = []
        var skipped: [AdapterNote] = []
        let format: String

        switch message.topic {
        case hl7Topic:
            format = "hl7"
            guard let value = message.value, value.contains(where: { !isBlank($0) }) else {
                problems.append(
                    .malformedHL7(segment: 1, segmentID: "", field: nil, problem: "the record has no value")
                )
                break
            }
            let messages = HL7Framing.split(value).messages
            if messages.isEmpty {
                problems.append(
                    .malformedHL7(segment: 1, segmentID: "", field: nil, problem: "no HL7 message in the record")
                )
            }
            for bytes in messages {
                do throws(EventDecodingError) {
                    let parsed = try HL7Message(parsing: bytes, limits: hl7Options.limits)
                    let controlID = try? parsed.header.text(10)
                    let result = try HL7Adapter.map(parsed, options: hl7Options)
                    decoded += result.events.map { ($0, controlID ?? nil) }
                    problems += result.rejected
                    skipped += result.skipped
                } catch {
                    problems.append(error)
                }
            }
        case fhirTopic:
            format = "fhir"
            guard let value = message.value, value.contains(where: { !isBlank($0) }) else {
                problems.append(.malformedJSON(path: "", problem: "the record has no value"))
                break
            }
            do throws(EventDecodingError) {
                let result = try FHIRBulkData.decodeDocumentOrLines(value)
                // The document's own id, else the key the integration engine gave the record.
                // Only an identifier (1–128 bytes, no control characters) goes into a header.
                let sourceID = [Self.fhirSourceID(value), message.key.flatMap { String(bytes: $0, encoding: .utf8) }]
                    .compactMap { $0 }.first { InputIdentifier.problem($0) == nil }
                decoded += result.events.map { ($0, sourceID) }
                problems += result.rejected
                skipped += result.skipped
            } catch {
                problems.append(error)
            }
        default:
            format = "unknown"
            problems.append(
                .invalidValue(
                    path: "topic",
                    value: message.topic,
                    problem: "is neither the HL7 (\(hl7Topic)) nor the FHIR (\(fhirTopic)) topic"
                )
            )
        }

        var result = IngestResult(outcome: .skipped, skipped: skipped)
        for (envelope, sourceID) in decoded {
            do throws(EventDecodingError) {
                let value = try envelope.encoded()
                var headers = [KafkaHeader(name: IngestHeader.sourceFormat, string: format)]
                if let sourceID { headers.append(KafkaHeader(name: IngestHeader.sourceMessageID, string: sourceID)) }
                headers += Self.sourceHeaders(message)
                result.records.append(
                    ProducerRecord(
                        topic: envelope.event.type.topic,
                        key: Array(envelope.event.key.utf8),
                        value: Array(value),
                        headers: headers
                    )
                )
                result.events.append(envelope)
            } catch {
                problems.append(error)
            }
        }

        switch (result.events.isEmpty, problems.isEmpty) {
        case (false, true): result.outcome = .decoded
        case (false, false): result.outcome = .partial
        case (true, false): result.outcome = .failed
        case (true, true): result.outcome = .skipped
        }
        if let first = problems.first {
            let letter = deadLetter(
                for: message,
                first: first,
                problems: problems.count,
                published: result.events.count,
                now: now
            )
            result.deadLetter = letter
            result.records.append(deadLetterRecord(letter, message: message, outcome: result.outcome, format: format))
        }
        return result
    }

    /// The dead letter of a raw record, in dead-letter partition `raw partition mod deadLetterPartitions`.
    private func deadLetterRecord(
        _ letter: DeadLetterRecord, message: KafkaMessage, outcome: IngestOutcome, format: String
    ) -> ProducerRecord {
        ProducerRecord(
            topic: ToxWatchTopics.deadLetters,
            partition: message.partition % deadLetterPartitions,
            key: letter.originalKey.map { Array($0) },
            value: (try? letter.encoded()).map { Array($0) } ?? [],
            headers: [
                KafkaHeader(name: OutputHeader.outputID, string: letter.id),
                KafkaHeader(name: IngestHeader.outcome, string: outcome.rawValue),
                KafkaHeader(name: IngestHeader.sourceFormat, string: format),
            ] + Self.sourceHeaders(message)
        )
    }

    private func deadLetter(
        for message: KafkaMessage,
        first: EventDecodingError,
        problems: Int,
        published: Int,
        now: Date
    ) -> DeadLetterRecord {
        var text = first.description
        if problems > 1 { text = "\(problems) problems; the first: " + text }
        if published > 0 { text = "\(published) event(s) of this record were published; " + text }
        return DeadLetterRecord(
            reason: first.reason,
            error: .init(field: first.field, message: text),
            source: .init(
                topic: message.topic,
                partition: Int32(clamping: message.partition),
                offset: message.offset,
                timestamp: message.timestamp?.date
            ),
            originalKey: message.key.map { Data($0) },
            originalValue: message.value.map { Data($0) },
            originalHeaders: message.headers.map { .init(key: $0.name, value: $0.value.map { Data($0) }) },
            deadLetteredAt: now
        )
    }

    private static func sourceHeaders(_ message: KafkaMessage) -> [KafkaHeader] {
        [
            KafkaHeader(name: OutputHeader.sourceTopic, string: message.topic),
            KafkaHeader(name: OutputHeader.sourcePartition, string: String(message.partition)),
            KafkaHeader(name: OutputHeader.sourceOffset, string: String(message.offset)),
        ]
    }

    /// `Bundle.identifier.value`, else `<resourceType>/<id>`, else nil.
    static func fhirSourceID(_ value: [UInt8]) -> String? {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any],
            let type = root["resourceType"] as? String
        else { return nil }
        if let identifier = root["identifier"] as? [String: Any], let value = identifier["value"] as? String,
            !value.isEmpty
        {
            return value
        }
        if let id = root["id"] as? String, !id.isEmpty { return "\(type)/\(id)" }
        return nil
    }
}

private func isBlank(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x1C
}
