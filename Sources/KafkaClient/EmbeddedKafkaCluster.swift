internal import CRdKafka
package import Logging
import Synchronization

/// A Kafka protocol API key, for fault injection.
package struct KafkaAPIKey: RawRepresentable, Hashable, Sendable {
    package var rawValue: Int16
    package init(rawValue: Int16) { self.rawValue = rawValue }

    package static let produce = KafkaAPIKey(rawValue: 0)
    package static let fetch = KafkaAPIKey(rawValue: 1)
    package static let listOffsets = KafkaAPIKey(rawValue: 2)
    package static let metadata = KafkaAPIKey(rawValue: 3)
    package static let offsetCommit = KafkaAPIKey(rawValue: 8)
    package static let offsetFetch = KafkaAPIKey(rawValue: 9)
    package static let findCoordinator = KafkaAPIKey(rawValue: 10)
    package static let joinGroup = KafkaAPIKey(rawValue: 11)
    package static let heartbeat = KafkaAPIKey(rawValue: 12)
    package static let leaveGroup = KafkaAPIKey(rawValue: 13)
    package static let syncGroup = KafkaAPIKey(rawValue: 14)
    package static let describeGroups = KafkaAPIKey(rawValue: 15)
    package static let listGroups = KafkaAPIKey(rawValue: 16)
    package static let apiVersions = KafkaAPIKey(rawValue: 18)
    package static let createTopics = KafkaAPIKey(rawValue: 19)
    package static let initProducerID = KafkaAPIKey(rawValue: 22)
    package static let addPartitionsToTransaction = KafkaAPIKey(rawValue: 24)
    package static let addOffsetsToTransaction = KafkaAPIKey(rawValue: 25)
    package static let endTransaction = KafkaAPIKey(rawValue: 26)
    package static let transactionOffsetCommit = KafkaAPIKey(rawValue: 28)
}

/// A Kafka broker error code (the protocol's numbering), for fault injection.
package struct KafkaBrokerErrorCode: RawRepresentable, Hashable, Sendable {
    package var rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }

    package static let unknownTopicOrPartition = KafkaBrokerErrorCode(rawValue: 3)
    package static let leaderNotAvailable = KafkaBrokerErrorCode(rawValue: 5)
    package static let notLeaderForPartition = KafkaBrokerErrorCode(rawValue: 6)
    package static let requestTimedOut = KafkaBrokerErrorCode(rawValue: 7)
    package static let networkException = KafkaBrokerErrorCode(rawValue: 13)
    package static let coordinatorLoadInProgress = KafkaBrokerErrorCode(rawValue: 14)
    package static let coordinatorNotAvailable = KafkaBrokerErrorCode(rawValue: 15)
    package static let notCoordinator = KafkaBrokerErrorCode(rawValue: 16)
    package static let notEnoughReplicas = KafkaBrokerErrorCode(rawValue: 19)
    package static let notEnoughReplicasAfterAppend = KafkaBrokerErrorCode(rawValue: 20)
    package static let rebalanceInProgress = KafkaBrokerErrorCode(rawValue: 27)
    package static let unsupportedVersion = KafkaBrokerErrorCode(rawValue: 35)
    package static let concurrentTransactions = KafkaBrokerErrorCode(rawValue: 51)
}

