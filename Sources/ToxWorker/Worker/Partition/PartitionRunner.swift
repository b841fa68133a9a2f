import ToxWatchContract
package import Foundation
package import KafkaClient
package import Logging
import Prometheus
import Synchronization
import ToxicityRules

/// Work for one partition task, in the order it must be handled.
package enum PartitionWork: Sendable {
    /// An input record of one of the patient topics.
    case message(KafkaMessage)
    /// A punctuation: time-driven rules due at or before this instant fire.
    case tick(Date)
    /// A drug's status changed at a site (nil: a site-less inventory event): re-evaluate its patients.
    case inventoryChanged(site: String?, cause: OutputCause)
}

/// What the poll loop and one partition task share: the inbox, the task's lifecycle flags and
/// its progress.
package final class PartitionRunner: Sendable {
    package let partition: Int
    package let inbox: PartitionInbox<PartitionWork>
    private let flags = Mutex((restored: false, lost: false, finished: false))
    private let finishWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    package let progress = PartitionProgress()

    /// - Parameter flowControl: pauses or resumes fetching the partition (see ``PartitionInbox``).
    package init(
        partition: Int, bufferSize: Int,
        flowControl: @escaping @Sendable (PartitionInbox<PartitionWork>.FlowControl) -> Void
    ) {
        self.partition = partition
        self.inbox = PartitionInbox(highWaterMark: bufferSize, lowWaterMark: max(1, bufferSize / 4), flowControl: flowControl)
    }

    package var isRestored: Bool { flags.withLock { $0.restored } }
    package var isLost: Bool { flags.withLock { $0.lost } }

    func markRestored() {
        flags.withLock { $0.restored = true }
        progress.noteProgress()
    }

    /// The partition was taken away without a chance to commit: stop without retrying.
    package func markLost() { flags.withLock { $0.lost = true } }

    func markFinished() {
        flags.withLock { $0.finished = true }
        let waiters = finishWaiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the partition task has ended.
    package func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = flags.withLock { $0.finished }
            if done {
                continuation.resume()
            } else {
                finishWaiters.withLock { $0.append(continuation) }
                if flags.withLock({ $0.finished }) { markFinished() }
            }
        }
    }
}

/// Everything a partition task needs from its worker.
package struct PartitionContext: Sendable {
    package var configuration: WorkerConfiguration
    package var consumer: KafkaConsumer
    /// Phase 3 for every task, off the critical path (see ``OffsetCommitter``).
    package var committer: OffsetCommitter
    package var producer: KafkaProducer
    package var transactions: TransactionGate?
    package var evaluator: PatientEvaluator
    package var inventory: InventoryView
    package var metrics: WorkerMetrics
    package var logger: Logger
}

/// Serialises Kafka transactions: one producer has at most one open transaction, so partition
/// tasks take turns (only in `processing.guarantee: transactions`).
package actor TransactionGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init() {}

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}

