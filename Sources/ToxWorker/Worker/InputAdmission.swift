package import Foundation
package import KafkaClient
package import ToxWatchContract

/// The worker's edge checks that need more than the event's own bytes: the record's size, and the
/// event time against the record's Kafka timestamp (DESIGN.md §3, Docs/worker.md "Edges").
///
/// - A record whose value is larger than ``maxInputBytes`` is dead-lettered at once, without
///   decoding, with its size and SHA-256 instead of its bytes (a dead letter carrying it whole could
///   exceed the broker's message size and stop the partition).
/// - An event whose `occurredAt` is more than ``maxClockSkew`` ahead of its record's timestamp is
///   dead-lettered (`invalid-timestamp`, naming the bound): partition time, which fires every
///   patient's timers, advances only from accepted events, so one bad clock cannot move another
///   patient's time. A record without a timestamp is measured against the wall clock.
package struct InputAdmission: Sendable, Equatable {
    package var maxInputBytes: Int
    package var maxClockSkew: TimeInterval

    package init(maxInputBytes: Int = 1 << 20, maxClockSkew: TimeInterval = 3600) {
        self.maxInputBytes = maxInputBytes
        self.maxClockSkew = maxClockSkew
    }

    /// The dead letter of a record too large to read, or nil when its size is acceptable.
    package func oversized(_ record: KafkaMessage, now: Date) -> DeadLetterRecord? {
        let size = (record.value?.count ?? 0) + (record.key?.count ?? 0)
        guard size > maxInputBytes else { return nil }
        let digest = RecordDigest(record.value ?? [])
        return DeadLetterRecord(
            reason: .outOfRange,
            error: .init(
                field: nil,
                message: Self.oversizedMessage(digest, keyBytes: record.key?.count ?? 0, limit: maxInputBytes)),
            source: .init(
                topic: record.topic, partition: Int32(clamping: record.partition), offset: record.offset,
                timestamp: record.timestamp?.date),
            originalKey: (record.key?.count ?? 0) <= 1024 ? record.key.map { Data($0) } : nil, originalValue: nil,
            originalHeaders: [], deadLetteredAt: now)
    }

    static func oversizedMessage(_ digest: RecordDigest, keyBytes: Int, limit: Int) -> String {
        "the record is larger than maxInputBytes \(limit) (value \(digest); key \(keyBytes) bytes); "
            + "its bytes and headers are left out of this dead letter"
    }

    /// Why an event time cannot be accepted for a record with this timestamp, or nil.
    package func clockSkewProblem(occurredAt: Date, recordTimestamp: Date) -> String? {
        let ahead = occurredAt.timeIntervalSince(recordTimestamp)
        guard ahead > maxClockSkew else { return nil }
        return
            "occurredAt is more than maxClockSkewSeconds \(Self.seconds(maxClockSkew)) ahead of the record's Kafka timestamp "
            + "(\(Self.seconds(ahead)) s ahead); such an event would move partition time for every patient of the partition"
    }

    /// Whether a restored course's latest event time may count as partition time: it was written
    /// by a changelog record at `writtenAt` (its Kafka timestamp), and no accepted event lies more
    /// than ``maxClockSkew`` after the time its record was written.
    package func admitsRestoredTime(_ latest: Date, writtenAt: Date?) -> Bool {
        guard let writtenAt else { return true }
        return latest.timeIntervalSince(writtenAt) <= maxClockSkew
    }

    private static func seconds(_ value: TimeInterval) -> String {
        value.isFinite && abs(value) < 1e15 && value == value.rounded()
            ? String(Int64(value)) : String(format: "%.0f", value)
    }
}