/// librdkafka's built-in mock Kafka cluster, in this process: the real wire protocol on loopback
/// listeners, with fault injection. For tests and `toxctl dev-broker`.
///
/// Limits of librdkafka 2.0.2's mock (see the KafkaClient overview): no CreateTopics, ListGroups or
/// DescribeGroups; topic configs (e.g. `cleanup.policy=compact`) cannot be set, so nothing is
/// compacted; about 5 MiB kept per partition (older records are dropped and the low watermark moves);
/// transactions are accepted but not emulated (no abort markers, offsets sent to a transaction are not
/// stored). Listener ports are ephemeral; 2.0.2 cannot bind fixed ports.
///
/// - Important: Close the clients that use the cluster before closing it.
package final class EmbeddedKafkaCluster: Sendable {
    private let handle: RdKafkaHandle
    private let cluster: MockCluster
    private let executor = BlockingExecutor(label: "toxwatch.kafka.mock")
    private let closedFlag = Atomic<Bool>(false)

    /// `@unchecked Sendable`: librdkafka's mock API functions are thread-safe (they post commands to the
    /// mock cluster's own thread and wait for the reply).
    private struct MockCluster: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// The brokers' `bootstrap.servers`, `HOST:PORT,HOST:PORT,…`.
    package let bootstrapServers: String
    package let brokerCount: Int

    /// Starts a mock cluster with `brokers` brokers (ids 1…brokers) on loopback.
    package init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError(code: .invalidArgument, message: "a cluster needs a broker") }
        // A private producer handle the mock cluster is attached to; it never connects anywhere.
        let handle = try RdKafkaHandle(
            type: RD_KAFKA_PRODUCER,
            properties: [
                "client.id": "toxwatch-embedded-cluster", "bootstrap.servers": "", "log.connection.close": "false",
            ],
            callbacks: RdKafkaCallbacks(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            handle.destroy()
            throw KafkaError(code: .other, message: "rd_kafka_mock_cluster_new failed")
        }
        self.handle = handle
        self.cluster = MockCluster(pointer: cluster)
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        if !closedFlag.exchange(true, ordering: .acquiringAndReleasing) {
            let handle = handle
            let cluster = cluster
            executor.dispatch {
                rd_kafka_mock_cluster_destroy(cluster.pointer)
                handle.destroy()
            }
        }
    }

    /// ``bootstrapServers`` as a list.
    package var bootstrapServerList: [String] { bootstrapServers.split(separator: ",").map(String.init) }

    /// Creates a topic (the 2.0.2 mock has no CreateTopics request; this goes through its API).
    /// Creating an existing topic fails with ``KafkaError/Code/topicAlreadyExists``.
    package func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        guard partitions > 0, replicationFactor > 0, replicationFactor <= brokerCount else {
            throw KafkaError(
                code: .invalidArgument,
                message:
                    "topic \(name): \(partitions) partitions, replication \(replicationFactor) on \(brokerCount) brokers"
            )
        }
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafkaError: err, context: "create topic \(name)") }
    }

    /// Makes the next `errors.count` requests of this API fail with these errors, in order (any broker).
    package func pushRequestErrors(apiKey: KafkaAPIKey, errors: [KafkaBrokerErrorCode]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        codes.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Forgets errors pushed for this API that were not used yet.
    package func clearRequestErrors(apiKey: KafkaAPIKey) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, apiKey.rawValue)
    }

    /// Disconnects a broker's clients and refuses new connections until ``setBrokerUp(_:)``.
    package func setBrokerDown(_ brokerID: Int) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster.pointer, Int32(brokerID)), "broker \(brokerID) down")
    }

    package func setBrokerUp(_ brokerID: Int) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster.pointer, Int32(brokerID)), "broker \(brokerID) up")
    }

    /// Delays every response of a broker by `roundTripTime`.
    package func setRoundTripTime(broker brokerID: Int, _ roundTripTime: Duration) throws(KafkaError) {
        try check(
            rd_kafka_mock_broker_set_rtt(cluster.pointer, Int32(brokerID), Int32(roundTripTime.kafkaMilliseconds)),
            "broker \(brokerID) rtt")
    }

    package enum CoordinatorKind: String, Sendable {
        case group
        case transaction
    }

    /// Makes `brokerID` the coordinator of a group or transactional id.
    package func setCoordinator(_ kind: CoordinatorKind, key: String, broker brokerID: Int) throws(KafkaError) {
        try check(
            rd_kafka_mock_coordinator_set(cluster.pointer, kind.rawValue, key, Int32(brokerID)),
            "\(kind) coordinator")
    }

    /// Moves a partition's leadership (-1: no leader).
    package func setPartitionLeader(topic: String, partition: Int, broker brokerID: Int) throws(KafkaError) {
        try check(
            rd_kafka_mock_partition_set_leader(cluster.pointer, topic, Int32(partition), Int32(brokerID)),
            "leader of \(topic)[\(partition)]")
    }

    /// Makes metadata requests report this error for the topic (nil clears it).
    package func setTopicError(_ topic: String, _ error: KafkaBrokerErrorCode?) {
        rd_kafka_mock_topic_set_error(cluster.pointer, topic, rd_kafka_resp_err_t(rawValue: error?.rawValue ?? 0))
    }

    /// Restricts the versions the cluster advertises for an API (both -1: the API is not offered).
    package func setAPIVersions(_ apiKey: KafkaAPIKey, minimum: Int16, maximum: Int16) throws(KafkaError) {
        try check(
            rd_kafka_mock_set_apiversion(cluster.pointer, apiKey.rawValue, minimum, maximum), "api versions")
    }

    /// Stops the brokers and frees the cluster (off the cooperative pool).
    package func close() async {
        guard !closedFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = handle
        let cluster = cluster
        try? await executor.run { () throws(KafkaError) in
            rd_kafka_mock_cluster_destroy(cluster.pointer)
            handle.destroy()
        }
    }

    private func check(_ err: rd_kafka_resp_err_t, _ context: String) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafkaError: err, context: context) }
    }
}
