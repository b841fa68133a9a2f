package import Foundation
package import KafkaClient
package import Logging
import ToxWatchContract

/// One dead letter chosen for re-drive, and the record that would be sent.
package struct RedriveItem: Sendable, Hashable {
    package var deadLetter: StoredDeadLetter
    package var record: ProducerRecord
    /// The original partition could not be used (the topic has fewer partitions now): partitioned by key.
    package var partitionedByKey: Bool
}

/// A dead letter that was selected but cannot be re-driven, and why.
package struct RedriveSkip: Sendable, Hashable {
    package var deadLetter: StoredDeadLetter
    package var reason: String
}

/// Re-driving dead letters: the original key, value and headers go back to the source topic (the
/// original partition when it still exists), with headers marking the re-drive. The DLQ record is
/// never deleted or changed.
package enum Redrive {
    package static let fromHeader = RedriveHeader.from
    package static let originalHeader = RedriveHeader.original
    package static let atHeader = RedriveHeader.at

    /// The records to send for the dead letters matching `filter`.
    /// - Parameter partitionCounts: partitions of the topics that exist (a missing source topic is skipped).
    package static func plan(
        _ letters: [StoredDeadLetter], filter: DeadLetterFilter, partitionCounts: [String: Int], now: Date
    ) -> (items: [RedriveItem], skipped: [RedriveSkip]) {
        var items: [RedriveItem] = []
        var skipped: [RedriveSkip] = []
        for letter in letters where filter.matches(letter) {
            guard let record = letter.record else {
                skipped.append(RedriveSkip(deadLetter: letter, reason: letter.problem ?? "not a dead-letter record"))
                continue
            }
            guard record.source.topic != DeadLetterRecord.topic else {
                skipped.append(RedriveSkip(deadLetter: letter, reason: "its source is the dead-letter topic itself"))
                continue
            }
            guard let partitions = partitionCounts[record.source.topic] else {
                skipped.append(
                    RedriveSkip(deadLetter: letter, reason: "the source topic \(record.source.topic) does not exist"))
                continue
            }
            guard let value = record.originalValue else {
                skipped.append(RedriveSkip(deadLetter: letter, reason: "the original record had no value"))
                continue
            }
            let marks: Set<String> = [fromHeader, originalHeader, atHeader]
            var headers = record.originalHeaders.filter { !marks.contains($0.key) }.map {
                KafkaHeader(name: $0.key, value: $0.value.map { Array($0) })
            }
            headers.append(KafkaHeader(name: fromHeader, string: letter.coordinates))
            headers.append(KafkaHeader(name: originalHeader, string: record.id))
            headers.append(KafkaHeader(name: atHeader, string: ISO8601Timestamp.format(now)))
            let samePartition = Int(record.source.partition) < partitions
            items.append(
                RedriveItem(
                    deadLetter: letter,
                    record: ProducerRecord(
                        topic: record.source.topic, partition: samePartition ? Int(record.source.partition) : nil,
                        key: record.originalKey.map { Array($0) }, value: Array(value), headers: headers),
                    partitionedByKey: !samePartition))
        }
        return (items, skipped)
    }
}

/// The outcome of sending one re-drive record.
package struct RedriveResult: Sendable, Hashable {
    package var item: RedriveItem
    package var partition: Int
    package var offset: Int64?
    package var error: String?
}

/// Reads and re-drives `cart.dlq.v1`.
package struct DeadLetterQueue: Sendable {
    package let connection: BrokerConnection
    package let admin: KafkaAdminClient
    package let logger: Logger

    package init(connection: BrokerConnection, admin: KafkaAdminClient, logger: Logger) {
        self.connection = connection
        self.admin = admin
        self.logger = logger
    }

    /// Every record of the DLQ, in partition then offset order, and the partition counts of the cluster's topics.
    package func readAll() async throws(OpsError) -> (letters: [StoredDeadLetter], partitionCounts: [String: Int]) {
        let metadata = try await connection.checkReachable(admin)
        guard metadata.topic(DeadLetterRecord.topic) != nil else {
            throw .usage(
                "no topic \(DeadLetterRecord.topic) on \(connection.serversDescription) (create it with `toxctl topics create`)"
            )
        }
        let counts = Dictionary(
            metadata.topics.filter { $0.error == nil }.map { ($0.name, $0.partitionCount) },
            uniquingKeysWith: { a, _ in a })
        let reader = TopicReader(connection: connection, logger: logger)
        let letters = try await reader.read([DeadLetterRecord.topic], into: [StoredDeadLetter]()) { letters, message in
            letters.append(
                StoredDeadLetter(
                    partition: message.partition, offset: message.offset, timestamp: message.timestamp?.date,
                    value: message.value))
        }
        return (letters.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }, counts)
    }

    /// Sends the planned records and waits for every acknowledgement (idempotent producer).
    package func send(_ items: [RedriveItem]) async throws(OpsError) -> [RedriveResult] {
        guard !items.isEmpty else { return [] }
        let producer = try connection.makeProducer(logger: logger) { $0.deliveryTimeout = .seconds(30) }
        let reports: [DeliveryReport]
        do {
            reports = try await producer.produce(items.map(\.record))
        } catch {
            await producer.close()
            throw connection.failure(error, while: "re-driving dead letters")
        }
        await producer.close()
        return zip(items, reports).map { item, report in
            RedriveResult(item: item, partition: report.partition, offset: report.offset, error: report.error?.message)
        }
    }
}

extension StoredDeadLetter {
    /// The `--json` line of a dead letter: its DLQ coordinates and the record as stored, without
    /// patient data: the original payload is left out (`originalValueBytes` gives its size) and the
    /// original key (a patient id) appears only as `originalKeyDigest`, unless `showKeys`; control
    /// characters are `\uXXXX` escapes (the same JSON value, safe on a terminal).
    package func jsonLine(showKeys: Bool = false) -> String {
        var recordJSON = "null"
        var redaction = ""
        if var shown = record {
            redaction =
                ",\"originalKeyDigest\":\(jsonString(keyDigest(shown.originalKey)))"
                + ",\"originalValueBytes\":\(shown.originalValue?.count ?? 0)"
            shown.originalValue = nil
            if !showKeys { shown.originalKey = nil }
            if let data = try? shown.encoded() { recordJSON = String(decoding: data, as: UTF8.self) }
        }
        let problemJSON = problem.map { jsonString($0) } ?? "null"
        let timestampJSON = timestamp.map { jsonString(ISO8601Timestamp.format($0)) } ?? "null"
        return escapingControlCharacters(
            inJSON: "{\"dlq\":{\"topic\":\"\(DeadLetterRecord.topic)\",\"partition\":\(partition),\"offset\":\(offset),"
                + "\"timestamp\":\(timestampJSON)},\"problem\":\(problemJSON),\"record\":\(recordJSON)\(redaction)}")
    }
}

/// A JSON string literal.
package func jsonString(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
