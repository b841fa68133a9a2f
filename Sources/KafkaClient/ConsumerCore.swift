internal import CRdKafka
import Logging
import Synchronization

/// State shared between the facade, the events sequence and the poll thread.
final class ConsumerCore: Sendable {
    enum Command: Sendable {
        case seek([TopicPartitionOffset], CheckedContinuation<KafkaError?, Never>)
    }

    private struct Control {
        var closeRequested = false
        var closed = false
        var commands: [Command] = []
    }

    let handle: RdKafkaHandle
    let pipe: WakeupPipe
    let buffer: ConsumerEventBuffer
    let executor: BlockingExecutor
    let closed = CompletionSignal()
    let configuration: KafkaConsumerConfiguration
    let logger: Logger
    private let control = Mutex(Control())

    init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let pipe = WakeupPipe()
        let callbacks = RdKafkaCallbacks(logger: logger, onFailure: { pipe.wake() })
        let handle: RdKafkaHandle
        do {
            handle = try RdKafkaHandle(
                type: RD_KAFKA_CONSUMER, properties: configuration.librdkafkaProperties(), callbacks: callbacks
            ) { conf in
                rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                    guard let partitions, let callbacks = RdKafkaCallbacks.from(opaque) else { return }
                    if let hook = callbacks.rebalanceHook {
                        hook(err, partitions)
                    } else if let rk {
                        // No poll loop (not expected): behave like librdkafka's default.
                        _ = rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nil)
                    }
                }
            }
        } catch {
            pipe.close()
            throw error
        }
        self.handle = handle
        self.pipe = pipe
        self.configuration = configuration
        self.logger = logger
        self.buffer = ConsumerEventBuffer(capacity: configuration.bufferCapacity, pipe: pipe)
        self.executor = BlockingExecutor(label: "toxwatch.kafka.consumer.blocking")
        // Route the main queue (errors, logs if queued) into the consumer queue served by the poll thread.
        rd_kafka_poll_set_consumer(handle.pointer)
        DedicatedThread.start(name: "kafka-consumer-poll") { [self] in
            ConsumerPollLoop(core: self).run()
        }
    }

    func requestClose() {
        let isNew = control.withLock { control -> Bool in
            guard !control.closeRequested else { return false }
            control.closeRequested = true
            return true
        }
        if isNew { pipe.wake() }
    }

    var isCloseRequested: Bool { control.withLock { $0.closeRequested } }

    /// Takes the pending commands (poll thread).
    func takeCommands() -> [Command] {
        control.withLock { control in
            defer { control.commands.removeAll() }
            return control.commands
        }
    }

    /// Marks the consumer closed and fails commands that arrive later (poll thread).
    func markClosed() -> [Command] {
        control.withLock { control in
            control.closed = true
            defer { control.commands.removeAll() }
            return control.commands
        }
    }

    func seek(_ offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        let error = await withCheckedContinuation { (continuation: CheckedContinuation<KafkaError?, Never>) in
            let accepted = control.withLock { control -> Bool in
                guard !control.closed else { return false }
                control.commands.append(.seek(offsets, continuation))
                return true
            }
            if accepted {
                pipe.wake()
            } else {
                continuation.resume(returning: KafkaError(code: .shutdown, message: "the consumer is closed"))
            }
        }
        if let error { throw error }
    }

    func commit(_ offsets: [TopicPartitionOffset]?) async throws(KafkaError) {
        let handle = handle
        try await executor.run { () throws(KafkaError) in
            let list = offsets.map { PartitionList.make($0) }
            defer { list.map { rd_kafka_topic_partition_list_destroy($0) } }
            let err = rd_kafka_commit(handle.pointer, list, 0)
            if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if let failure = handle.callbacks.failure { throw failure }
                throw KafkaError(rdKafkaError: err, context: "commit")
            }
            if let list {
                try check(err, list: list, context: "commit")
            }
        }
    }
}

/// The poll thread: owns everything it touches (not shared, hence not `Sendable`).
final class ConsumerPollLoop {
    let core: ConsumerCore
    let rk: OpaquePointer
    let maxBatchSize: Int
    var pending: [KafkaMessage] = []
    var lastTopicHandle: OpaquePointer?
    var lastTopicName = ""
    var topicNames: [OpaquePointer: String] = [:]
    /// Assign mode: partitions not yet read to their end offset at start, and those end offsets.
    var notCaughtUp: Set<TopicPartition> = []
    var startEndOffsets: [TopicPartition: Int64] = [:]
    var reportedCaughtUp = true
    var failure: KafkaError?

    init(core: ConsumerCore) {
        self.core = core
        self.rk = core.handle.pointer
        self.maxBatchSize = core.configuration.maxBatchSize
        pending.reserveCapacity(maxBatchSize)
    }

