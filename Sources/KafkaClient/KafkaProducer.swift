internal import CRdKafka
package import Logging
import Synchronization

/// A Kafka producer: idempotent by default, optionally transactional.
///
/// Records are enqueued without waiting; ``send(_:)-(ProducerRecord...)`` then awaits the delivery
/// reports of a whole batch at once. A dedicated poll thread (not Swift's cooperative pool) serves
/// librdkafka's delivery reports as soon as librdkafka signals its queue; blocking calls (flush,
/// transactions) run on a dedicated dispatch queue.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: .init(bootstrapServers: ["127.0.0.1:9092"]), logger: logger)
/// let reports = try await producer.send([
///     ProducerRecord(topic: "cart.toxicity-grades.v1", partition: 3, key: key, value: json, headers: headers)
/// ])
/// await producer.close()
/// ```
///
/// - Important: Call ``close(timeout:)`` when done: it flushes, then destroys the librdkafka handle.
///   Dropping the last reference without closing purges undelivered records (their senders get
///   ``KafkaError/Code/purged``) and destroys the handle on the poll thread.
package final class KafkaProducer: Sendable {
    private let core: ProducerCore
    package let configuration: KafkaProducerConfiguration

    /// Creates the producer and starts its poll thread.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/invalidConfiguration`` for a bad property.
    package init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.core = try ProducerCore(properties: configuration.librdkafkaProperties(), logger: logger)
    }

    deinit {
        core.requestClose(flushTimeout: .zero)
    }

    /// librdkafka's client instance name (e.g. `toxwatch#producer-1`).
    package var name: String { core.handle.name }

    /// Enqueues every record, then waits for all their delivery reports.
    ///
    /// - Returns: One report per record, in the order of `records`; a report's ``DeliveryReport/error``
    ///   is set if that record failed (this method does not throw for per-record failures).
    /// - Throws: ``KafkaError`` only if the producer is closed or has failed before enqueuing.
    package func produce(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport] {
        try await core.produce(records)
    }

    /// Enqueues every record, waits for all delivery reports, and throws the first failure.
    ///
    /// The call returns only when every record has a delivery report, so after a throw no record of
    /// the batch is still in flight (the failed ones may be retried, the others were written).
    package func send(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport] {
        let reports = try await core.produce(records)
        if let failure = reports.first(where: { $0.error != nil })?.error { throw failure }
        return reports
    }

    /// Sends one record and waits for its delivery report.
    package func send(_ record: ProducerRecord) async throws(KafkaError) -> DeliveryReport {
        try await send([record])[0]
    }

    /// Waits until every enqueued record has been delivered (or has failed). Runs off the cooperative pool.
    /// - Throws: ``KafkaError/Code/timedOut`` if records are still outstanding after `timeout`.
    package func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let handle = core.handle
        try await core.executor.run { () throws(KafkaError) in
            let err = rd_kafka_flush(handle.pointer, Int32(timeout.kafkaMilliseconds))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(rdKafkaError: err, context: "flush: \(rd_kafka_outq_len(handle.pointer)) outstanding")
            }
        }
    }

    /// Number of records and events not yet delivered and served.
    package var outstandingCount: Int { Int(rd_kafka_outq_len(core.handle.pointer)) }

    // MARK: Transactions

    /// Registers the transactional id with the coordinator and fences older instances.
    /// Requires `transactionalID` in the configuration. Call once, before the first transaction.
    package func initTransactions(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await core.transactionCall("init_transactions") { rk in
            rd_kafka_init_transactions(rk, Int32(timeout.kafkaMilliseconds))
        }
    }

    /// Begins a transaction (local, non-blocking).
    package func beginTransaction() throws(KafkaError) {
        if let error = rd_kafka_begin_transaction(core.handle.pointer) {
            throw KafkaError(consuming: error, context: "begin_transaction")
        }
    }

    /// Adds consumed offsets (next offsets to read) to the current transaction, so they are committed
    /// for the consumer's group if and only if the transaction commits.
    package func sendOffsetsToTransaction(
        _ offsets: [TopicPartitionOffset], groupMetadata: KafkaConsumerGroupMetadata,
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        try await core.transactionCall("send_offsets_to_transaction") { rk in
            var metadata: OpaquePointer?
            let readError = groupMetadata.serialized.withUnsafeBytes { bytes in
                rd_kafka_consumer_group_metadata_read(&metadata, bytes.baseAddress, bytes.count)
            }
            if let readError { return readError }
            defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
            let list = PartitionList.make(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return rd_kafka_send_offsets_to_transaction(rk, list, metadata, Int32(timeout.kafkaMilliseconds))
        }
    }

    /// Commits the current transaction (flushing its records first).
    /// - Throws: a ``KafkaError``; if ``KafkaError/isTransactionAbortable``, call ``abortTransaction(timeout:)``.
    package func commitTransaction(timeout: Duration = .seconds(60)) async throws(KafkaError) {
        try await core.transactionCall("commit_transaction") { rk in
            rd_kafka_commit_transaction(rk, Int32(timeout.kafkaMilliseconds))
        }
    }

    /// Aborts the current transaction; its records are marked aborted for `read_committed` readers.
    package func abortTransaction(timeout: Duration = .seconds(60)) async throws(KafkaError) {
        try await core.transactionCall("abort_transaction") { rk in
            rd_kafka_abort_transaction(rk, Int32(timeout.kafkaMilliseconds))
        }
    }

    /// Flushes for up to `timeout`, purges what is left (its senders get ``KafkaError/Code/purged``),
    /// waits for the poll thread to serve the last reports, and destroys the handle.
    package func close(timeout: Duration = .seconds(30)) async {
        core.requestClose(flushTimeout: timeout)
        await core.closed.wait()
    }
}

