package import Foundation
package import KafkaClient
package import Logging
import Synchronization
package import ToxWatchContract
package import ToxicityRules

/// What one record of `pharmacy.inventory.v1` holds for the worker's inventory view.
package enum InventoryRecord: Sendable, Equatable {
    /// A valid inventory event.
    case event(InventoryEvent)
    /// A tombstone (compaction's delete marker): nothing to apply, nothing wrong.
    case tombstone
    /// A record that is not a valid inventory event, as its dead letter says.
    case invalid(DeadLetterRecord)

    /// Decodes `message` as the event contract says (DESIGN.md §3, "Edges"): a record that does
    /// not decode, or holds another event type, is a dead letter naming the field and the reason
    /// (missing `status`, `unitsOnHand` out of range, not JSON at all …), as for any other input.
    package static func read(_ message: KafkaMessage, now: Date) -> InventoryRecord {
        guard let value = message.value else { return .tombstone }
        let error: EventDecodingError
        do {
            switch try decodeEvent(value) {
            case .inventory(let event): return .event(event)
            case .clinical(let event):
                return .invalid(
                    deadLetter(
                        message, reason: .wrongTopic, field: "type",
                        "a '\(InputEvent.clinical(event).type.rawValue)' event does not belong on \(message.topic)",
                        now: now))
            }
        } catch let decodingError {
            error = decodingError
        }
        return .invalid(deadLetter(message, reason: error.reason, field: error.field, error.description, now: now))
    }

    private static func deadLetter(
        _ message: KafkaMessage, reason: DeadLetterReason, field: String?, _ text: String, now: Date
    ) -> DeadLetterRecord {
        DeadLetterRecord(
            reason: reason, error: .init(field: field, message: text),
            source: .init(
                topic: message.topic, partition: Int32(clamping: message.partition), offset: message.offset,
                timestamp: message.timestamp?.date),
            originalKey: message.key.map { Data($0) }, originalValue: message.value.map { Data($0) },
            originalHeaders: message.headers.map { .init(key: $0.name, value: $0.value.map { Data($0) }) },
            deadLetteredAt: now)
    }
}

/// The worker's inventory reader's edge: decodes each record of `pharmacy.inventory.v1` and
/// dead-letters the ones that are not valid inventory events, instead of skipping them silently.
///
/// Every worker reads the whole inventory topic (a global table, no consumer group), so each one
/// dead-letters every bad record it reads, once per process: a dead letter's id is the record's
/// coordinates (`pharmacy.inventory.v1/0/17`), so the copies of several workers, or of one worker
/// after a restart, are one dead letter to any reader that keys by id (`toxctl dlq list` shows each
/// id once). A dead letter that cannot be written is logged and counted; the reader goes on.
/// Its producer is made on the first bad record (a worker whose inventory is clean never opens one)
/// and is idempotent, never transactional, whatever `processing.guarantee` says.
package final class InventoryRecordReader: Sendable {
    private let configuration: WorkerConfiguration
    private let metrics: WorkerMetrics
    private let logger: Logger
    /// The producer once made, and the ids already dead-lettered by this process.
    private let state = Mutex<(producer: KafkaProducer?, written: Set<String>)>((nil, []))

    package init(configuration: WorkerConfiguration, metrics: WorkerMetrics, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// The inventory event `message` holds; `nil` for a tombstone or an invalid record, which is then
    /// dead-lettered (waiting for the broker's acknowledgement).
    package func read(_ message: KafkaMessage) async -> InventoryEvent? {
        switch InventoryRecord.read(message, now: Date()) {
        case .event(let event): return event
        case .tombstone: return nil
        case .invalid(let letter):
            logger.warning(
                "inventory record dead-lettered: not a valid inventory event",
                metadata: [
                    "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                    "kafka.offset": "\(message.offset)", "reason": "\(letter.reason.rawValue)",
                    "field": "\(letter.error.field ?? "-")",
                ])
            await write(letter)
            return nil
        }
    }

    /// Flushes and closes the producer, if one was made.
    package func close() async {
        if let producer = state.withLock({ state in
            defer { state.producer = nil }
            return state.producer
        }) {
            await producer.close(timeout: .seconds(10))
        }
    }

    private func write(_ letter: DeadLetterRecord) async {
        guard state.withLock({ !$0.written.contains(letter.id) }) else { return }
        let value: Data
        do {
            value = try letter.encoded()
        } catch {
            logger.error("inventory dead letter cannot be encoded", metadata: ["reason": "\(error.reason.rawValue)"])
            return
        }
        let record = ProducerRecord(
            topic: DeadLetterRecord.topic, key: letter.originalKey.map { Array($0) }, value: Array(value),
            headers: [
                KafkaHeader(name: OutputHeader.outputID, string: letter.id),
                KafkaHeader(name: OutputHeader.kind, string: OutputRecord.Kind.deadLetter.rawValue),
                KafkaHeader(name: OutputHeader.sourceTopic, string: letter.source.topic),
                KafkaHeader(name: OutputHeader.sourcePartition, string: String(letter.source.partition)),
                KafkaHeader(name: OutputHeader.sourceOffset, string: String(letter.source.offset)),
            ])
        do {
            let producer = try producer()
            _ = try await producer.send([record])
            state.withLock { _ = $0.written.insert(letter.id) }
            metrics.deadLettered(topic: letter.source.topic, reason: letter.reason.rawValue, count: 1)
        } catch {
            logger.error(
                "inventory dead letter not written", metadata: ["id": "\(letter.id)", "error": "\(error.code)"])
        }
    }

    private func producer() throws(KafkaError) -> KafkaProducer {
        if let producer = state.withLock({ $0.producer }) { return producer }
        var producerConfiguration = configuration.clients.producer(
            clientID: "toxd-inventory", excluding: ["group.id", "transactional.id", "partition.assignment.strategy"])
        producerConfiguration.deliveryTimeout = .seconds(30)
        let made = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        return state.withLock { state in
            if let existing = state.producer { return existing }
            state.producer = made
            return made
        }
    }
}
