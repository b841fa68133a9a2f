internal import CRdKafka
package import Logging
import Synchronization

/// A Kafka consumer: a group member (subscribe) or an assign-mode reader of whole topics.
///
/// Messages, rebalances and (in assign mode) the caught-up signal arrive in order on ``events``. A
/// dedicated poll thread takes messages from librdkafka in batches as soon as librdkafka signals its
/// queue (an fd wake-up, not a timer), converts them, and hands each batch over with one lock. When the
/// application falls behind, the bounded buffer fills and the poll thread stops taking messages, so
/// librdkafka's bounded prefetch fills and fetching pauses.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: .init(
///     bootstrapServers: servers, strategy: .group(id: "toxd", topics: ToxWatchTopics.patientInputs)), logger: logger)
/// for try await event in consumer.events {
///     switch event {
///     case .messages(let batch): try await process(batch); try await consumer.commit(batch.nextOffsets)
///     case .rebalance(let change) where change.kind == .revoked:
///         try await finishAndCommit(change.partitions); change.acknowledge()
///     case .rebalance, .caughtUp: break
///     }
/// }
/// ```
///
/// Offsets are never stored or committed automatically (`enable.auto.commit=false`,
/// `enable.auto.offset.store=false`): commit explicit offsets with ``commit(_:)``, or store them with
/// ``storeOffsets(_:)`` and commit with ``commitStoredOffsets()``.
///
/// - Important: Call ``close()`` (or ``shutdown()`` and keep iterating ``events`` until it ends) to
///   leave the group gracefully: the final revocation is delivered on ``events`` and waits for its
///   acknowledgement, then the handle is destroyed on the poll thread.
package final class KafkaConsumer: Sendable {
    private let core: ConsumerCore
    package let configuration: KafkaConsumerConfiguration

    /// Creates the consumer and starts its poll thread, which subscribes (group mode) or reads the
    /// topics' partitions and assigns them from the beginning (assign mode).
    package init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        switch configuration.strategy {
        case .group(let id, let topics):
            guard !id.isEmpty, !topics.isEmpty else {
                throw KafkaError(code: .invalidArgument, message: "a group consumer needs a group id and topics")
            }
        case .allPartitions(let topics):
            guard !topics.isEmpty else { throw KafkaError(code: .invalidArgument, message: "no topics to read") }
        case .partitions(let starts):
            guard !starts.isEmpty else { throw KafkaError(code: .invalidArgument, message: "no partitions to read") }
        }
        self.configuration = configuration
        self.core = try ConsumerCore(configuration: configuration, logger: logger)
    }

    deinit {
        core.requestClose()
    }

    /// The consumer's events. Iterate once.
    package var events: KafkaConsumerEvents { KafkaConsumerEvents(buffer: core.buffer) }

    /// Messages taken from librdkafka but not yet delivered to the application.
    package var bufferedMessageCount: Int { core.buffer.bufferedMessageCount }

    /// librdkafka's client instance name.
    package var name: String { core.handle.name }

    /// Stops fetching from these partitions (messages already buffered are still delivered).
    ///
    /// A pause lasts until ``resume(_:)`` or until the partition is revoked or lost: the consumer
    /// resumes a partition before handing it back to the group, and every newly assigned partition
    /// starts unpaused (librdkafka 2.0.2 would otherwise keep the pause across unassign/assign, and a
    /// partition paused when it was revoked would never be fetched again when it came back).
    package func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_pause_partitions(core.handle.pointer, list), list: list, context: "pause")
    }

    /// Resumes fetching from paused partitions, at the position after the last delivered message.
    package func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_resume_partitions(core.handle.pointer, list), list: list, context: "resume")
    }

    /// Moves the fetch position of assigned partitions (e.g. to rewind after a failed produce).
    ///
    /// Runs on the poll thread between batches: buffered, undelivered messages of these partitions are
    /// dropped and the next messages delivered for them start at the new offsets.
    package func seek(_ offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        try await core.seek(offsets)
    }

    /// Stores offsets (next offset to read) for the next ``commitStoredOffsets()``. Non-blocking.
    package func storeOffsets(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        let list = PartitionList.make(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_offsets_store(core.handle.pointer, list), list: list, context: "store offsets")
    }

    /// Commits these offsets (next offset to read per partition) synchronously, off the cooperative pool.
    /// - Throws: ``KafkaError``; ``KafkaError/Code/rebalanceInProgress`` if the generation is stale.
    package func commit(_ offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try await core.commit(offsets)
    }

    /// Commits the offsets stored with ``storeOffsets(_:)``.
    package func commitStoredOffsets() async throws(KafkaError) {
        try await core.commit(nil)
    }

    /// The group's committed offsets for these partitions, in order; ``KafkaOffset/invalid`` where none.
    package func committed(
        _ partitions: [TopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [TopicPartitionOffset] {
        let handle = core.handle
        return try await core.executor.run { () throws(KafkaError) in
            let list = PartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.pointer, list, Int32(timeout.kafkaMilliseconds))
            try check(err, list: list, context: "committed")
            return PartitionList.read(list).map { TopicPartitionOffset($0.topicPartition, KafkaOffset($0.offset)) }
        }
    }

    /// The current fetch positions (offset after the last delivered message); ``KafkaOffset/invalid``
    /// where nothing was delivered yet. Non-blocking.
    package func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartitionOffset] {
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_position(core.handle.pointer, list), list: list, context: "position")
        return PartitionList.read(list).map { TopicPartitionOffset($0.topicPartition, KafkaOffset($0.offset)) }
    }

    /// The watermarks librdkafka last saw in fetch responses; nil if unknown. Non-blocking.
    package func cachedWatermarks(_ partition: TopicPartition) -> Watermarks? {
        var low: Int64 = -1001
        var high: Int64 = -1001
        let err = rd_kafka_get_watermark_offsets(
            core.handle.pointer, partition.topic, Int32(partition.partition), &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return Watermarks(low: low, high: high)
    }

    /// Asks the partition leader for the watermarks (blocking call, run off the cooperative pool).
    package func queryWatermarks(
        _ partition: TopicPartition, timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> Watermarks {
        let handle = core.handle
        return try await core.executor.run { () throws(KafkaError) in
            try queryWatermarkOffsets(handle, partition, timeout: timeout)
        }
    }

    /// The current assignment.
    package func assignment() throws(KafkaError) -> [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(core.handle.pointer, &list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            throw KafkaError(rdKafkaError: err, context: "assignment")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return PartitionList.read(list).map(\.topicPartition).sorted()
    }

    /// The group metadata (group id, generation, member id) for
    /// ``KafkaProducer/sendOffsetsToTransaction(_:groupMetadata:timeout:)``. Fetch it per transaction:
    /// the generation changes with every rebalance.
    package func groupMetadata() throws(KafkaError) -> KafkaConsumerGroupMetadata {
        guard let metadata = rd_kafka_consumer_group_metadata(core.handle.pointer) else {
            throw KafkaError(code: .invalidState, message: "the consumer has no group metadata")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        if let error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size) {
            throw KafkaError(consuming: error, context: "group metadata")
        }
        defer { rd_kafka_mem_free(nil, buffer) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: size))
        return KafkaConsumerGroupMetadata(serialized: bytes, groupID: configuration.groupID)
    }

    /// Requests a graceful close without waiting: the poll thread stops fetching, revokes the assignment
    /// (delivered on ``events``, waiting for acknowledgement), leaves the group, destroys the handle and
    /// ends ``events``.
    package func shutdown() {
        core.requestClose()
    }

    /// ``shutdown()``, then waits until the consumer has closed.
    ///
    /// If the assignment is revoked during the close, acknowledge it from the task that iterates
    /// ``events`` (or that revocation waits for `rebalanceAcknowledgementTimeout`).
    package func close() async {
        core.requestClose()
        await core.closed.wait()
    }
}

/// Throws the call's error, or the first per-partition error in `list`.
func check(
    _ err: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, context: String
) throws(KafkaError) {
    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafkaError: err, context: context) }
    if let failed = PartitionList.read(list).first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
        throw KafkaError(rdKafkaError: failed.error, context: "\(context) \(failed.topicPartition)")
    }
}

func queryWatermarkOffsets(
    _ handle: RdKafkaHandle, _ partition: TopicPartition, timeout: Duration
) throws(KafkaError) -> Watermarks {
    var low: Int64 = 0
    var high: Int64 = 0
    let err = rd_kafka_query_watermark_offsets(
        handle.pointer, partition.topic, Int32(partition.partition), &low, &high,
        Int32(timeout.kafkaMilliseconds))
    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
        if let failure = handle.callbacks.failure { throw failure }
        throw KafkaError(rdKafkaError: err, context: "watermarks of \(partition)")
    }
    return Watermarks(low: low, high: high)
}