/// Tracks the delivery reports of one ``KafkaProducer/produce(_:)`` call.
///
/// `@unchecked Sendable`: each report slot is written by exactly one thread (the sender for enqueue
/// failures, the poll thread for delivery reports); `remaining` is atomic with acquire-release ordering,
/// so the thread that brings it to zero sees every slot and the continuation written before it.
private final class DeliveryBatch: @unchecked Sendable {
    struct Slot {
        var batch: Unmanaged<DeliveryBatch>
        var index: Int
    }

    struct Outcome {
        var partition: Int32
        var offset: Int64
        var error: KafkaError?
        var timestamp: KafkaTimestamp?
    }

    let count: Int
    let slots: UnsafeMutablePointer<Slot>
    let outcomes: UnsafeMutablePointer<Outcome>
    /// Records not yet reported, plus one held by the sender until its continuation is installed.
    let remaining: Atomic<Int>
    nonisolated(unsafe) var continuation: CheckedContinuation<Void, Never>?

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        outcomes = .allocate(capacity: count)
        outcomes.initialize(repeating: Outcome(partition: -1, offset: -1, error: nil, timestamp: nil), count: count)
        remaining = Atomic(count + 1)
        let unmanaged = Unmanaged.passUnretained(self)
        for index in 0..<count { (slots + index).initialize(to: Slot(batch: unmanaged, index: index)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        outcomes.deinitialize(count: count)
        outcomes.deallocate()
    }

    /// Records one outcome; resumes the sender when it was the last.
    func complete(index: Int, _ outcome: Outcome) {
        outcomes[index] = outcome
        release()
    }

    func release() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            continuation?.resume()
        }
    }
}

/// The producer's shared state: the handle, the poll thread's wake-up pipe and the close state.
private final class ProducerCore: Sendable {
    let handle: RdKafkaHandle
    let pipe: WakeupPipe
    let executor: BlockingExecutor
    let closed = CompletionSignal()
    let logger: Logger

    private struct State {
        var closeRequested = false
        var flushTimeout: Duration = .zero
        /// Incremented each time the poll thread served delivery reports (frees queue space).
        var servedGeneration: UInt64 = 0
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// `rd_kafka_topic_t` handles by name; thread-safe in librdkafka, destroyed before the `rd_kafka_t`.
    private let topics = Mutex<[String: TopicHandle]>([:])

    struct TopicHandle: @unchecked Sendable {
        // `rd_kafka_topic_t` is thread-safe in librdkafka.
        let pointer: OpaquePointer
    }

    init(properties: [String: String], logger: Logger) throws(KafkaError) {
        let pipe = WakeupPipe()
        let callbacks = RdKafkaCallbacks(logger: logger, onFailure: { pipe.wake() })
        callbacks.deliveryHook = ProducerCore.deliveryReport
        let handle: RdKafkaHandle
        do {
            handle = try RdKafkaHandle(type: RD_KAFKA_PRODUCER, properties: properties, callbacks: callbacks) { conf in
                rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, _ in
                    guard let rk, let message, let callbacks = RdKafkaCallbacks.from(rd_kafka_opaque(rk)) else {
                        return
                    }
                    callbacks.deliveryHook?(message)
                }
            }
        } catch {
            pipe.close()
            throw error
        }
        self.handle = handle
        self.pipe = pipe
        self.logger = logger
        self.executor = BlockingExecutor(label: "toxwatch.kafka.producer.blocking")
        let mainQueue = rd_kafka_queue_get_main(handle.pointer)!
        var payload: UInt8 = 1
        rd_kafka_queue_io_event_enable(mainQueue, pipe.writeDescriptor, &payload, 1)
        let queue = QueueHandle(pointer: mainQueue)
        DedicatedThread.start(name: "kafka-producer-poll") { [self] in self.pollLoop(mainQueue: queue) }
    }

