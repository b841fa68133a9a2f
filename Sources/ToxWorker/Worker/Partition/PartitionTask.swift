import Foundation
package import KafkaClient
package import Logging
import ToxWatchContract

/// Everything a partition task needs from its worker.
package struct PartitionContext: Sendable {
    package var configuration: WorkerConfiguration
    package var consumer: KafkaConsumer
    /// Phase 3 for every task, off the critical path (see ``OffsetCommitter``).
    package var committer: OffsetCommitter
    /// Where batches are written and partitions read back (``KafkaOutputLog``).
    package var log: any OutputLog
    package var evaluator: PatientEvaluator
    package var inventory: InventoryView
    package var metrics: WorkerMetrics
    package var logger: Logger
}

/// The life of one assigned partition: restore its patients, then apply its batches in order
/// through a ``BatchWriter`` (the three-phase protocol of Docs/worker.md), until the partition
/// is revoked.
package struct PartitionTask {
    let runner: PartitionRunner
    let context: PartitionContext
    private var processor: PartitionProcessor
    private var writer: BatchWriter
    private var logger: Logger
    /// Per input topic, the record timestamp of the newest message processed (for time behind).
    private var newestProcessed: [String: Date] = [:]
    /// Punctuations in a row that found input waiting while nothing was handled, and the handled
    /// offsets they saw (see ``timerInstant(messagesFollow:)``).
    private var waitingWithoutProgress = (punctuations: 0, handled: [String: Int64]())
    /// After this many punctuations in a row with input waiting and none handled, timers fire
    /// anyway: input that never arrives (offsets committed without a checkpoint, a log the
    /// watermarks misjudge) must not silence a patient's due decisions.
    static let maxPunctuationsWaitingWithoutProgress = 10

    package init(runner: PartitionRunner, context: PartitionContext) {
        self.runner = runner
        self.context = context
        self.processor = Self.makeProcessor(partition: runner.partition, context: context)
        var logger = context.logger
        logger[metadataKey: "kafka.partition"] = "\(runner.partition)"
        self.logger = logger
        self.writer = BatchWriter(
            partition: runner.partition, log: context.log, metrics: context.metrics, logger: logger,
            isHandingOver: { runner.isLost || runner.inbox.isFinished })
    }

    static func makeProcessor(partition: Int, context: PartitionContext) -> PartitionProcessor {
        var processor = PartitionProcessor(
            partition: partition, evaluator: context.evaluator, lateEventWindow: context.configuration.lateEventWindow,
            shortageHold: context.configuration.shortageHold, evaluationGrace: context.configuration.evaluationGrace)
        processor.admission = InputAdmission(
            maxInputBytes: context.configuration.maxInputBytes,
            maxClockSkew: context.configuration.maxClockSkew.timeInterval)
        return processor
    }

    /// Runs until the inbox is finished (revocation or shutdown) or the task is cancelled.
    package mutating func run() async throws {
        defer {
            context.metrics.partitionReleased(runner.partition, topics: ToxWatchTopics.patientInputs)
            runner.markFinished()
        }
        do {
            try await restore()
            try await process()
            // Revoked or shutting down: the offsets handed to the committer are committed before
            // the partition is handed back.
            if runner.isLost {
                await context.committer.discard(partition: runner.partition)
            } else if let error = await context.committer.flush() {
                logger.warning(
                    "final offset commit failed; the next owner skips the handled inputs",
                    metadata: ["error": "\(error)"])
            }
        } catch is PartitionHandOver {
            await context.committer.discard(partition: runner.partition)
            logger.info("partition handed over with its last batch uncommitted; the next owner reprocesses it")
        }
    }

    private var isHandingOver: Bool { writer.isHandingOver() }

    private mutating func process() async throws {
        let inventory = context.inventory
        while let work = await runner.inbox.nextBatch(maxCount: context.configuration.maxBatchSize) {
            var messages: [KafkaMessage] = []
            for (index, item) in work.enumerated() {
                switch item {
                case .message(let message):
                    messages.append(message)
                case .tick(let now):
                    try await flush(&messages)
                    let messagesFollow = work[(index + 1)...].contains {
                        if case .message = $0 { true } else { false }
                    }
                    let instant = timerInstant(messagesFollow: messagesFollow)
                    try await writer.apply(to: &processor) { processor in
                        processor.punctuate(at: instant, now: now, inventory: inventory.history())
                    }
                    reportLag()
                case .instantsReady(let now):
                    try await flush(&messages)
                    try await writer.apply(to: &processor) { processor in
                        processor.evaluateReady(inventory: inventory.history(), now: now)
                    }
                case .inventoryChanged(let site, let instant, let cause):
                    try await flush(&messages)
                    try await writer.apply(to: &processor) { processor in
                        processor.inventoryChanged(
                            site: site, at: instant, cause: cause, inventory: inventory.history(), now: Date())
                    }
                }
                if isHandingOver { return }
            }
            try await flush(&messages)
            requestWake()
            if isHandingOver { return }
        }
    }

    /// Asks the punctuation loop to wake this task when the next pending instant's grace ends (the
    /// pass just made evaluated every instant that was ready by now).
    private func requestWake() {
        runner.wake(at: processor.nextReadyAt(after: Date()))
    }

    /// The instant time-driven rules are checked at: the partition's stream time (its latest event
    /// time), never the wall clock, so what fires depends on the events alone (issue 12): a pause in
    /// the feed fires nothing, and the backlog after it is evaluated as if it had come live. While
    /// input of the partition is known to be waiting (``isInputWaiting``), the punctuation only
    /// evaluates pending instants whose grace ran out; timers wait for the backlog, which may hold
    /// the events that decide them.
    private mutating func timerInstant(messagesFollow: Bool) -> Date {
        guard let streamTime = processor.streamTime else { return .distantPast }
        if messagesFollow { return .distantPast }
        guard isInputWaiting() else {
            waitingWithoutProgress = (0, [:])
            return streamTime
        }
        if waitingWithoutProgress.handled != processor.handledInputOffsets {
            waitingWithoutProgress = (0, processor.handledInputOffsets)
        }
        waitingWithoutProgress.punctuations += 1
        if waitingWithoutProgress.punctuations == Self.maxPunctuationsWaitingWithoutProgress {
            logger.warning(
                "input looks waiting but none arrives; time-driven rules fire without it",
                metadata: ["punctuations": "\(waitingWithoutProgress.punctuations)"])
        }
        return waitingWithoutProgress.punctuations >= Self.maxPunctuationsWaitingWithoutProgress
            ? streamTime : .distantPast
    }

    /// Whether an input topic of this partition has records this task has not handled yet, as far
    /// as librdkafka's cached high watermarks show (a fetch response carries them; nothing is asked
    /// of the broker): records in the inbox, fetched and not yet delivered, or in the log beyond the
    /// fetch position. A topic is caught up when its handled offset reaches the high watermark, or
    /// when the inbox is empty and the consumer's position does (the position steps over
    /// transaction markers, which no handled record covers). A topic whose watermark is not known
    /// yet counts as caught up.
    private func isInputWaiting() -> Bool {
        let partitions = ToxWatchTopics.patientInputs.map { TopicPartition($0, runner.partition) }
        let positions = (try? context.consumer.position(partitions)) ?? []
        let inboxEmpty = runner.inbox.count == 0
        let handledOffsets = processor.handledInputOffsets
        for partition in partitions {
            guard let watermarks = context.consumer.cachedWatermarks(partition) else { continue }
            let handled = handledOffsets[partition.topic] ?? watermarks.low
            if handled >= watermarks.high { continue }
            let position = positions.first { $0.topicPartition == partition }?.offset
            if inboxEmpty, let position, position.isAbsolute, position.rawValue >= watermarks.high { continue }
            return true
        }
        return false
    }

    /// Applies the collected messages as one batch.
    private mutating func flush(_ messages: inout [KafkaMessage]) async throws {
        guard !messages.isEmpty else { return }
        let batch = messages
        messages.removeAll(keepingCapacity: true)
        for message in batch {
            if let timestamp = message.timestamp?.date { newestProcessed[message.topic] = timestamp }
        }
        let inventory = context.inventory
        try await writer.apply(to: &processor) { processor in
            processor.process(batch, inventory: inventory.history(), now: Date())
        }
        runner.progress.noteProgress()
    }

    // MARK: Restore

    private mutating func restore() async throws {
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            do {
                try await restoreOnce()
                break
            } catch let error as KafkaError {
                if isHandingOver { throw PartitionHandOver() }
                attempt += 1
                logger.warning("restore failed, retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                processor = Self.makeProcessor(partition: runner.partition, context: context)
                try await Task.sleep(for: writer.retry.delay(afterFailures: attempt))
            }
        }
        // Fence earlier owners: from now on their late changelog writes are older than ours.
        processor.epoch = processor.highestRestoredEpoch + 1
        try await writer.fence(processor)
        let elapsed = ContinuousClock.now - started
        context.metrics.restored(patients: processor.patients.count, in: elapsed)
        context.metrics.setActivePatients(partition: runner.partition, count: processor.patients.count)
        logger.info(
            "partition restored",
            metadata: [
                "patients": "\(processor.patients.count)", "seconds": "\(elapsed.timeInterval)",
                "outputs.seen": "\(writer.written.count)", "epoch": "\(processor.epoch)",
                "changelog.fenced": "\(processor.fencedRecords)",
            ])
        runner.markRestored()
    }

    private mutating func restoreOnce() async throws {
        var checkpoint: PartitionCheckpoint?
        var corrupt = 0
        var processor = self.processor
        var fragments = ChangelogFragments()
        try await writer.log.read(
            from: [
                TopicPartitionOffset(
                    ToxWatchTopics.patientStateChangelog, runner.partition, KafkaOffset.beginning.rawValue)
            ]
        ) { message in
            do {
                // Fragments are kept until their manifest comes; a manifest becomes the whole record.
                guard let record = try fragments.restore(message) else { return }
                if let found = try processor.restore(
                    key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp?.date)
                {
                    checkpoint = found
                }
            } catch {
                corrupt += 1
            }
        }
        fragments.finishRestore()
        if corrupt > 0 {
            logger.error("changelog records could not be read and were skipped", metadata: ["records": "\(corrupt)"])
        }
        try await writer.resume(after: checkpoint, fragments: fragments, processor: &processor)
        self.processor = processor
    }

    /// Publishes, per input topic of this partition, the messages not yet processed and how old
    /// the newest processed message is while some remain (an estimate of the time behind).
    private func reportLag() {
        let consumer = context.consumer
        let partitions = ToxWatchTopics.patientInputs.map { TopicPartition($0, runner.partition) }
        guard let positions = try? consumer.position(partitions) else { return }
        let now = Date()
        for position in positions where position.offset.isAbsolute {
            guard let watermarks = consumer.cachedWatermarks(position.topicPartition) else { continue }
            let lag = max(0, watermarks.high - position.offset.rawValue)
            let newest = newestProcessed[position.topic]
            let seconds = lag == 0 ? 0 : newest.map { max(0, now.timeIntervalSince($0)) }
            context.metrics.lag(
                topic: position.topic, partition: Int32(runner.partition), messages: lag, seconds: seconds)
        }
    }
}
