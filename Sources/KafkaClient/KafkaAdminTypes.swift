import Foundation

/// Metadata of one broker.
package struct KafkaBrokerMetadata: Hashable, Sendable {
    package var id: Int
    package var host: String
    package var port: Int
}

/// Metadata of one partition.
package struct KafkaPartitionMetadata: Hashable, Sendable {
    package var id: Int
    /// The leader broker id, -1 if none.
    package var leader: Int
    package var replicas: [Int]
    package var inSyncReplicas: [Int]
    package var error: KafkaError.Code?
}

/// Metadata of one topic.
package struct KafkaTopicMetadata: Hashable, Sendable {
    package var name: String
    package var partitions: [KafkaPartitionMetadata]
    package var error: KafkaError.Code?

    package var partitionCount: Int { partitions.count }
}

/// The cluster's brokers and topics.
package struct KafkaClusterMetadata: Hashable, Sendable {
    package var brokers: [KafkaBrokerMetadata]
    package var topics: [KafkaTopicMetadata]

    package func topic(_ name: String) -> KafkaTopicMetadata? { topics.first { $0.name == name } }
}

/// A topic to create.
package struct KafkaNewTopic: Hashable, Sendable {
    package var name: String
    package var partitions: Int
    package var replicationFactor: Int
    /// Topic configs, e.g. `["cleanup.policy": "compact"]`.
    package var config: [String: String]

    package init(name: String, partitions: Int, replicationFactor: Int, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// The outcome of creating one topic.
package struct KafkaTopicCreationResult: Sendable {
    package var name: String
    /// nil on success; ``KafkaError/Code/topicAlreadyExists`` if it existed.
    package var error: KafkaError?
}

/// A consumer group member as described by the broker.
package struct KafkaGroupMember: Hashable, Sendable {
    package var memberID: String
    package var clientID: String
    package var host: String
    package var assignment: [TopicPartition]
}

/// A consumer group as described by the broker.
package struct KafkaGroupDescription: Hashable, Sendable {
    package var groupID: String
    /// e.g. `Stable`, `PreparingRebalance`, `Empty`, `Dead`.
    package var state: String
    package var partitionAssignor: String
    package var coordinator: Int?
    package var members: [KafkaGroupMember]
}

/// The answer to ``KafkaAdminClient/describeGroups(_:)``: descriptions, or a broker that cannot describe
/// groups (librdkafka 2.0.2's mock cluster answers neither ListGroups nor DescribeGroups).
package enum KafkaGroupDescriptions: Sendable {
    case described([KafkaGroupDescription])
    case unsupportedByBroker(KafkaError)
}

/// The answer to ``KafkaAdminClient/listGroups()``.
package enum KafkaGroupListing: Sendable {
    case listed([String])
    case unsupportedByBroker(KafkaError)
}

/// The answer to ``KafkaAdminClient/describeTopicConfigs(_:)``: each topic's configs (name → value,
/// defaults included), or a broker that cannot describe configs (librdkafka 2.0.2's mock cluster).
package enum KafkaTopicConfigs: Sendable {
    case described([String: [String: String]])
    case unsupportedByBroker(KafkaError)
}