    struct QueueHandle: @unchecked Sendable {
        // Only used by the poll thread after being handed over.
        let pointer: OpaquePointer
    }

    /// Delivery report callback; runs on whichever thread serves the main queue (the poll thread, or
    /// the blocking executor inside `rd_kafka_flush`/`rd_kafka_commit_transaction`).
    private static func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        guard let opaque = message.pointee._private else { return }
        let slot = opaque.assumingMemoryBound(to: DeliveryBatch.Slot.self).pointee
        let batch = slot.batch.takeUnretainedValue()
        let err = message.pointee.err
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        let outcome = DeliveryBatch.Outcome(
            partition: message.pointee.partition,
            offset: message.pointee.offset,
            error: err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(rdKafkaError: err, context: "delivery failed"),
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                ? nil
                : KafkaTimestamp(
                    kind: timestampType == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .createTime,
                    millisecondsSinceEpoch: timestamp))
        batch.complete(index: slot.index, outcome)
    }

    private func topicHandle(_ name: String) -> OpaquePointer? {
        if let cached = topics.withLock({ $0[name] }) { return cached.pointer }
        return topics.withLock { topics -> OpaquePointer? in
            if let cached = topics[name] { return cached.pointer }
            guard let topic = rd_kafka_topic_new(handle.pointer, name, nil) else { return nil }
            topics[name] = TopicHandle(pointer: topic)
            return topic
        }
    }

    func produce(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport] {
        if let failure = handle.callbacks.failure { throw failure }
        if state.withLock({ $0.closeRequested }) {
            throw KafkaError(code: .shutdown, message: "the producer is closed")
        }
        guard !records.isEmpty else { return [] }
        let batch = DeliveryBatch(count: records.count)
        var lastTopicName = ""
        var lastTopic: OpaquePointer?
        for (index, record) in records.enumerated() {
            if record.topic != lastTopicName || lastTopic == nil {
                lastTopicName = record.topic
                lastTopic = topicHandle(record.topic)
            }
            guard let topic = lastTopic else {
                batch.complete(
                    index: index,
                    .init(
                        partition: -1, offset: -1,
                        error: KafkaError(code: .invalidArgument, message: "invalid topic name"), timestamp: nil))
                continue
            }
            while true {
                let generation = state.withLock { $0.servedGeneration }
                let error = enqueue(record, topic: topic, opaque: UnsafeMutableRawPointer(batch.slots + index))
                guard let error else { break }
                if error.code == .queueFull, handle.callbacks.failure == nil,
                    !state.withLock({ $0.closeRequested })
                {
                    await waitForSpace(after: generation)
                    continue
                }
                var failed = error
                if let failure = handle.callbacks.failure { failed = failure }
                batch.complete(index: index, .init(partition: -1, offset: -1, error: failed, timestamp: nil))
                break
            }
        }
        await withCheckedContinuation { continuation in
            batch.continuation = continuation
            batch.release()
        }
        let failure = handle.callbacks.failure
        return records.indices.map { index in
            let outcome = batch.outcomes[index]
            var error = outcome.error
            if let current = error, current.code == .purged, let failure { error = failure }
            return DeliveryReport(
                topic: records[index].topic, partition: Int(outcome.partition),
                offset: error == nil && outcome.offset >= 0 ? outcome.offset : nil, error: error,
                timestamp: outcome.timestamp)
        }
    }

    /// Enqueues one record with `rd_kafka_produceva` (payload copied by librdkafka).
    private func enqueue(_ record: ProducerRecord, topic: OpaquePointer, opaque: UnsafeMutableRawPointer) -> KafkaError?
    {
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                let err: rd_kafka_resp_err_t =
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress, bytes.count)
                        }
                    } else {
                        rd_kafka_header_add(headers, header.name, -1, nil, 0)
                    }
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    rd_kafka_headers_destroy(headers)
                    return KafkaError(rdKafkaError: err, context: "header")
                }
            }
        }
        let partition: Int32 =
            switch record.partitioning {
            case .partition(let partition): Int32(partition)
            case .byKey: -1  // RD_KAFKA_PARTITION_UA
            }
        let error: OpaquePointer? = withOptionalBytes(record.key) { keyPointer, keyCount in
            withOptionalBytes(record.value) { valuePointer, valueCount in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
                    var count = 0
                    func add(_ configure: (inout rd_kafka_vu_t) -> Void) {
                        var vu = rd_kafka_vu_t()
                        configure(&vu)
                        (vus.baseAddress! + count).initialize(to: vu)
                        count += 1
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_RKT
                        $0.u.rkt = topic
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_PARTITION
                        $0.u.i32 = partition
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_VALUE
                        $0.u.mem.ptr = valuePointer
                        $0.u.mem.size = valueCount
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_KEY
                        $0.u.mem.ptr = keyPointer
                        $0.u.mem.size = keyCount
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_OPAQUE
                        $0.u.ptr = opaque
                    }
                    add {
                        $0.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        $0.u.i = 0x2  // RD_KAFKA_MSG_F_COPY
                    }
                    if let timestamp = record.timestampMilliseconds {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_TIMESTAMP
                            $0.u.i64 = timestamp
                        }
                    }
                    if let headers {
                        add {
                            $0.vtype = RD_KAFKA_VTYPE_HEADERS
                            $0.u.headers = headers
                        }
                    }
                    let result = rd_kafka_produceva(handle.pointer, vus.baseAddress, count)
                    vus.baseAddress!.deinitialize(count: count)
                    return result
                }
            }
        }
        guard let error else { return nil }
        // On failure the headers were not taken over.
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError(consuming: error, context: "produce to \(record.topic)")
    }

    private func waitForSpace(after generation: UInt64) async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.servedGeneration != generation || state.closeRequested { return true }
                state.spaceWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func requestClose(flushTimeout: Duration) {
        let isNew = state.withLock { state -> Bool in
            guard !state.closeRequested else { return false }
            state.closeRequested = true
            state.flushTimeout = flushTimeout
            return true
        }
        if isNew { pipe.wake() }
    }

    // MARK: Poll thread

    private func pollLoop(mainQueue: QueueHandle) {
        let rk = handle.pointer
        var purgedAfterFailure = false
        while true {
            pipe.wait(timeoutMilliseconds: -1)
            pipe.drain()
            serve(rk)
            if handle.callbacks.failure != nil && !purgedAfterFailure {
                purgedAfterFailure = true
                // Fail what is queued or in flight now rather than after message.timeout.ms.
                _ = rd_kafka_purge(rk, 0x1 | 0x2 | 0x4)  // QUEUE | INFLIGHT | NON_BLOCKING
                serve(rk)
            }
            let (closing, flushTimeout) = state.withLock { ($0.closeRequested, $0.flushTimeout) }
            if closing {
                if flushTimeout > .zero, !purgedAfterFailure {
                    let err = rd_kafka_flush(rk, Int32(flushTimeout.kafkaMilliseconds))
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        logger.warning(
                            "kafka.producer.close.flushTimedOut",
                            metadata: ["kafka.outstanding": "\(rd_kafka_outq_len(rk))"])
                    }
                }
                _ = rd_kafka_purge(rk, 0x1 | 0x2 | 0x4)
                // Serve the purge reports so every waiting sender completes.
                var rounds = 0
                while rd_kafka_outq_len(rk) > 0 && rounds < 500 {
                    rd_kafka_poll(rk, 10)
                    rounds += 1
                }
                serve(rk)
                break
            }
        }
        rd_kafka_queue_io_event_enable(mainQueue.pointer, -1, nil, 0)
        rd_kafka_queue_destroy(mainQueue.pointer)
        for topic in topics.withLock({ $0.values }) { rd_kafka_topic_destroy(topic.pointer) }
        handle.destroy()
        pipe.close()
        closed.signal()
    }

    private func serve(_ rk: OpaquePointer) {
        while rd_kafka_poll(rk, 0) > 0 {}
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.servedGeneration &+= 1
            defer { state.spaceWaiters.removeAll() }
            return state.spaceWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs a blocking transactional call on the executor.
    func transactionCall(
        _ name: String, _ call: @escaping @Sendable (OpaquePointer) -> OpaquePointer?
    ) async throws(KafkaError) {
        let handle = handle
        try await executor.run { () throws(KafkaError) in
            if let error = call(handle.pointer) { throw KafkaError(consuming: error, context: name) }
        }
    }
}

/// Calls `body` with a pointer and count for optional bytes (nil, 0 for nil).
func withOptionalBytes<Result>(
    _ bytes: [UInt8]?, _ body: (UnsafeMutableRawPointer?, Int) -> Result
) -> Result {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { buffer in
        body(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count)
    }
}