    var logger: Logger { core.logger }

    func run() {
        let queue = rd_kafka_queue_get_consumer(rk)!
        var payload: UInt8 = 1
        rd_kafka_queue_io_event_enable(queue, core.pipe.writeDescriptor, &payload, 1)
        core.handle.callbacks.rebalanceHook = { [unowned self] err, list in self.rebalance(err, list) }

        start()
        // Poll at least this often while idle so librdkafka's max.poll.interval.ms sees a live consumer.
        let livenessMilliseconds = Int32(max(100, min(1000, core.configuration.maxPollInterval.kafkaMilliseconds / 4)))
        while failure == nil && !core.isCloseRequested {
            runCommands()
            if let error = core.handle.callbacks.failure {
                failure = error
                break
            }
            guard core.buffer.reserveSpace() else {
                core.pipe.wait(timeoutMilliseconds: -1)
                core.pipe.drain()
                continue
            }
            core.pipe.drain()
            let taken = takeBatch()
            if taken < maxBatchSize && rd_kafka_queue_length(queue) == 0 {
                core.pipe.wait(timeoutMilliseconds: livenessMilliseconds)
            }
        }
        flushPending()
        if let failure {
            logger.error("kafka.consumer.failed", metadata: ["kafka.error": "\(failure)"])
        }
        // Graceful close: revokes the assignment through `rebalance` (waiting for acknowledgement) and
        // leaves the group. It serves its own temporary queue.
        let closeError = rd_kafka_consumer_close(rk)
        if closeError != RD_KAFKA_RESP_ERR_NO_ERROR && failure == nil {
            logger.warning(
                "kafka.consumer.close.failed",
                metadata: ["kafka.error": "\(KafkaError(rdKafkaError: closeError, context: "close"))"])
        }
        for command in core.markClosed() {
            fail(command, KafkaError(code: .shutdown, message: "the consumer is closed"))
        }
        core.buffer.finish(failure: failure)
        rd_kafka_queue_io_event_enable(queue, -1, nil, 0)
        rd_kafka_queue_destroy(queue)
        core.handle.callbacks.rebalanceHook = nil
        core.handle.destroy()
        core.pipe.close()
        core.closed.signal()
    }

