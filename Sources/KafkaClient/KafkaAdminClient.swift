internal import CRdKafka
import Foundation
package import Logging
import Synchronization

/// Cluster administration for `toxctl`: metadata, topic creation, watermarks, committed offsets of any
/// group (without joining it), group descriptions and reading single messages.
///
/// Every call is bounded by `requestTimeout` (default 5 s), so an unreachable broker is reported within
/// seconds. Calls run on a dedicated serial dispatch queue, never on Swift's cooperative pool.
package final class KafkaAdminClient: Sendable {
    private let handle: RdKafkaHandle
    private let properties: [String: String]
    private let logger: Logger
    private let executor = BlockingExecutor(label: "toxwatch.kafka.admin")
    private let closedFlag = Atomic<Bool>(false)
    package let configuration: KafkaAdminConfiguration

    package init(configuration: KafkaAdminConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        var properties = configuration.librdkafkaProperties()
        // A consumer-type handle without a group: AdminAPI, metadata and the simple consumer API work;
        // `readMessage` must not silently jump elsewhere when an offset is out of range.
        properties["auto.offset.reset"] = properties["auto.offset.reset"] ?? "error"
        properties["enable.partition.eof"] = "true"
        self.properties = properties
        self.logger = logger
        handle = try RdKafkaHandle(
            type: RD_KAFKA_CONSUMER, properties: properties, callbacks: RdKafkaCallbacks(logger: logger))
    }

    deinit {
        if !closedFlag.exchange(true, ordering: .acquiringAndReleasing) {
            let handle = handle
            executor.dispatch { handle.destroy() }
        }
    }

    private var timeoutMilliseconds: Int32 { Int32(configuration.requestTimeout.kafkaMilliseconds) }

    /// Runs `work` on the executor after serving pending events (errors, logs).
    ///
    /// With `isolated`, `work` gets a temporary handle. This is for requests a broker may not implement,
    /// where librdkafka 2.0.2 misbehaves: it sends ListGroups and CreateTopics anyway (the 2.0.2 mock
    /// closes the connection and librdkafka retries until the timeout), and after DescribeConsumerGroups
    /// fails with `_UNSUPPORTED_FEATURE` the handle's main thread deadlocks (every later request times
    /// out and `rd_kafka_destroy` never returns). A temporary handle keeps this client usable; when the
    /// answer is "unsupported" the temporary handle is deliberately not destroyed (destroying a
    /// deadlocked handle hangs) and the answer is cached so it happens at most once per operation.
    private func run<Result: Sendable>(
        isolated: Bool = false, _ work: @escaping @Sendable (RdKafkaHandle) throws(KafkaError) -> Result
    ) async throws(KafkaError) -> Result {
        if closedFlag.load(ordering: .acquiring) {
            throw KafkaError(code: .shutdown, message: "the admin client is closed")
        }
        let selected =
            isolated
            ? try RdKafkaHandle(
                type: RD_KAFKA_CONSUMER, properties: properties, callbacks: RdKafkaCallbacks(logger: logger))
            : handle
        return try await executor.run { () throws(KafkaError) in
            let handle = selected
            rd_kafka_poll(handle.pointer, 0)
            do throws(KafkaError) {
                let result = try work(handle)
                if isolated { handle.destroy() }
                return result
            } catch {
                if isolated && error.code != .unsupportedByBroker && error.code != .timedOut { handle.destroy() }
                if let failure = handle.callbacks.failure { throw failure }
                throw error
            }
        }
    }

    /// Operations the brokers answered as unsupported, so they are not sent again.
    private let unsupportedOperations = Mutex<[String: KafkaError]>([:])

    private func cachedUnsupported(_ operation: String) -> KafkaError? {
        unsupportedOperations.withLock { $0[operation] }
    }

    /// The typed "unsupported" answer when the brokers' ApiVersions reply lacks `key` (remembered).
    /// The request is then never sent: librdkafka 2.0.2 aborts the process some time after a
    /// DescribeGroups to a broker without it (the 2.0.2 mock), and waits out the timeout for the others.
    private func unadvertised(_ key: KafkaAPIKey, _ operation: String) async -> KafkaError? {
        guard let apis = await advertisedAPIs(), apis[key] == nil else { return nil }
        let error = KafkaError(
            code: .unsupportedByBroker, message: "the brokers do not advertise \(operation) (ApiVersions)")
        return remember(error, unsupported: operation)
    }

    private func remember(_ error: KafkaError, unsupported operation: String) -> KafkaError {
        unsupportedOperations.withLock { $0[operation] = error }
        return error
    }

    /// Brokers and topics (all topics, or only `topics`).
    package func metadata(topics: [String]? = nil) async throws(KafkaError) -> KafkaClusterMetadata {
        let timeout = timeoutMilliseconds
        let metadata = try await run { handle throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(rdKafkaError: err, context: "metadata from \(Self.describe(handle))")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            return Self.convert(metadata.pointee)
        }
        guard let topics else { return metadata }
        let wanted = Set(topics)
        return KafkaClusterMetadata(
            brokers: metadata.brokers, topics: metadata.topics.filter { wanted.contains($0.name) })
    }

    private static func describe(_ handle: RdKafkaHandle) -> String {
        "the brokers"
    }

    private static func convert(_ metadata: rd_kafka_metadata) -> KafkaClusterMetadata {
        let brokers = (0..<Int(metadata.broker_cnt)).map { index in
            let broker = metadata.brokers[index]
            return KafkaBrokerMetadata(id: Int(broker.id), host: String(cString: broker.host), port: Int(broker.port))
        }
        let topics = (0..<Int(metadata.topic_cnt)).map { index in
            let topic = metadata.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { partitionIndex in
                let partition = topic.partitions[partitionIndex]
                return KafkaPartitionMetadata(
                    id: Int(partition.id), leader: Int(partition.leader),
                    replicas: (0..<Int(partition.replica_cnt)).map { Int(partition.replicas[$0]) },
                    inSyncReplicas: (0..<Int(partition.isr_cnt)).map { Int(partition.isrs[$0]) },
                    error: partition.err == RD_KAFKA_RESP_ERR_NO_ERROR
                        ? nil : KafkaError.Code(rdKafkaCode: partition.err.rawValue))
            }.sorted { $0.id < $1.id }
            return KafkaTopicMetadata(
                name: String(cString: topic.topic), partitions: partitions,
                error: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(rdKafkaCode: topic.err.rawValue))
        }.sorted { $0.name < $1.name }
        return KafkaClusterMetadata(brokers: brokers.sorted { $0.id < $1.id }, topics: topics)
    }

    /// Creates topics with the AdminAPI (CreateTopics).
    ///
    /// - Returns: one result per topic; an existing topic reports ``KafkaError/Code/topicAlreadyExists``.
    /// - Throws: ``KafkaError/Code/unsupportedByBroker`` if the broker has no CreateTopics (the
    ///   librdkafka 2.0.2 mock cluster: create its topics with ``EmbeddedKafkaCluster/createTopic(_:partitions:replicationFactor:)``).
    package func createTopics(_ topics: [KafkaNewTopic]) async throws(KafkaError) -> [KafkaTopicCreationResult] {
        if let known = cachedUnsupported("CreateTopics") { throw known }
        if let missing = await unadvertised(.createTopics, "CreateTopics") { throw missing }
        let reachable = (try? await metadata(topics: [])) != nil
        do {
            return try await createTopicsRequest(topics)
        } catch {
            throw remember(
                try unsupported(error, request: "CreateTopics", reachable: reachable), unsupported: "CreateTopics")
        }
    }

    private func createTopicsRequest(_ topics: [KafkaNewTopic]) async throws(KafkaError) -> [KafkaTopicCreationResult] {
        let timeout = timeoutMilliseconds
        return try await run(isolated: true) { handle throws(KafkaError) in
            var newTopics: [OpaquePointer?] = []
            defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
            var errorText = [CChar](repeating: 0, count: 512)
            for topic in topics {
                guard
                    let newTopic = rd_kafka_NewTopic_new(
                        topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &errorText, errorText.count
                    )
                else {
                    throw KafkaError(code: .invalidArgument, message: "topic \(topic.name): \(errorText.cStringValue)")
                }
                newTopics.append(newTopic)
                for (name, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(newTopic, name, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        throw KafkaError(rdKafkaError: err, context: "topic \(topic.name) config \(name)")
                    }
                }
            }
            let event = try Self.adminRequest(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout) {
                options, queue in
                newTopics.withUnsafeMutableBufferPointer { buffer in
                    rd_kafka_CreateTopics(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
                }
            }
            defer { rd_kafka_event_destroy(event) }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                throw KafkaError(code: .other, message: "CreateTopics returned no result")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
            return (0..<count).map { index in
                let topicResult = results[index]
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                let err = rd_kafka_topic_result_error(topicResult)
                guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return KafkaTopicCreationResult(name: name, error: nil) }
                let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
                return KafkaTopicCreationResult(
                    name: name, error: KafkaError(rdKafkaError: err, context: text.map { "\(name): \($0)" } ?? name))
            }
        }
    }

    /// Queries a partition's watermarks from its leader.
    package func watermarks(_ partition: TopicPartition) async throws(KafkaError) -> Watermarks {
        let timeout = configuration.requestTimeout
        return try await run { handle throws(KafkaError) in
            try queryWatermarkOffsets(handle, partition, timeout: timeout)
        }
    }

    /// The committed offsets of `group` for these partitions, without joining the group (AdminAPI
    /// ListConsumerGroupOffsets, an OffsetFetch to the group coordinator). In order of `partitions`;
    /// ``KafkaOffset/invalid`` where the group has committed nothing.
    package func committedOffsets(
        group: String, partitions: [TopicPartition]
    ) async throws(KafkaError) -> [TopicPartitionOffset] {
        let timeout = timeoutMilliseconds
        return try await run { handle throws(KafkaError) in
            let list = PartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            guard let request = rd_kafka_ListConsumerGroupOffsets_new(group, list) else {
                throw KafkaError(code: .invalidArgument, message: "invalid group \(group)")
            }
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            let event = try Self.adminRequest(handle, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout: timeout) {
                options, queue in
                var requests: [OpaquePointer?] = [request]
                requests.withUnsafeMutableBufferPointer { buffer in
                    rd_kafka_ListConsumerGroupOffsets(handle.pointer, buffer.baseAddress, 1, options, queue)
                }
            }
            defer { rd_kafka_event_destroy(event) }
            guard let result = rd_kafka_event_ListConsumerGroupOffsets_result(event) else {
                throw KafkaError(code: .other, message: "ListConsumerGroupOffsets returned no result")
            }
            var count = 0
            guard let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count), count > 0 else {
                throw KafkaError(code: .other, message: "ListConsumerGroupOffsets returned no group")
            }
            if let error = rd_kafka_group_result_error(groups[0]) {
                throw KafkaError(
                    rdKafkaError: rd_kafka_error_code(error),
                    context: "committed offsets of \(group): \(String(cString: rd_kafka_error_string(error)))")
            }
            var offsets: [TopicPartition: Int64] = [:]
            if let returned = rd_kafka_group_result_partitions(groups[0]) {
                for entry in PartitionList.read(returned) where entry.error == RD_KAFKA_RESP_ERR_NO_ERROR {
                    offsets[entry.topicPartition] = entry.offset
                }
            }
            return partitions.map { TopicPartitionOffset($0, KafkaOffset(offsets[$0] ?? KafkaOffset.invalid.rawValue)) }
        }
    }

    /// Describes consumer groups (DescribeGroups).
    /// - Returns: ``KafkaGroupDescriptions/unsupportedByBroker(_:)`` when the broker does not implement
    ///   DescribeGroups; throws other errors.
    package func describeGroups(_ groups: [String]) async throws(KafkaError) -> KafkaGroupDescriptions {
        if let known = cachedUnsupported("DescribeGroups") { return .unsupportedByBroker(known) }
        if let missing = await unadvertised(.describeGroups, "DescribeGroups") { return .unsupportedByBroker(missing) }
        let timeout = timeoutMilliseconds
        let reachable = (try? await metadata(topics: [])) != nil
        do throws(KafkaError) {
            let descriptions = try await run(isolated: true) { handle throws(KafkaError) -> [KafkaGroupDescription] in
                let event = try Self.adminRequest(handle, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout: timeout) {
                    options, queue in
                    let cStrings = groups.map { strdup($0) }
                    defer { for cString in cStrings { free(cString) } }
                    var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
                    pointers.withUnsafeMutableBufferPointer { buffer in
                        rd_kafka_DescribeConsumerGroups(
                            handle.pointer, buffer.baseAddress, buffer.count, options, queue)
                    }
                }
                defer { rd_kafka_event_destroy(event) }
                guard let result = rd_kafka_event_DescribeConsumerGroups_result(event) else {
                    throw KafkaError(code: .other, message: "DescribeConsumerGroups returned no result")
                }
                var count = 0
                guard let described = rd_kafka_DescribeConsumerGroups_result_groups(result, &count) else { return [] }
                var descriptions: [KafkaGroupDescription] = []
                for index in 0..<count {
                    guard let description = described[index] else { continue }
                    descriptions.append(try Self.convert(description))
                }
                return descriptions
            }
            return .described(descriptions)
        } catch {
            let error = try unsupported(error, request: "DescribeGroups", reachable: reachable)
            return .unsupportedByBroker(remember(error, unsupported: "DescribeGroups"))
        }
    }

    private static func convert(_ description: OpaquePointer) throws(KafkaError) -> KafkaGroupDescription {
        if let error = rd_kafka_ConsumerGroupDescription_error(description) {
            throw KafkaError(
                rdKafkaError: rd_kafka_error_code(error), context: String(cString: rd_kafka_error_string(error)))
        }
        let memberCount = rd_kafka_ConsumerGroupDescription_member_count(description)
        let members = (0..<memberCount).compactMap { index -> KafkaGroupMember? in
            guard let member = rd_kafka_ConsumerGroupDescription_member(description, index) else { return nil }
            var assignment: [TopicPartition] = []
            if let memberAssignment = rd_kafka_MemberDescription_assignment(member),
                let partitions = rd_kafka_MemberAssignment_partitions(memberAssignment)
            {
                assignment = PartitionList.read(partitions).map(\.topicPartition).sorted()
            }
            return KafkaGroupMember(
                memberID: String(cString: rd_kafka_MemberDescription_consumer_id(member)),
                clientID: String(cString: rd_kafka_MemberDescription_client_id(member)),
                host: String(cString: rd_kafka_MemberDescription_host(member)), assignment: assignment)
        }
        let coordinator = rd_kafka_ConsumerGroupDescription_coordinator(description).map { Int(rd_kafka_Node_id($0)) }
        return KafkaGroupDescription(
            groupID: String(cString: rd_kafka_ConsumerGroupDescription_group_id(description)),
            state: String(
                cString: rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description))),
            partitionAssignor: String(cString: rd_kafka_ConsumerGroupDescription_partition_assignor(description)),
            coordinator: coordinator, members: members)
    }

    /// Describes the configs of topics (DescribeConfigs): every config with its effective value.
    /// - Returns: ``KafkaTopicConfigs/unsupportedByBroker(_:)`` when the broker does not implement
    ///   DescribeConfigs; throws other errors (a topic-level error, e.g. an unknown topic, included).
    package func describeTopicConfigs(_ topics: [String]) async throws(KafkaError) -> KafkaTopicConfigs {
        if let known = cachedUnsupported("DescribeConfigs") { return .unsupportedByBroker(known) }
        if let missing = await unadvertised(.describeConfigs, "DescribeConfigs") {
            return .unsupportedByBroker(missing)
        }
        let timeout = timeoutMilliseconds
        let reachable = (try? await metadata(topics: [])) != nil
        do throws(KafkaError) {
            let configs = try await run(isolated: true) { handle throws(KafkaError) -> [String: [String: String]] in
                var resources: [OpaquePointer?] = []
                defer { for resource in resources { rd_kafka_ConfigResource_destroy(resource) } }
                for topic in topics {
                    guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
                        throw KafkaError(code: .invalidArgument, message: "invalid topic \(topic)")
                    }
                    resources.append(resource)
                }
                let event = try Self.adminRequest(handle, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout: timeout) {
                    options, queue in
                    resources.withUnsafeMutableBufferPointer { buffer in
                        rd_kafka_DescribeConfigs(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
                    }
                }
                defer { rd_kafka_event_destroy(event) }
                guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
                    throw KafkaError(code: .other, message: "DescribeConfigs returned no result")
                }
                var count = 0
                guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count) else { return [:] }
                var configs: [String: [String: String]] = [:]
                for index in 0..<count {
                    guard let resource = described[index] else { continue }
                    let name = String(cString: rd_kafka_ConfigResource_name(resource))
                    let err = rd_kafka_ConfigResource_error(resource)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        let text = rd_kafka_ConfigResource_error_string(resource).map { String(cString: $0) } ?? ""
                        throw KafkaError(rdKafkaError: err, context: "configs of \(name): \(text)")
                    }
                    var entryCount = 0
                    var entries: [String: String] = [:]
                    if let list = rd_kafka_ConfigResource_configs(resource, &entryCount) {
                        for entryIndex in 0..<entryCount {
                            guard let entry = list[entryIndex] else { continue }
                            let key = String(cString: rd_kafka_ConfigEntry_name(entry))
                            entries[key] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) } ?? ""
                        }
                    }
                    configs[name] = entries
                }
                return configs
            }
            return .described(configs)
        } catch {
            let error = try unsupported(error, request: "DescribeConfigs", reachable: reachable)
            return .unsupportedByBroker(remember(error, unsupported: "DescribeConfigs"))
        }
    }

    /// Lists consumer group ids (ListGroups).
    package func listGroups() async throws(KafkaError) -> KafkaGroupListing {
        if let known = cachedUnsupported("ListGroups") { return .unsupportedByBroker(known) }
        if let missing = await unadvertised(.listGroups, "ListGroups") { return .unsupportedByBroker(missing) }
        let timeout = timeoutMilliseconds
        let reachable = (try? await metadata(topics: [])) != nil
        do throws(KafkaError) {
            let groups = try await run(isolated: true) { handle throws(KafkaError) in
                let event = try Self.adminRequest(handle, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout: timeout) {
                    options, queue in
                    rd_kafka_ListConsumerGroups(handle.pointer, options, queue)
                }
                defer { rd_kafka_event_destroy(event) }
                guard let result = rd_kafka_event_ListConsumerGroups_result(event) else {
                    throw KafkaError(code: .other, message: "ListConsumerGroups returned no result")
                }
                var errorCount = 0
                if let errors = rd_kafka_ListConsumerGroups_result_errors(result, &errorCount), errorCount > 0,
                    let first = errors[0]
                {
                    let code = rd_kafka_error_code(first)
                    var valid = 0
                    _ = rd_kafka_ListConsumerGroups_result_valid(result, &valid)
                    if valid == 0 {
                        throw KafkaError(rdKafkaError: code, context: String(cString: rd_kafka_error_string(first)))
                    }
                }
                var count = 0
                guard let listings = rd_kafka_ListConsumerGroups_result_valid(result, &count) else { return [String]() }
                return (0..<count).map { String(cString: rd_kafka_ConsumerGroupListing_group_id(listings[$0])) }
                    .sorted()
            }
            return .listed(groups)
        } catch {
            let error = try unsupported(error, request: "ListGroups", reachable: reachable)
            return .unsupportedByBroker(remember(error, unsupported: "ListGroups"))
        }
    }

    /// Returns `error` as an ``KafkaError/Code/unsupportedByBroker`` error if it means the broker does
    /// not implement `request`; rethrows it otherwise.
    ///
    /// librdkafka 2.0.2 sends ListGroups and CreateTopics even to a broker that does not advertise them;
    /// the 2.0.2 mock cluster then closes the connection, librdkafka reconnects and retries until the
    /// request times out. A timeout from brokers that answered a metadata request just before is
    /// therefore reported as unsupported.
    private func unsupported(_ error: KafkaError, request: String, reachable: Bool) throws(KafkaError) -> KafkaError {
        if error.code == .unsupportedByBroker { return error }
        guard error.code == .timedOut, reachable else { throw error }
        var unsupported = error
        unsupported.code = .unsupportedByBroker
        unsupported.message =
            "the brokers answer metadata requests but not \(request) (no response within "
            + "\(configuration.requestTimeout)); treating \(request) as not implemented by this broker"
        return unsupported
    }

    /// Reads the message at `offset` of a partition (e.g. for its timestamp), or nil if there is none
    /// there yet (the offset is the log end). Throws ``KafkaError/Code/offsetOutOfRange`` for an offset
    /// outside the log.
    package func readMessage(
        topic: String, partition: Int, offset: Int64
    ) async throws(KafkaError) -> KafkaMessage? {
        let timeout = timeoutMilliseconds
        return try await run { handle throws(KafkaError) in
            guard let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) else {
                throw KafkaError(code: .invalidArgument, message: "invalid topic \(topic)")
            }
            defer { rd_kafka_topic_destroy(topicHandle) }
            if rd_kafka_consume_start(topicHandle, Int32(partition), offset) != 0 {
                throw KafkaError(rdKafkaError: rd_kafka_last_error(), context: "read \(topic)[\(partition)]@\(offset)")
            }
            defer { rd_kafka_consume_stop(topicHandle, Int32(partition)) }
            let clock = ContinuousClock()
            let deadline = clock.now + .milliseconds(Int(timeout))
            while clock.now < deadline {
                let remaining = max(1, (deadline - clock.now).kafkaMilliseconds)
                guard let message = rd_kafka_consume(topicHandle, Int32(partition), Int32(remaining)) else { break }
                defer { rd_kafka_message_destroy(message) }
                let raw = message.pointee
                if raw.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
                if raw.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError(rdKafkaError: raw.err, context: "read \(topic)[\(partition)]@\(offset)")
                }
                if raw.offset < offset { continue }
                return KafkaMessage(
                    topic: topic, partition: partition, offset: raw.offset,
                    key: raw.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.key_len)) },
                    value: raw.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.len)) },
                    timestamp: {
                        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                        let value = rd_kafka_message_timestamp(message, &type)
                        guard type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE else { return nil }
                        return KafkaTimestamp(
                            kind: type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime,
                            millisecondsSinceEpoch: value)
                    }())
            }
            return nil
        }
    }

    /// Destroys the handle (off the cooperative pool).
    package func close() async {
        guard !closedFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = handle
        try? await executor.run { () throws(KafkaError) in handle.destroy() }
    }

    /// Starts an AdminAPI request on a temporary queue and waits for its result event.
    private static func adminRequest(
        _ handle: RdKafkaHandle, _ operation: rd_kafka_admin_op_t, timeout: Int32,
        _ start: (OpaquePointer, OpaquePointer) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        guard let queue = rd_kafka_queue_new(handle.pointer) else {
            throw KafkaError(code: .other, message: "rd_kafka_queue_new failed")
        }
        defer { rd_kafka_queue_destroy(queue) }
        guard let options = rd_kafka_AdminOptions_new(handle.pointer, operation) else {
            throw KafkaError(code: .other, message: "rd_kafka_AdminOptions_new failed")
        }
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout, &errorText, errorText.count)
        start(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout + 1000) else {
            throw KafkaError(rdKafkaError: RD_KAFKA_RESP_ERR__TIMED_OUT, context: "admin request")
        }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            rd_kafka_event_destroy(event)
            throw KafkaError(rdKafkaError: err, context: text)
        }
        return event
    }
}
