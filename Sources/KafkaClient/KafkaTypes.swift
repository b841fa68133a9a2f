package import Foundation

/// A topic partition.
package struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var topic: String
    package var partition: Int

    package init(_ topic: String, _ partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    package static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    package var description: String { "\(topic)[\(partition)]" }
}

/// A topic partition with an offset: the next offset to read (for commits and seeks, Kafka's
/// convention: last processed offset + 1).
package struct TopicPartitionOffset: Hashable, Sendable, CustomStringConvertible {
    package var topicPartition: TopicPartition
    package var offset: KafkaOffset

    package init(_ topicPartition: TopicPartition, _ offset: KafkaOffset) {
        self.topicPartition = topicPartition
        self.offset = offset
    }

    package init(_ topic: String, _ partition: Int, _ offset: Int64) {
        self.init(TopicPartition(topic, partition), .init(offset))
    }

    package var topic: String { topicPartition.topic }
    package var partition: Int { topicPartition.partition }
    package var description: String { "\(topicPartition)@\(offset)" }
}

/// An offset in a partition: an absolute offset or one of Kafka's logical offsets.
package struct KafkaOffset: Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    package var rawValue: Int64

    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package init(integerLiteral value: Int64) { self.rawValue = value }

    /// The first offset still in the log.
    package static let beginning = KafkaOffset(-2)
    /// The log end (the next offset to be written).
    package static let end = KafkaOffset(-1)
    /// The committed offset of the group (falls back to `auto.offset.reset`).
    package static let stored = KafkaOffset(-1000)
    /// No offset (e.g. nothing committed yet).
    package static let invalid = KafkaOffset(-1001)

    /// Whether this is an absolute offset (≥ 0) rather than a logical one.
    package var isAbsolute: Bool { rawValue >= 0 }

    package var description: String {
        switch self {
        case .beginning: "beginning"
        case .end: "end"
        case .stored: "stored"
        case .invalid: "invalid"
        default: String(rawValue)
        }
    }
}

/// A Kafka record header. `value` is nil for a header with a null value.
package struct KafkaHeader: Hashable, Sendable {
    package var name: String
    package var value: [UInt8]?

    package init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    package init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

/// A message timestamp, in milliseconds since the Unix epoch.
package struct KafkaTimestamp: Hashable, Sendable {
    package enum Kind: Hashable, Sendable {
        /// Set by the producer (or librdkafka at produce time).
        case createTime
        /// Set by the broker when it appended the message.
        case logAppendTime
    }

    package var kind: Kind
    package var millisecondsSinceEpoch: Int64

    package init(kind: Kind, millisecondsSinceEpoch: Int64) {
        self.kind = kind
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant, built from whole seconds plus whole milliseconds (as an ISO-8601 parser builds
    /// it), so that it formats back to exactly its milliseconds (`…44.649Z`, not `…44.6489999Z`).
    package var date: Date {
        let seconds =
            millisecondsSinceEpoch >= 0 ? millisecondsSinceEpoch / 1000 : (millisecondsSinceEpoch - 999) / 1000
        let milliseconds = millisecondsSinceEpoch - seconds * 1000
        return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + Double(milliseconds) / 1000)
    }
}

/// A consumed message. Key, value and header values are copies owned by Swift.
package struct KafkaMessage: Hashable, Sendable {
    package var topic: String
    package var partition: Int
    package var offset: Int64
    /// The key bytes, nil for a message without a key.
    package var key: [UInt8]?
    /// The value bytes, nil for a tombstone (a delete marker on a compacted topic).
    package var value: [UInt8]?
    package var headers: [KafkaHeader]
    package var timestamp: KafkaTimestamp?

    package init(
        topic: String, partition: Int, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestamp: KafkaTimestamp? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    package var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The offset to commit once this message is processed (`offset + 1`).
    package var nextOffset: TopicPartitionOffset { TopicPartitionOffset(topic, partition, offset + 1) }

    /// The first header with this name.
    package func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}

/// A message to produce.
package struct ProducerRecord: Hashable, Sendable {
    /// Where the record goes: an explicit partition, or the partitioner (by key hash, or sticky for
    /// null keys; librdkafka's default `consistent_random`, which matches Java's murmur2 only when
    /// `partitioner=murmur2_random` is configured).
    package enum Partitioning: Hashable, Sendable {
        case partition(Int)
        case byKey
    }

    package var topic: String
    package var partitioning: Partitioning
    package var key: [UInt8]?
    package var value: [UInt8]?
    package var headers: [KafkaHeader]
    /// Create time in milliseconds since the epoch; nil lets librdkafka use the current time.
    package var timestampMilliseconds: Int64?

    package init(
        topic: String, partition: Int? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partitioning = partition.map { .partition($0) } ?? .byKey
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// The outcome of producing one ``ProducerRecord``.
package struct DeliveryReport: Sendable {
    package var topic: String
    /// The partition the record was written to (or was assigned before failing; -1 if none).
    package var partition: Int
    /// The offset it was written at, nil on failure (or when the broker did not report it).
    package var offset: Int64?
    /// Why delivery failed, nil on success.
    package var error: KafkaError?
    package var timestamp: KafkaTimestamp?

    package init(topic: String, partition: Int, offset: Int64?, error: KafkaError?, timestamp: KafkaTimestamp? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.error = error
        self.timestamp = timestamp
    }

    package var isSuccess: Bool { error == nil }
}

/// The low and high watermark of a partition: the first offset in the log and the next offset to
/// be written (the log end offset). `high - low` is the number of records kept.
package struct Watermarks: Hashable, Sendable, CustomStringConvertible {
    package var low: Int64
    package var high: Int64

    package init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }

    package var description: String { "[\(low), \(high))" }
}

/// A consumer's group metadata (group id, generation, member id), serialised, for
/// ``KafkaProducer/sendOffsetsToTransaction(_:groupMetadata:timeout:)``.
package struct KafkaConsumerGroupMetadata: Hashable, Sendable {
    /// librdkafka's serialised `rd_kafka_consumer_group_metadata_t`.
    package var serialized: [UInt8]
    package var groupID: String

    package init(serialized: [UInt8], groupID: String) {
        self.serialized = serialized
        self.groupID = groupID
    }
}