    /// Subscribes (group mode) or assigns every partition from the beginning (assign mode).
    func start() {
        switch core.configuration.strategy {
        case .group(_, let topics):
            let list = PartitionList.make(topics.map { TopicPartition($0, -1) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_subscribe(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { failure = KafkaError(rdKafkaError: err, context: "subscribe") }
        case .allPartitions(let topics):
            do throws(KafkaError) {
                try assignAll(topics)
            } catch {
                failure = error
            }
        case .partitions(let starts):
            do throws(KafkaError) {
                try assign(starts)
            } catch {
                failure = error
            }
        }
    }

    private func assignAll(_ topics: [String]) throws(KafkaError) {
        var partitions: [TopicPartitionOffset] = []
        for topic in topics {
            let count = try partitionCount(of: topic, timeout: .seconds(10))
            partitions += (0..<count).map { TopicPartitionOffset(TopicPartition(topic, $0), .beginning) }
        }
        try assign(partitions)
    }

    /// Assigns partitions at their start offsets and notes, for the caught-up signal, the end
    /// offset of each partition that has something to read from its start.
    private func assign(_ starts: [TopicPartitionOffset]) throws(KafkaError) {
        for start in starts {
            let marks = try queryWatermarkOffsets(core.handle, start.topicPartition, timeout: .seconds(10))
            let from = start.offset.isAbsolute ? max(start.offset.rawValue, marks.low) : marks.low
            if marks.high > from {
                startEndOffsets[start.topicPartition] = marks.high
                notCaughtUp.insert(start.topicPartition)
            }
        }
        let list = PartitionList.make(starts)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafkaError: err, context: "assign") }
        let partitions = starts.map(\.topicPartition)
        logger.debug("kafka.consumer.assigned", metadata: ["kafka.partitions": "\(partitions.count)"])
        core.buffer.append(
            .rebalance(.init(kind: .assigned, partitions: partitions, rebalanceProtocol: .none, acknowledgement: nil)))
        reportedCaughtUp = false
        reportCaughtUpIfDone()
    }

    /// Reads a topic's partition count, retrying until the topic exists or `timeout` passes.
    private func partitionCount(of topic: String, timeout: Duration) throws(KafkaError) -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        guard let topicHandle = rd_kafka_topic_new(rk, topic, nil) else {
            throw KafkaError(code: .invalidArgument, message: "invalid topic name \(topic)")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var lastError = KafkaError(code: .timedOut, message: "no metadata for \(topic)")
        while clock.now < deadline && !core.isCloseRequested {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(rk, 0, topicHandle, &metadata, 2000)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata {
                defer { rd_kafka_metadata_destroy(metadata) }
                if metadata.pointee.topic_cnt > 0 {
                    let entry = metadata.pointee.topics[0]
                    if entry.err == RD_KAFKA_RESP_ERR_NO_ERROR && entry.partition_cnt > 0 {
                        return Int(entry.partition_cnt)
                    }
                    lastError = KafkaError(rdKafkaError: entry.err, context: "metadata of \(topic)")
                }
            } else {
                lastError = KafkaError(rdKafkaError: err, context: "metadata of \(topic)")
            }
            if let failure = core.handle.callbacks.failure { throw failure }
            core.pipe.wait(timeoutMilliseconds: 200)
        }
        throw lastError
    }

    /// Takes up to `maxBatchSize` messages from librdkafka without blocking; returns how many were taken.
    ///
    /// `rd_kafka_consumer_poll(rk, 0)` in a loop rather than `rd_kafka_consume_batch_queue`: in
    /// librdkafka 2.0.2 the batch call advances the application offset of messages it then discards at a
    /// pause/seek/rebalance barrier, which skips offsets (fixed in 2.1.0, librdkafka PR #4208). Both pop
    /// one op per lock; the loop filters outdated messages one by one, before they touch any offset.
    private func takeBatch() -> Int {
        var taken = 0
        while pending.count < maxBatchSize {
            guard let message = rd_kafka_consumer_poll(rk, 0) else { break }
            taken += 1
            handle(message)
            rd_kafka_message_destroy(message)
            if failure != nil { break }
        }
        flushPending()
        reportCaughtUpIfDone()
        return taken
    }

    private func handle(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = message.pointee.err
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let converted = convert(message)
            if !notCaughtUp.isEmpty, let end = startEndOffsets[converted.topicPartition], converted.offset >= end - 1 {
                notCaughtUp.remove(converted.topicPartition)
            }
            pending.append(converted)
            return
        }
        if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
            if !notCaughtUp.isEmpty, let topic = message.pointee.rkt {
                notCaughtUp.remove(TopicPartition(topicName(topic), Int(message.pointee.partition)))
            }
            return
        }
        var detail = ""
        if let payload = message.pointee.payload, message.pointee.len > 0 {
            detail = String(decoding: UnsafeRawBufferPointer(start: payload, count: message.pointee.len), as: UTF8.self)
        }
        let error = KafkaError(rdKafkaError: err, context: detail.isEmpty ? "consumer error" : detail)
        core.handle.callbacks.inspect(line: detail)
        if err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(rk, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR {
            var fatal = error
            fatal.isFatal = true
            failure = fatal
        } else if let incompatibility = core.handle.callbacks.failure {
            failure = incompatibility
        } else {
            logger.warning(
                "kafka.consumer.error",
                metadata: ["kafka.error.name": "\(error.name ?? "")", "kafka.error": "\(error.message)"])
        }
    }

    private func topicName(_ topic: OpaquePointer) -> String {
        if topic == lastTopicHandle { return lastTopicName }
        let name: String
        if let cached = topicNames[topic] {
            name = cached
        } else {
            name = String(cString: rd_kafka_topic_name(topic))
            topicNames[topic] = name
        }
        lastTopicHandle = topic
        lastTopicName = name
        return name
    }

