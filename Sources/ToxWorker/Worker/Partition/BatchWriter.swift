import KafkaClient
package import Logging
import ToxWatchContract

/// The partition is being taken away (revoked, lost, or the group is rebalancing): its task must
/// stop writing at once and leave its uncommitted work to the next owner.
package struct PartitionHandOver: Error {}

/// Makes a partition task's batches durable through an ``OutputLog`` with the three-phase protocol
/// of Docs/worker.md: outputs and dead letters, then changelog and checkpoint, then input offsets.
///
/// It remembers which output ids are in the output partitions after the last checkpoint (so a
/// retried batch never writes one twice) and where the output partitions ended at that checkpoint.
/// A failed write rolls the processor back, reads the output tails again and applies the unit again.
package struct BatchWriter {
    package let partition: Int
    package let log: any OutputLog
    let metrics: WorkerMetrics
    let retry: RetryPolicy
    /// How long an error saying the group is rebalancing waits for the revocation it announces.
    let revocationWait: Duration
    /// Whether the partition is being revoked, lost or shut down: nothing more may be written.
    let isHandingOver: @Sendable () -> Bool
    private let logger: Logger
    /// Ids of outputs known to be in the output partitions after the last checkpoint.
    package private(set) var written: Set<String> = []
    /// The output end offsets of the last checkpoint (where restore and retries start scanning).
    package private(set) var outputEnd: [String: Int64] = [:]
    /// Large patient states as bounded changelog fragments (what the log holds, per patient).
    private var fragments = ChangelogFragments()

    package init(
        partition: Int, log: any OutputLog, metrics: WorkerMetrics, logger: Logger, retry: RetryPolicy = .batch,
        revocationWait: Duration = .seconds(15), isHandingOver: @escaping @Sendable () -> Bool
    ) {
        self.partition = partition
        self.log = log
        self.metrics = metrics
        self.logger = logger
        self.retry = retry
        self.revocationWait = revocationWait
        self.isHandingOver = isHandingOver
    }

    package static let outputTopics = [
        ToxWatchTopics.toxicityGrades, ToxWatchTopics.anakinraRecommendations, ToxWatchTopics.shortageAlternatives,
        ToxWatchTopics.deadLetters,
    ]

    // MARK: Restore

    /// Starts from a restored partition: its last checkpoint, the changelog fragments the log
    /// holds, and the outputs the checkpoint carries as found; then reads the output tails.
    package mutating func resume(
        after checkpoint: PartitionCheckpoint?, fragments: ChangelogFragments, processor: inout PartitionProcessor
    ) async throws {
        self.fragments = fragments
        outputEnd = checkpoint?.outputEndOffsets ?? [:]
        // Outputs the checkpoint carries as found by an earlier owner: in the log, before its ends.
        written = Set(processor.foundOutputs.keys)
        noteFound(try await scanOutputIDs(), processor: &processor)
    }

    /// Writes the fencing checkpoint of a new owner (its epoch already set), retrying transient
    /// failures until it is durable or the partition is handed over.
    package func fence(_ processor: PartitionProcessor) async throws {
        let fence = processor.checkpointOutput(
            PartitionCheckpoint(
                partition: partition, outputEndOffsets: outputEnd, handledInputOffsets: processor.handledInputOffsets))
        var attempt = 0
        while true {
            do {
                try await sendOnce([fence.producerRecord])
                return
            } catch {
                try await afterFailure(error)
                attempt += 1
                try await Task.sleep(for: retry.delay(afterFailures: attempt))
            }
        }
    }

    /// Reads the output partitions after the last checkpoint and returns the ids found there,
    /// each with the digest of its record's value.
    private func scanOutputIDs() async throws -> [String: RecordDigest] {
        let starts = Self.outputTopics.map { topic in
            TopicPartitionOffset(topic, partition, outputEnd[topic] ?? KafkaOffset.beginning.rawValue)
        }
        var ids: [String: RecordDigest] = [:]
        try await log.read(from: starts) { message in
            if let id = message.header(OutputHeader.outputID)?.value {
                ids[String(decoding: id, as: UTF8.self)] = RecordDigest(message.value ?? [])
            }
        }
        return ids
    }

    /// Outputs found in the log after the last checkpoint: the writer skips their ids, and the
    /// processor issues none of them again for other content.
    private mutating func noteFound(_ found: [String: RecordDigest], processor: inout PartitionProcessor) {
        written.formUnion(found.keys)
        processor.foundOutputs.merge(found) { _, new in new }
    }

    // MARK: The batch protocol

    /// Applies one unit of work and makes it durable: outputs, then changelog and checkpoint, then
    /// offsets. On failure the unit's state changes are rolled back, the output tails are read again
    /// to learn what did get written, and the unit is applied again.
    /// - Throws: ``PartitionHandOver`` when the partition is taken away meanwhile; a fatal error.
    package mutating func apply(
        to processor: inout PartitionProcessor, _ work: (inout PartitionProcessor) -> BatchOutcome
    ) async throws {
        var attempt = 0
        while true {
            let started = ContinuousClock.now
            let outcome = work(&processor)
            guard !outcome.isEmpty else { return }
            do {
                try await write(outcome, processor: processor)
                processor.commit(handledInputOffsets: processor.handledInputOffsets(after: outcome))
                metrics.batchFinished(in: ContinuousClock.now - started, outcome: "committed")
                metrics.setActivePatients(partition: partition, count: processor.patients.count)
                record(outcome)
                return
            } catch {
                processor.rollback()
                metrics.batchFinished(in: ContinuousClock.now - started, outcome: "aborted")
                metrics.rewound(reason: error.isRetriable ? "retriable-error" : "error")
                try await afterFailure(error)
                attempt += 1
                logger.warning("batch failed, rewinding", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try await Task.sleep(for: retry.delay(afterFailures: attempt))
                noteFound(try await scanOutputIDs(), processor: &processor)
            }
        }
    }

    /// Decides what a failed write leads to: a hand-over when the partition is being taken away
    /// (or the error says so and the revocation follows), the error itself when it is fatal;
    /// otherwise returns and the caller retries after a back-off.
    private func afterFailure(_ error: KafkaError) async throws {
        if isHandingOver() { throw PartitionHandOver() }
        if Self.ownershipEnded(error) { try await waitForRevocation() }
        if error.isFatal { throw error }
    }

    /// Errors after which this member may no longer own the partition: writing on would race the next owner.
    static func ownershipEnded(_ error: KafkaError) -> Bool {
        [.rebalanceInProgress, .assignmentLost, .fenced].contains(error.code)
    }

    /// After an error saying the group is rebalancing, waits for the revocation the rebalance brings
    /// (then hands over without writing again). If none comes within ``revocationWait``, the error
    /// was transient and the caller retries.
    private func waitForRevocation() async throws {
        let deadline = ContinuousClock.now + revocationWait
        while ContinuousClock.now < deadline {
            if isHandingOver() { throw PartitionHandOver() }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private mutating func write(_ outcome: BatchOutcome, processor: PartitionProcessor) async throws(KafkaError) {
        let outputs = outcome.outputs.filter { !written.contains($0.id) }
        let offsets = outcome.commitOffsets.sorted { $0.key < $1.key }.map {
            TopicPartitionOffset($0.key, partition, $0.value)
        }
        if log.isTransactional {
            try await writeInTransaction(outputs: outputs, outcome: outcome, offsets: offsets, processor: processor)
            return
        }
        let clock = ContinuousClock()
        var phaseStart = clock.now
        func phaseDone(_ phase: String) {
            let now = clock.now
            metrics.batchPhase(phase, in: now - phaseStart)
            phaseStart = now
        }
        // Phase 1: outputs and dead letters.
        if !outputs.isEmpty {
            let reports = try await log.produce(outputs.map(\.producerRecord))
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
            changelog.append(processor.checkpointOutput(checkpoint(after: outcome, processor: processor)))
        }
        if !changelog.isEmpty {
            let (records, live) = fragments.expand(changelog)
            try await log.send(records)
            fragments.commit(live)
            phaseDone("changelog")
        }
        // Phase 3: the input offsets, committed by the worker's committer without holding up the
        // next batch (the checkpoint already records the inputs handled).
        if !offsets.isEmpty {
            await log.commitOffsets(offsets)
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
            if output.kind == .deadLetter,
                let reduced = OversizedRecords.reducedDeadLetter(output.value, refusedWith: error)
            {
                var replacement = output
                replacement.value = reduced
                replacement.headers = output.headers.filter { $0.name.hasPrefix("toxwatch-") }
                replacements.append(replacement)
                metrics.oversized(kind: "dead-letter")
                logger.error(
                    "dead letter refused by the broker; writing a reduced one",
                    metadata: ["output.id": "\(output.id)", "error": "\(error)", "record": "\(digest)"])
            } else {
                written.insert(output.id)
                metrics.oversized(kind: "output")
                metrics.outputsFailed(1)
                logger.error(
                    "output refused by the broker and given up (it cannot be cut without changing its meaning)",
                    metadata: ["output.id": "\(output.id)", "error": "\(error)", "record": "\(digest)"])
            }
        }
        guard !replacements.isEmpty else { return }
        let reports = try await log.produce(replacements.map(\.producerRecord))
        for (replacement, report) in zip(replacements, reports) {
            if let error = report.error {
                if !error.rejectsRecord { throw error }
                written.insert(replacement.id)
                metrics.outputsFailed(1)
                logger.error(
                    "reduced dead letter refused too; given up",
                    metadata: ["output.id": "\(replacement.id)", "error": "\(error)"])
            } else if let offset = report.offset {
                written.insert(replacement.id)
                outputEnd[replacement.topic] = max(outputEnd[replacement.topic] ?? 0, offset + 1)
            }
        }
    }

    private mutating func writeInTransaction(
        outputs: [OutputRecord], outcome: BatchOutcome, offsets: [TopicPartitionOffset], processor: PartitionProcessor
    ) async throws(KafkaError) {
        try await log.beginTransaction()
        do throws(KafkaError) {
            var changelog = outcome.changelog
            if !outcome.outputs.isEmpty || !outcome.changelog.isEmpty {
                // Output offsets are not known before the commit: the checkpoint keeps the previous
                // ends, so a restore scans this batch's outputs too (harmless).
                changelog.append(processor.checkpointOutput(checkpoint(after: outcome, processor: processor)))
            }
            let (changelogRecords, live) = fragments.expand(changelog)
            let reports = try await log.produce(outputs.map(\.producerRecord) + changelogRecords)
            if let failure = reports.first(where: { $0.error != nil })?.error { throw failure }
            if !offsets.isEmpty {
                try await log.sendOffsetsToTransaction(offsets)
            }
            try await log.commitTransaction()
            fragments.commit(live)
            for (record, report) in zip(outputs, reports) {
                if let offset = report.offset {
                    outputEnd[record.topic] = max(outputEnd[record.topic] ?? 0, offset + 1)
                }
            }
        } catch {
            await log.abortTransaction()
            throw error
        }
    }

    /// One attempt of writing records on their own; with `processing.guarantee: transactions` in a
    /// transaction of their own (a transactional producer cannot write outside one).
    private func sendOnce(_ records: [ProducerRecord]) async throws(KafkaError) {
        guard log.isTransactional else {
            try await log.send(records)
            return
        }
        try await log.beginTransaction()
        do throws(KafkaError) {
            try await log.send(records)
            try await log.commitTransaction()
        } catch {
            await log.abortTransaction()
            throw error
        }
    }

    private func checkpoint(after outcome: BatchOutcome, processor: PartitionProcessor) -> PartitionCheckpoint {
        PartitionCheckpoint(
            partition: partition, outputEndOffsets: outputEnd,
            handledInputOffsets: processor.handledInputOffsets(after: outcome))
    }

    private func record(_ outcome: BatchOutcome) {
        for (topic, count) in outcome.applied { metrics.eventsApplied(topic: topic, count: count) }
        for (reason, count) in outcome.skipped { metrics.eventsSkipped(reason: reason, count: count) }
        for (key, count) in outcome.deadLettered {
            metrics.deadLettered(topic: key.topic, reason: key.reason, count: count)
        }
        for duration in outcome.evaluationDurations { metrics.evaluated(in: duration) }
        if outcome.failedOutputs > 0 {
            metrics.outputsFailed(outcome.failedOutputs)
            logger.error(
                "outputs could not be encoded and were not published", metadata: ["outputs": "\(outcome.failedOutputs)"]
            )
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
}
