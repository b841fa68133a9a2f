import Foundation
import KafkaClient
package import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import ToxWatchContract
import ToxicityRules

/// The worker: consumes the patient topics as one member of the consumer group, runs one task
/// per assigned partition, reads the whole inventory topic, and publishes what the rules decide
/// (Docs/worker.md).
package final class WorkerPipeline: Service {
    private let configuration: WorkerConfiguration
    private let evaluator: PatientEvaluator
    private let metrics: WorkerMetrics
    private let logger: Logger
    private let inventory = InventoryView()
    private let runners = Mutex<[Int: PartitionRunner]>([:])
    private let inventoryLoaded = Mutex(false)

    package init(
        configuration: WorkerConfiguration, evaluator: PatientEvaluator, metrics: WorkerMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.evaluator = evaluator
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the worker serves its assignment: the inventory is loaded and every assigned
    /// partition has restored its patients and is not stalled (`/health` and `toxd_ready`).
    package var isReady: Bool { health().ready }

    /// Patient partitions currently owned.
    package var assignedPartitions: [Int] { runners.withLock { $0.keys.sorted() } }

    /// What `/health` reports: ready or not, and the state of every owned partition. Also sets
    /// `toxd_ready`, so the gauge and the endpoint never disagree.
    package func health() -> HealthReport {
        let loaded = inventoryLoaded.withLock { $0 }
        let owned = runners.withLock { $0.values.sorted { $0.partition < $1.partition } }
        let partitions = owned.map { runner -> HealthReport.Partition in
            let state: HealthReport.PartitionState =
                !runner.isRestored ? .restoring : runner.progress.isStalled ? .stalled : .serving
            return HealthReport.Partition(partition: runner.partition, state: state, lag: runner.progress.lag)
        }
        let report = HealthReport(starting: !loaded, partitions: partitions)
        metrics.ready.set(report.ready ? 1.0 : 0.0)
        metrics.stalledPartitions.set(Double(partitions.filter { $0.state == .stalled }.count))
        return report
    }

    package func run() async throws {
        let producer: KafkaProducer
        let consumer: KafkaConsumer
        var transactions: TransactionGate?
        do {
            // Unreachable brokers are waited for (not ready meanwhile); anything else is for a person.
            guard
                try await BrokerRetry.untilReachable(
                    logger: logger,
                    {
                        try await TopicLayout.verify(configuration: self.configuration, logger: self.logger)
                    }) != nil
            else { return }
            producer = try KafkaProducer(configuration: producerConfiguration(), logger: logger)
            if configuration.processingGuarantee == .transactions {
                try await producer.initTransactions()
                transactions = TransactionGate()
            }
            consumer = try KafkaConsumer(configuration: consumerConfiguration(), logger: logger)
        } catch let error as ConfigurationError {
            throw WorkerStartupError(description: error.description)
        } catch {
            throw WorkerStartupError(description: "cannot start against \(configuration.brokers): \(error)")
        }
        let committer = OffsetCommitter(consumer: consumer, logger: logger)
        let log = KafkaOutputLog(
            configuration: configuration, consumer: consumer, producer: producer, committer: committer,
            transactions: transactions, logger: logger)
        let context = PartitionContext(
            configuration: configuration, consumer: consumer, committer: committer, log: log,
            evaluator: evaluator, inventory: inventory, metrics: metrics, logger: logger)
        logger.info("toxd started", metadata: ["config": "\(configuration.redactedSummary)"])

        do {
            try await withThrowingDiscardingTaskGroup { group in
                let inventoryReader = try KafkaConsumer(configuration: inventoryConfiguration(), logger: logger)
                group.addTask { try await self.readInventory(inventoryReader) }
                group.addTask { await self.tick() }
                group.addTask { await self.watchProgress(consumer) }
                group.addTask { await committer.run() }
                try await withGracefulShutdownHandler {
                    try await self.consume(consumer, context: context, group: &group)
                } onGracefulShutdown: {
                    self.logger.info("shutting down: finishing in-flight batches")
                    consumer.shutdown()
                }
                inventoryReader.shutdown()
                group.cancelAll()
            }
        } catch {
            await consumer.close()
            await producer.close()
            throw error
        }
        await consumer.close()
        await producer.close()
        logger.info("toxd stopped")
    }

    // MARK: The poll loop

    private func consume(
        _ consumer: KafkaConsumer, context: PartitionContext, group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        // Partition tasks consult the inventory, so they start only once it is loaded.
        while !inventoryLoaded.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        for try await event in consumer.events {
            switch event {
            case .messages(let batch):
                deliver(batch, consumer: consumer)
            case .rebalance(let change):
                switch change.kind {
                case .assigned:
                    if let split = Self.splitPartitions(change.partitions, rebalanceProtocol: change.rebalanceProtocol)
                    {
                        throw WorkerStartupError(
                            description:
                                "the group assigned partition \(split) of some patient topics but not of the others; "
                                + "a worker must own partition p of every patient topic (use the range assignor)")
                    }
                    for partition in Set(change.partitions.map(\.partition)).sorted() {
                        await start(partition, consumer: consumer, context: context, group: &group)
                    }
                case .revoked, .lost:
                    await stop(Set(change.partitions.map(\.partition)), lost: change.kind == .lost)
                    change.acknowledge()
                }
                logger.info(
                    "assignment changed",
                    metadata: [
                        "change": "\(change.kind)",
                        "partitions":
                            "\(Set(change.partitions.map(\.partition)).sorted().map(String.init).joined(separator: ","))",
                        "assigned": "\(assignedPartitions.map(String.init).joined(separator: ","))",
                    ])
            case .caughtUp:
                continue
            }
        }
        // The consumer closed: every partition has been revoked and finished.
        await stop(Set(assignedPartitions), lost: false)
    }

    private func deliver(_ batch: [KafkaMessage], consumer: KafkaConsumer) {
        var byPartition: [Int: [PartitionWork]] = [:]
        var consumed: [String: Int] = [:]
        for message in batch {
            byPartition[message.partition, default: []].append(.message(message))
            consumed[message.topic, default: 0] += 1
        }
        for (topic, count) in consumed { metrics.eventsConsumed(topic: topic, count: count) }
        let current = runners.withLock { $0 }
        for (partition, work) in byPartition {
            // Messages of a partition just revoked are dropped: its next owner reads them again.
            guard let runner = current[partition] else { continue }
            // At the high-water mark the inbox pauses the partition itself (see `start`).
            runner.inbox.deliver(work)
        }
    }

    private func start(
        _ partition: Int, consumer: KafkaConsumer, context: PartitionContext,
        group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async {
        if runners.withLock({ $0[partition] }) != nil {
            // Assigned again without a revocation in between: the old task's state may be stale
            // (another member may have owned the partition meanwhile), so it ends and a new one restores.
            logger.warning(
                "partition assigned while still owned: restarting its task",
                metadata: ["kafka.partition": "\(partition)"])
            await stop([partition], lost: true)
        }
        let logger = self.logger
        let metrics = self.metrics
        let runner = PartitionRunner(partition: partition, bufferSize: configuration.partitionBufferSize) { flow in
            do {
                switch flow {
                case .pause:
                    try consumer.pause(Self.inputPartitions(partition))
                    metrics.backPressurePaused(partition: partition)
                case .resume:
                    try consumer.resume(Self.inputPartitions(partition))
                }
            } catch {
                logger.warning(
                    "cannot \(flow) fetching the partition",
                    metadata: ["kafka.partition": "\(partition)", "error": "\(error)"])
            }
        }
        runners.withLock { $0[partition] = runner }
        metrics.assignedPartitions.set(Double(runners.withLock { $0.count }))
        group.addTask {
            var task = PartitionTask(runner: runner, context: context)
            try await task.run()
        }
    }

    /// Ends the tasks of revoked partitions: each finishes its in-flight batch and commits (unless
    /// the partition was lost), then its patients leave memory. Finishing an inbox resumes its
    /// partition if back-pressure had paused it, before the partition goes back to the group.
    private func stop(_ partitions: Set<Int>, lost: Bool) async {
        let stopping = runners.withLock { runners in partitions.compactMap { runners[$0] } }
        for runner in stopping {
            if lost { runner.markLost() }
            runner.inbox.finish()
        }
        for runner in stopping { await runner.waitUntilFinished() }
        runners.withLock { runners in for partition in partitions { runners[partition] = nil } }
        metrics.assignedPartitions.set(Double(runners.withLock { $0.count }))
    }

    /// A partition number assigned for some patient topics but not all of them, if any: the
    /// worker would then share patients with another member. Eager (range) assignments list the
    /// whole assignment, so each number must come with every patient topic.
    static func splitPartitions(_ assigned: [TopicPartition], rebalanceProtocol: KafkaRebalanceEvent.RebalanceProtocol)
        -> Int?
    {
        guard rebalanceProtocol == .eager else { return nil }
        let inputs = Set(ToxWatchTopics.patientInputs)
        var topicsByPartition: [Int: Set<String>] = [:]
        for topicPartition in assigned where inputs.contains(topicPartition.topic) {
            topicsByPartition[topicPartition.partition, default: []].insert(topicPartition.topic)
        }
        return topicsByPartition.keys.sorted().first { topicsByPartition[$0] != inputs }
    }

    static func inputPartitions(_ partition: Int) -> [TopicPartition] {
        ToxWatchTopics.patientInputs.map { TopicPartition($0, partition) }
    }

    // MARK: Inventory and time

    private func readInventory(_ reader: KafkaConsumer) async throws {
        let records = InventoryRecordReader(configuration: configuration, metrics: metrics, logger: logger)
        var loaded = false
        for try await event in reader.events {
            switch event {
            case .messages(let batch):
                for message in batch {
                    // Invalid records are dead-lettered there (a tombstone is nil too).
                    guard let item = await records.read(message) else { continue }
                    guard inventory.apply(item), loaded else { continue }
                    let cause = OutputCause.inventory(
                        topic: message.topic, partition: message.partition, offset: message.offset)
                    for runner in runners.withLock({ Array($0.values) }) {
                        runner.inbox.deliver([.inventoryChanged(site: item.site, at: item.occurredAt, cause: cause)])
                    }
                }
            case .caughtUp:
                loaded = true
                inventoryLoaded.withLock { $0 = true }
                logger.info("inventory loaded", metadata: ["entries": "\(inventory.count)"])
            case .rebalance:
                continue
            }
        }
        await records.close()
    }

    /// Punctuation: every interval, each partition task checks its time-driven rules. In between,
    /// a task whose pending instant's grace ends is woken then (``PartitionRunner/wake(at:)``): the
    /// loop looks every ``graceWakeResolution`` and, when a requested wake falls before its next
    /// look, sleeps until that wake instead, so an instant is evaluated when its grace ends, not up
    /// to a punctuation interval (or a look) later.
    private func tick() async {
        let grace = configuration.evaluationGrace
        let interval = grace > .zero ? min(configuration.punctuationInterval, grace) : configuration.punctuationInterval
        var nextPunctuation = ContinuousClock.now + interval
        while !Task.isCancelled {
            // With no grace every instant is evaluated by its own batch: nothing to wake.
            try? await Task.sleep(for: grace > .zero ? untilNextLook() : interval)
            let now = Date()
            let punctuate = ContinuousClock.now >= nextPunctuation
            if punctuate { nextPunctuation = ContinuousClock.now + interval }
            for runner in runners.withLock({ Array($0.values) }) where runner.isRestored {
                if punctuate {
                    runner.inbox.deliver([.tick(now)])
                } else if runner.takeWake(dueBy: now) {
                    runner.inbox.deliver([.instantsReady(now)])
                }
            }
        }
    }

    /// How often the punctuation loop looks for a partition task whose instants' grace ended.
    static let graceWakeResolution: Duration = .milliseconds(50)

    /// How long the punctuation loop sleeps before its next look.
    private func untilNextLook() -> Duration {
        Self.untilNextLook(requestedWake: runners.withLock { $0.values.compactMap(\.requestedWake).min() }, now: Date())
    }

    /// ``graceWakeResolution``, or less when the earliest requested wake comes sooner (wakes are
    /// asked for a grace ahead, so the loop sees each one at least one look before it is due); at
    /// least a millisecond, so that a wake already due is taken at the next look without spinning.
    static func untilNextLook(requestedWake: Date?, now: Date) -> Duration {
        guard let requestedWake else { return graceWakeResolution }
        let milliseconds = (max(0.001, requestedWake.timeIntervalSince(now)) * 1000).rounded(.up)
        return min(graceWakeResolution, .milliseconds(Int64(min(milliseconds, 1e12))))
    }

    /// Every second, measures each owned partition's lag and whether it is stalled (lag and no
    /// progress for `stallTimeoutSeconds`), logs a partition that becomes stalled, and refreshes
    /// readiness.
    private func watchProgress(_ consumer: KafkaConsumer) async {
        let watch = LagWatch(consumer: consumer)
        var reported: Set<Int> = []
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            for runner in runners.withLock({ Array($0.values) }) where runner.isRestored {
                let lag = await watch.lag(of: runner)
                let stalled = runner.progress.observe(lag: lag, stallTimeout: configuration.stallTimeout)
                if stalled, reported.insert(runner.partition).inserted {
                    logger.error(
                        "partition stalled: lag without progress",
                        metadata: [
                            "kafka.partition": "\(runner.partition)", "lag": "\(lag)",
                            "seconds": "\(runner.progress.sinceLastProgress().timeInterval)",
                        ])
                } else if !stalled {
                    reported.remove(runner.partition)
                }
            }
            _ = health()
        }
    }

    // MARK: Kafka configuration

    private func consumerConfiguration() -> KafkaConsumerConfiguration {
        // The assignment strategy is not negotiable: any other would split patients between workers.
        var consumer = configuration.clients.consumer(
            .group(id: configuration.group, topics: ToxWatchTopics.patientInputs), clientID: "toxd",
            excluding: ["partition.assignment.strategy"])
        // Range keeps partition p of every patient topic on one member (co-partitioning).
        consumer.assignmentStrategy = .range
        consumer.isolationLevel = .readCommitted
        consumer.maxBatchSize = configuration.maxBatchSize
        if configuration.kafka["partition.assignment.strategy"] != nil {
            logger.warning("ignoring kafka partition.assignment.strategy: toxd always uses range (co-partitioning)")
        }
        return consumer
    }

    private func inventoryConfiguration() -> KafkaConsumerConfiguration {
        configuration.clients.consumer(
            .allPartitions(topics: [ToxWatchTopics.inventory]), clientID: "toxd-inventory", excluding: ["group.id"])
    }

    private func producerConfiguration() -> KafkaProducerConfiguration {
        var producer = configuration.clients.producer(clientID: "toxd")
        if configuration.processingGuarantee == .transactions {
            producer.transactionalID =
                "\(configuration.group)-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        }
        return producer
    }
}

/// The worker could not start for a reason a person has to fix: bad settings or topics, an
/// incompatible broker, failed authentication. `toxd` exits with status 2 (systemd's unit does not
/// restart on it). Unreachable brokers are not such a reason: start-up waits for them
/// (``BrokerRetry``).
package struct WorkerStartupError: Error, CustomStringConvertible {
    package var description: String
}

/// Start-up check of the topics the worker needs (DESIGN.md §1): present, and co-partitioned.
enum TopicLayout {
    static func verify(configuration: WorkerConfiguration, logger: Logger) async throws {
        try check(try await configuration.clients.clusterMetadata(logger: logger))
    }

    /// Throws a ``ConfigurationError`` naming every missing topic and every partition count that differs.
    static func check(_ metadata: KafkaClusterMetadata) throws(ConfigurationError) {
        let needed =
            ToxWatchTopics.coPartitioned.filter { $0.role != .rawIngest }.map(\.name) + [ToxWatchTopics.inventory]
        let missing = needed.filter { name in metadata.topic(name).map { $0.partitionCount == 0 } ?? true }
        guard missing.isEmpty else {
            throw ConfigurationError(
                "missing topics: \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)")
        }
        let counts = ToxWatchTopics.coPartitioned.filter { $0.role != .rawIngest }.map { topic in
            (topic.name, metadata.topic(topic.name)?.partitionCount ?? 0)
        }
        guard Set(counts.map(\.1)).count == 1 else {
            let listing = counts.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            throw ConfigurationError(
                "the patient, output, changelog and dead-letter topics must have the same partition count "
                    + "(a worker owns partition p of each); found \(listing)")
        }
    }
}