    private func convert(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let raw = message.pointee
        let topic = raw.rkt.map { topicName($0) } ?? ""
        let key: [UInt8]? = raw.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        let value: [UInt8]? = raw.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: raw.len)) }
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    KafkaHeader(
                        name: name.map { String(cString: $0) } ?? "",
                        value: headerValue.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaMessage(
            topic: topic, partition: Int(raw.partition), offset: raw.offset, key: key, value: value, headers: headers,
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                ? nil
                : KafkaTimestamp(
                    kind: timestampType == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime,
                    millisecondsSinceEpoch: timestamp))
    }

    private func flushPending() {
        guard !pending.isEmpty else { return }
        core.buffer.append(.messages(pending))
        pending = []
        pending.reserveCapacity(maxBatchSize)
    }

    private func reportCaughtUpIfDone() {
        guard !reportedCaughtUp, notCaughtUp.isEmpty else { return }
        reportedCaughtUp = true
        flushPending()
        core.buffer.append(.caughtUp)
    }

    // MARK: Commands

    private func runCommands() {
        for command in core.takeCommands() {
            switch command {
            case .seek(let offsets, let continuation):
                flushPending()
                core.buffer.purge(Set(offsets.map(\.topicPartition)))
                let list = PartitionList.make(offsets)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                var result: KafkaError?
                if let error = rd_kafka_seek_partitions(rk, list, 10_000) {
                    result = KafkaError(consuming: error, context: "seek")
                } else if let failed = PartitionList.read(list).first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR })
                {
                    result = KafkaError(rdKafkaError: failed.error, context: "seek \(failed.topicPartition)")
                }
                continuation.resume(returning: result)
            }
        }
    }

    private func fail(_ command: ConsumerCore.Command, _ error: KafkaError) {
        switch command {
        case .seek(_, let continuation): continuation.resume(returning: error)
        }
    }

    // MARK: Rebalance (called by librdkafka on this thread)

    private func rebalance(_ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let partitions = PartitionList.read(list).map(\.topicPartition).sorted()
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        let rebalanceProtocol: KafkaRebalanceEvent.RebalanceProtocol = cooperative ? .cooperative : .eager
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    logAssignmentFailure(KafkaError(consuming: error, context: "incremental assign"))
                }
            } else {
                let result = rd_kafka_assign(rk, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logAssignmentFailure(KafkaError(rdKafkaError: result, context: "assign"))
                }
            }
            // A partition comes to the application unpaused, whatever happened to it before.
            clearApplicationPause(list)
            logger.debug("kafka.consumer.assigned", metadata: ["kafka.partitions": "\(partitions.count)"])
            flushPending()
            core.buffer.append(
                .rebalance(
                    .init(
                        kind: .assigned, partitions: partitions, rebalanceProtocol: rebalanceProtocol,
                        acknowledgement: nil)))

        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            flushPending()
            core.buffer.purge(Set(partitions))
            let acknowledgement = RebalanceAcknowledgement(pipe: core.pipe)
            core.buffer.append(
                .rebalance(
                    .init(
                        kind: lost ? .lost : .revoked, partitions: partitions, rebalanceProtocol: rebalanceProtocol,
                        acknowledgement: acknowledgement)))
            waitForAcknowledgement(acknowledgement, partitionCount: partitions.count)
            // librdkafka 2.0.2 keeps an application pause across unassign/assign: a partition paused
            // when it was taken away would stay paused when it comes back. Resume it while it is
            // still assigned.
            clearApplicationPause(list)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    logAssignmentFailure(KafkaError(consuming: error, context: "incremental unassign"))
                }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
            logger.debug(
                "kafka.consumer.revoked",
                metadata: ["kafka.partitions": "\(partitions.count)", "kafka.lost": "\(lost)"])

        default:
            logger.warning(
                "kafka.consumer.rebalance.error",
                metadata: ["kafka.error": "\(KafkaError(rdKafkaError: err, context: "rebalance"))"])
            // The partitions are unassigned without a revocation of their own: tell the application
            // they are lost, so that it never keeps working on an assignment it no longer has.
            flushPending()
            core.buffer.purge(Set(partitions))
            let acknowledgement = RebalanceAcknowledgement(pipe: core.pipe)
            core.buffer.append(
                .rebalance(
                    .init(
                        kind: .lost, partitions: partitions, rebalanceProtocol: rebalanceProtocol,
                        acknowledgement: acknowledgement)))
            waitForAcknowledgement(acknowledgement, partitionCount: partitions.count)
            clearApplicationPause(list)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) { rd_kafka_error_destroy(error) }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        }
    }

    /// Resumes partitions the application paused (``KafkaConsumer/pause(_:)``); a partition that is
    /// not paused is left as it is.
    private func clearApplicationPause(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        guard list.pointee.cnt > 0 else { return }
        let err = rd_kafka_resume_partitions(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "kafka.consumer.resume.failed",
                metadata: ["kafka.error": "\(KafkaError(rdKafkaError: err, context: "resume"))"])
        }
    }

    private func logAssignmentFailure(_ error: KafkaError) {
        logger.error("kafka.consumer.assign.failed", metadata: ["kafka.error": "\(error)"])
    }

    /// Blocks the poll thread (inside librdkafka's rebalance callback) until the application
    /// acknowledges, the events are abandoned, or the timeout passes. Seeks keep being served meanwhile.
    private func waitForAcknowledgement(_ acknowledgement: RebalanceAcknowledgement, partitionCount: Int) {
        let clock = ContinuousClock()
        let deadline = clock.now + core.configuration.rebalanceAcknowledgementTimeout
        while !acknowledgement.isAcknowledged {
            if core.buffer.isDetached || failure != nil { return }
            let remaining = deadline - clock.now
            if remaining <= .zero {
                logger.warning(
                    "kafka.consumer.revocation.unacknowledged",
                    metadata: [
                        "kafka.partitions": "\(partitionCount)",
                        "kafka.timeout": "\(core.configuration.rebalanceAcknowledgementTimeout)",
                    ])
                return
            }
            core.pipe.wait(timeoutMilliseconds: Int32(max(1, min(remaining.kafkaMilliseconds, 1000))))
            core.pipe.drain()
            runCommands()
        }
    }
}