/// The life of one assigned partition: restore its patients, then apply its batches with the
/// three-phase protocol of Docs/worker.md, until the partition is revoked.
package struct PartitionTask {
    let runner: PartitionRunner
    let context: PartitionContext
    private var processor: PartitionProcessor
    /// Ids of outputs known to be in the output partitions after the last checkpoint.
    private var written: Set<String> = []
    /// The output end offsets of the last checkpoint (where restore and retries start scanning).
    private var outputEnd: [String: Int64] = [:]
    private var logger: Logger
    /// Per input topic, the record timestamp of the newest message processed (for time behind).
    private var newestProcessed: [String: Date] = [:]
    /// The partition's stream time when it last advanced, and the wall-clock time it did.
    private var streamClock: (streamTime: Date, wallClock: Date)?
    /// Large patient states as bounded changelog fragments (what the log holds, per patient).
    private var fragments = ChangelogFragments()

    package init(runner: PartitionRunner, context: PartitionContext) {
        self.runner = runner
        self.context = context
        self.processor = Self.makeProcessor(partition: runner.partition, context: context)
        var logger = context.logger
        logger[metadataKey: "kafka.partition"] = "\(runner.partition)"
        self.logger = logger
    }

    static func makeProcessor(partition: Int, context: PartitionContext) -> PartitionProcessor {
        var processor = PartitionProcessor(
            partition: partition, evaluator: context.evaluator, lateEventWindow: context.configuration.lateEventWindow,
            shortageHold: context.configuration.shortageHold, evaluationGrace: context.configuration.evaluationGrace)
        processor.admission = InputAdmission(
            maxInputBytes: context.configuration.maxInputBytes, maxClockSkew: context.configuration.maxClockSkew.timeInterval)
        return processor
    }

    static let outputTopics = [
        ToxWatchTopics.toxicityGrades, ToxWatchTopics.anakinraRecommendations, ToxWatchTopics.shortageAlternatives,
        ToxWatchTopics.deadLetters,
    ]

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
                logger.warning("final offset commit failed; the next owner skips the handled inputs", metadata: ["error": "\(error)"])
            }
        } catch is PartitionHandOver {
            await context.committer.discard(partition: runner.partition)
            logger.info("partition handed over with its last batch uncommitted; the next owner reprocesses it")
        }
    }

    /// The partition is being taken away (revoked, lost, or the group is rebalancing): the task
    /// must stop writing at once and leave its uncommitted work to the next owner.
    private struct PartitionHandOver: Error {}

    private var isHandingOver: Bool { runner.isLost || runner.inbox.isFinished }

    private mutating func process() async throws {
        while let work = await runner.inbox.nextBatch(maxCount: context.configuration.maxBatchSize) {
            var messages: [KafkaMessage] = []
            for item in work {
                switch item {
                case .message(let message):
                    messages.append(message)
                case .tick(let now):
                    try await flush(&messages)
                    let instant = partitionTime(now: now)
                    try await apply { processor, inventory in processor.punctuate(at: instant, now: now, inventory: inventory) }
                    reportLag()
                case .inventoryChanged(let site, let cause):
                    try await flush(&messages)
                    try await apply { processor, inventory in
                        processor.inventoryChanged(site: site, cause: cause, inventory: inventory)
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
        try await apply { processor, inventory in processor.process(batch, inventory: inventory, now: Date()) }
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
                try await Task.sleep(for: Self.backoff(attempt))
            }
        }
        // Fence earlier owners: from now on their late changelog writes are older than ours.
        processor.epoch = processor.highestRestoredEpoch + 1
        let fence = processor.checkpointOutput(
            PartitionCheckpoint(
                partition: runner.partition, outputEndOffsets: outputEnd, handledInputOffsets: processor.handledInputOffsets))
        try await send([fence])
        let elapsed = ContinuousClock.now - started
        context.metrics.restored(patients: processor.patients.count, in: elapsed)
        context.metrics.setActivePatients(partition: runner.partition, count: processor.patients.count)
        logger.info(
            "partition restored",
            metadata: [
                "patients": "\(processor.patients.count)", "seconds": "\(elapsed.timeInterval)",
                "outputs.seen": "\(written.count)", "epoch": "\(processor.epoch)",
                "changelog.fenced": "\(processor.fencedRecords)",
            ])
        runner.markRestored()
    }

    private mutating func restoreOnce() async throws {
        var checkpoint: PartitionCheckpoint?
        var corrupt = 0
        var processor = self.processor
        var fragments = ChangelogFragments()
        try await PartitionReader.read(
            [TopicPartitionOffset(ToxWatchTopics.patientStateChangelog, runner.partition, KafkaOffset.beginning.rawValue)],
            configuration: context.configuration, logger: logger
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
        self.fragments = fragments
        if corrupt > 0 {
            logger.error("changelog records could not be read and were skipped", metadata: ["records": "\(corrupt)"])
        }
        self.processor = processor
        outputEnd = checkpoint?.outputEndOffsets ?? [:]
        // Outputs the checkpoint carries as found by an earlier owner: in the log, before its ends.
        written = Set(processor.foundOutputs.keys)
        noteFound(try await scanOutputIDs())
    }

    /// Reads the output partitions after the last checkpoint and returns the ids found there,
    /// each with the digest of its record's value.
    private func scanOutputIDs() async throws -> [String: RecordDigest] {
        let starts = Self.outputTopics.map { topic in
            TopicPartitionOffset(topic, runner.partition, outputEnd[topic] ?? KafkaOffset.beginning.rawValue)
        }
        var ids: [String: RecordDigest] = [:]
        try await PartitionReader.read(starts, configuration: context.configuration, logger: logger) { message in
            if let id = message.header(OutputHeader.outputID)?.value {
                ids[String(decoding: id, as: UTF8.self)] = RecordDigest(message.value ?? [])
            }
        }
        return ids
    }

    /// Outputs found in the log after the last checkpoint: the writer skips their ids, and the
    /// processor issues none of them again for other content.
    private mutating func noteFound(_ found: [String: RecordDigest]) {
        written.formUnion(found.keys)
        processor.foundOutputs.merge(found) { _, new in new }
    }

    // MARK: The batch protocol

    /// Applies one unit of work and makes it durable: outputs, then changelog and checkpoint, then
    /// offsets. On failure the unit's state changes are rolled back, the output tails are read again
    /// to learn what did get written, and the unit is applied again.
    private mutating func apply(
        _ work: (inout PartitionProcessor, InventorySnapshot) -> BatchOutcome
    ) async throws {
        var attempt = 0
        while true {
            let started = ContinuousClock.now
            let outcome = work(&processor, context.inventory.snapshot())
            guard !outcome.isEmpty else { return }
            do {
                try await write(outcome)
                processor.commit(handledInputOffsets: processor.handledInputOffsets(after: outcome))
                context.metrics.batchFinished(in: ContinuousClock.now - started, outcome: "committed")
                context.metrics.setActivePatients(partition: runner.partition, count: processor.patients.count)
                record(outcome)
                return
            } catch {
                processor.rollback()
                context.metrics.batchFinished(in: ContinuousClock.now - started, outcome: "aborted")
                context.metrics.rewound(reason: error.isRetriable ? "retriable-error" : "error")
                if isHandingOver { throw PartitionHandOver() }
                if Self.ownershipEnded(error) { try await waitForRevocation() }
                if error.isFatal { throw error }
                attempt += 1
                logger.warning("batch failed, rewinding", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try await Task.sleep(for: Self.backoff(attempt))
                noteFound(try await scanOutputIDs())
            }
        }
    }

    private mutating func write(_ outcome: BatchOutcome) async throws(KafkaError) {
        let outputs = outcome.outputs.filter { !written.contains($0.id) }
        let offsets = outcome.commitOffsets.sorted { $0.key < $1.key }.map {
            TopicPartitionOffset($0.key, runner.partition, $0.value)
        }
        if let gate = context.transactions {
            await gate.acquire()
            do {
                try await writeInTransaction(outputs: outputs, outcome: outcome, offsets: offsets)
                await gate.release()
            } catch {
                await gate.release()
                throw error
            }
            return
        }
        let clock = ContinuousClock()
        var phaseStart = clock.now
        func phaseDone(_ phase: String) {
            let now = clock.now
            context.metrics.batchPhase(phase, in: now - phaseStart)
            phaseStart = now
        }
        // Phase 1: outputs and dead letters.
        if !outputs.isEmpty {
            let reports = try await context.producer.produce(outputs.map(\.producerRecord))
            var failure: KafkaError?
            var refused: [(OutputRecord, KafkaError)] = []
            for (output, report) in zip(outputs, reports) {
                if let error = report.error {
                    if error.rejectsRecord { refused.append((output, error)) } else { failure = failure ?? error }
                } else if let offset = report.offset {
                    written.insert(output.id)
                    outputEnd[output.topic] = max(outputEnd[output.topic] ?? 0, offset + 1)
                }
            }
            if let failure { throw failure }
            if !refused.isEmpty { try await replaceRefused(refused) }
            phaseDone("outputs")
        }
        // Phase 2: changelog records and the checkpoint: where the outputs end, which inputs are done.
        var changelog = outcome.changelog
        if !outcome.outputs.isEmpty || !changelog.isEmpty {
            changelog.append(processor.checkpointOutput(checkpoint(after: outcome)))
        }
        if !changelog.isEmpty {
            let (records, live) = fragments.expand(changelog)
            _ = try await context.producer.send(records)
            fragments.commit(live)
            phaseDone("changelog")
        }
        // Phase 3: the input offsets, committed by the worker's committer without holding up the
        // next batch (the checkpoint already records the inputs handled).
        if !offsets.isEmpty {
            await context.committer.submit(offsets)
        }
        // Everything of this unit is durable; its ids can no longer be produced again.
        for output in outputs { written.remove(output.id) }
    }

    /// Outputs the broker refused for what they are (too large, invalid) are never retried as
    /// they are: a dead letter is replaced by a bounded one (``OversizedRecords``); any other output,
    /// which cannot be cut, is given up, counted as an output failure and named in the log.
    private mutating func replaceRefused(_ refused: [(OutputRecord, KafkaError)]) async throws(KafkaError) {
        var replacements: [OutputRecord] = []
        for (output, error) in refused {
            let digest = OversizedRecords.describe(output.producerRecord)
            if output.kind == .deadLetter, let reduced = OversizedRecords.reducedDeadLetter(output.value, refusedWith: error) {
                var replacement = output
                replacement.value = reduced
                replacement.headers = output.headers.filter { $0.name.hasPrefix("toxwatch-") }
                replacements.append(replacement)
                context.metrics.oversized(kind: "dead-letter")
                logger.error(
                    "dead letter refused by the broker; writing a reduced one",
                    metadata: ["output.id": "\(output.id)", "error": "\(error)", "record": "\(digest)"])
            } else {
                written.insert(output.id)
                context.metrics.oversized(kind: "output")
                context.metrics.outputsFailed(1)
                logger.error(
                    "output refused by the broker and given up (it cannot be cut without changing its meaning)",
                    metadata: ["output.id": "\(output.id)", "error": "\(error)", "record": "\(digest)"])
            }
        }
        guard !replacements.isEmpty else { return }
        let reports = try await context.producer.produce(replacements.map(\.producerRecord))
        for (replacement, report) in zip(replacements, reports) {
            if let error = report.error {
                if !error.rejectsRecord { throw error }
                written.insert(replacement.id)
                context.metrics.outputsFailed(1)
                logger.error(
                    "reduced dead letter refused too; given up", metadata: ["output.id": "\(replacement.id)", "error": "\(error)"])
            } else if let offset = report.offset {
                written.insert(replacement.id)
                outputEnd[replacement.topic] = max(outputEnd[replacement.topic] ?? 0, offset + 1)
            }
        }
    }

    private mutating func writeInTransaction(
        outputs: [OutputRecord], outcome: BatchOutcome, offsets: [TopicPartitionOffset]
    ) async throws(KafkaError) {
        let producer = context.producer
        try producer.beginTransaction()
        do {
            var changelog = outcome.changelog
            if !outcome.outputs.isEmpty || !outcome.changelog.isEmpty {
                // Output offsets are not known before the commit: the checkpoint keeps the previous
                // ends, so a restore scans this batch's outputs too (harmless).
                changelog.append(processor.checkpointOutput(checkpoint(after: outcome)))
            }
            let (changelogRecords, live) = fragments.expand(changelog)
            let reports = try await producer.send(outputs.map(\.producerRecord) + changelogRecords)
            if !offsets.isEmpty {
                try await producer.sendOffsetsToTransaction(offsets, groupMetadata: try context.consumer.groupMetadata())
            }
            try await producer.commitTransaction()
            fragments.commit(live)
            for (record, report) in zip(outputs, reports) {
                if let offset = report.offset { outputEnd[record.topic] = max(outputEnd[record.topic] ?? 0, offset + 1) }
            }
        } catch {
            try? await producer.abortTransaction()
            throw error
        }
    }

    private func checkpoint(after outcome: BatchOutcome) -> PartitionCheckpoint {
        PartitionCheckpoint(
            partition: runner.partition, outputEndOffsets: outputEnd,
            handledInputOffsets: processor.handledInputOffsets(after: outcome))
    }

    private func record(_ outcome: BatchOutcome) {
        let metrics = context.metrics
        for (topic, count) in outcome.applied { metrics.eventsApplied(topic: topic, count: count) }
        for (reason, count) in outcome.skipped { metrics.eventsSkipped(reason: reason, count: count) }
        for (key, count) in outcome.deadLettered { metrics.deadLettered(topic: key.topic, reason: key.reason, count: count) }
        for duration in outcome.evaluationDurations { metrics.evaluated(in: duration) }
        if outcome.failedOutputs > 0 {
            metrics.outputsFailed(outcome.failedOutputs)
            logger.error("outputs could not be encoded and were not published", metadata: ["outputs": "\(outcome.failedOutputs)"])
        }
        for output in outcome.outputs {
            switch output.kind {
            case .toxicityGrades, .anakinraRecommendation, .shortageAlternative:
                metrics.outputProduced(type: output.kind.rawValue)
            case .deadLetter, .patientState, .checkpoint:
                break
            }
        }
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
            context.metrics.lag(topic: position.topic, partition: Int32(runner.partition), messages: lag, seconds: seconds)
        }
    }

    /// After an error saying the group is rebalancing, waits for the revocation the rebalance brings
    /// (then hands over without writing again). If none comes within a session timeout, the error
    /// was transient and the caller retries.
    private func waitForRevocation() async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if isHandingOver { throw PartitionHandOver() }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Errors after which this member may no longer own the partition: writing on would race the next owner.
    static func ownershipEnded(_ error: KafkaError) -> Bool {
        [.rebalanceInProgress, .assignmentLost, .fenced].contains(error.code)
    }

    /// Sends records and waits for every acknowledgement, retrying transient failures until the
    /// partition is handed over.
    private func send(_ records: [OutputRecord]) async throws {
        var attempt = 0
        while true {
            do {
                try await sendOnce(records)
                return
            } catch {
                if isHandingOver { throw PartitionHandOver() }
                if Self.ownershipEnded(error) { try await waitForRevocation() }
                if error.isFatal { throw error }
                attempt += 1
                try await Task.sleep(for: Self.backoff(attempt))
            }
        }
    }

    /// One attempt; with `processing.guarantee: transactions` the records go in a transaction of
    /// their own (a transactional producer cannot write outside one).
    private func sendOnce(_ records: [OutputRecord]) async throws(KafkaError) {
        let producer = context.producer
        guard let gate = context.transactions else {
            _ = try await producer.send(records.map(\.producerRecord))
            return
        }
        await gate.acquire()
        do throws(KafkaError) {
            try producer.beginTransaction()
            do throws(KafkaError) {
                _ = try await producer.send(records.map(\.producerRecord))
                try await producer.commitTransaction()
            } catch {
                try? await producer.abortTransaction()
                throw error
            }
        } catch {
            await gate.release()
            throw error
        }
        await gate.release()
    }

    static func backoff(_ attempt: Int) -> Duration {
        .milliseconds(min(5_000, 100 * (1 << min(attempt, 6))))
    }
}
