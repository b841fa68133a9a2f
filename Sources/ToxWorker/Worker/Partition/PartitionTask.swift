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
    /// The partition's stream time when it last advanced, and the wall-clock time it did.
    private var streamClock: (streamTime: Date, wallClock: Date)?

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
            for item in work {
                switch item {
                case .message(let message):
                    messages.append(message)
                case .tick(let now):
                    try await flush(&messages)
                    let instant = partitionTime(now: now)
                    try await writer.apply(to: &processor) { processor in
                        processor.punctuate(at: instant, now: now, inventory: inventory.snapshot())
                    }
                    reportLag()
                case .inventoryChanged(let site, let cause):
                    try await flush(&messages)
                    try await writer.apply(to: &processor) { processor in
                        processor.inventoryChanged(site: site, cause: cause, inventory: inventory.snapshot())
                    }
                }
                if isHandingOver { return }
            }
            try await flush(&messages)
            if isHandingOver { return }
        }
    }

    /// The instant time-driven rules are checked at: the partition's stream time (its latest event
    /// time), advancing with the wall clock while the partition receives nothing. In production,
    /// where events carry current times, this follows the wall clock; a replay of an old course
    /// fires its rules in event time instead of all at once.
    private mutating func partitionTime(now: Date) -> Date {
        guard let streamTime = processor.streamTime else { return .distantPast }
        if let clock = streamClock, clock.streamTime == streamTime {
            return streamTime.addingTimeInterval(max(0, now.timeIntervalSince(clock.wallClock)))
        }
        streamClock = (streamTime, now)
        return streamTime
    }

    private mutating func flush(_ messages: inout [KafkaMessage]) async throws {
        guard !messages.isEmpty else { return }
        let batch = messages
        messages.removeAll(keepingCapacity: true)
        for message in batch {
            if let timestamp = message.timestamp?.date { newestProcessed[message.topic] = timestamp }
        }
        let inventory = context.inventory
        try await writer.apply(to: &processor) { processor in
            processor.process(batch, inventory: inventory.snapshot(), now: Date())
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
