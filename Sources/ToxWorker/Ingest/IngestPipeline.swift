import Foundation
package import KafkaClient
package import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import ToxWatchContract

/// `toxd ingest`: consumes raw HL7 v2 and FHIR R4 records (one message per record, keyed by the
/// integration engine's choice, usually MSH-10), decodes them, and publishes the canonical events to
/// the `cart.*` topics keyed by patient id (README "Event contract", Docs/HL7-FHIR.md).
///
/// At-least-once with deterministic ids: for each batch the events and dead letters are produced
/// and acknowledged, and only then are the raw offsets committed. A crash in between replays the
/// batch; the replay yields the same `eventId`s (MSH-10, `MSH-10#n`, FHIR resource ids), which the
/// worker drops as already applied, and the same dead-letter ids.
///
/// The producer uses librdkafka's `murmur2_random` partitioner (Java's default murmur2), so an event
/// lands in the partition any Java-default producer would pick for its patient, on every patient
/// topic (they are co-partitioned: checked at start-up).
package final class IngestPipeline: Service {
    private let configuration: IngestConfiguration
    private let metrics: IngestMetrics
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var started = false
        var partitions: Set<TopicPartition> = []
    }

    package init(configuration: IngestConfiguration, metrics: IngestMetrics, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the pipeline checked the topics and joined the group (`/health`).
    package var isReady: Bool { state.withLock { $0.started } }

    /// Raw partitions currently assigned.
    package var assignedPartitions: [TopicPartition] { state.withLock { $0.partitions.sorted() } }

    /// What `/health` reports (the worker's shape: ``HealthReport``).
    package func health() -> HealthReport {
        let (started, partitions) = state.withLock { ($0.started, $0.partitions.sorted()) }
        let report = HealthReport(
            starting: !started,
            partitions: partitions.map {
                HealthReport.Partition(topic: $0.topic, partition: $0.partition, state: .serving)
            })
        metrics.ready.set(report.ready ? 1.0 : 0.0)
        return report
    }

    package func run() async throws {
        guard
            let deadLetterPartitions = try await BrokerRetry.untilReachable(
                logger: logger,
                {
                    try await IngestTopicLayout.verify(configuration: self.configuration, logger: self.logger)
                })
        else { return }
        var processor = IngestProcessor(
            hl7Topic: configuration.hl7Topic,
            fhirTopic: configuration.fhirTopic,
            deadLetterPartitions: deadLetterPartitions,
            hl7Options: HL7DecodingOptions(defaultUTCOffsetSeconds: configuration.defaultUTCOffsetSeconds)
        )
        processor.maxInputBytes = configuration.maxInputBytes
        let configuredProcessor = processor
        let producer = try KafkaProducer(configuration: producerConfiguration(), logger: logger)
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: consumerConfiguration(), logger: logger)
        } catch {
            await producer.close()
            throw error
        }
        state.withLock { $0.started = true }
        logger.info("toxd ingest started", metadata: ["config": "\(configuration.redactedSummary)"])
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await self.consume(consumer, producer: producer, processor: configuredProcessor)
                    }
                    group.addTask { try await self.measureLag(consumer) }
                    // Consuming ends at shutdown or with an error; the lag measurement ends with it.
                    try await group.next()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.logger.info("shutting down: finishing the in-flight batch")
                consumer.shutdown()
            }
        } catch {
            await consumer.close()
            await producer.close()
            throw error
        }
        await consumer.close()
        await producer.close()
        logger.info("toxd ingest stopped")
    }

    private func consume(_ consumer: KafkaConsumer, producer: KafkaProducer, processor: IngestProcessor) async throws {
        for try await event in consumer.events {
            switch event {
            case .messages(let batch):
                try await handle(batch, consumer: consumer, producer: producer, processor: processor)
            case .rebalance(let change):
                // Batches are made durable one at a time inside this loop: nothing is in flight here.
                state.withLock { state in
                    switch change.kind {
                    case .assigned: state.partitions.formUnion(change.partitions)
                    case .revoked, .lost: state.partitions.subtract(change.partitions)
                    }
                }
                if change.kind != .assigned {
                    for partition in change.partitions { metrics.partitionReleased(partition) }
                }
                change.acknowledge()
                let assigned = assignedPartitions
                metrics.assignedPartitions.set(Double(assigned.count))
                logger.info(
                    "assignment changed",
                    metadata: [
                        "change": "\(change.kind)",
                        "partitions": "\(assigned.map(\.description).joined(separator: ","))",
                    ]
                )
            case .caughtUp:
                continue
            }
        }
    }

    /// Every `lagInterval`, exports each assigned raw partition's lag from what librdkafka last saw
    /// (no round trip): a partition that stops moving while its log end grows shows in
    /// `toxd_ingest_consumer_lag` even when no batch completes.
    private func measureLag(_ consumer: KafkaConsumer) async throws {
        while !Task.isCancelled {
            let partitions = assignedPartitions
            if !partitions.isEmpty, let positions = try? consumer.position(partitions) {
                for position in positions {
                    guard let watermarks = consumer.cachedWatermarks(position.topicPartition) else { continue }
                    let from = position.offset.isAbsolute ? position.offset.rawValue : watermarks.low
                    metrics.lag(position.topicPartition, messages: max(0, watermarks.high - from))
                }
            }
            try await Task.sleep(for: Self.lagInterval)
        }
    }

    private static let lagInterval = Duration.seconds(5)

    /// Produces a batch's events and dead letters, waits for every acknowledgement, then commits.
    private func handle(
        _ batch: [KafkaMessage],
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        processor: IngestProcessor
    ) async throws {
        let started = ContinuousClock.now
        let outcome = processor.process(batch, now: Date())
        metrics.oversized(
            count: batch.filter { ($0.value?.count ?? 0) + ($0.key?.count ?? 0) > configuration.maxInputBytes }.count)
        var attempt = 0
        var pending = outcome.records
        while !pending.isEmpty {
            do throws(KafkaError) {
                // Records the broker refuses for what they are are replaced or given up, never retried.
                let reports = try await producer.produce(pending)
                var retry: [ProducerRecord] = []
                var failure: KafkaError?
                for (record, report) in zip(pending, reports) {
                    guard let error = report.error else { continue }
                    if !error.rejectsRecord {
                        retry.append(record)
                        failure = failure ?? error
                    } else if record.topic == ToxWatchTopics.deadLetters,
                        let reduced = OversizedRecords.reducedDeadLetter(record.value ?? [], refusedWith: error)
                    {
                        var replacement = record
                        replacement.value = reduced
                        retry.append(replacement)
                        metrics.oversized()
                        logger.error(
                            "dead letter refused by the broker; writing a reduced one",
                            metadata: ["error": "\(error)", "record": "\(OversizedRecords.describe(record))"])
                    } else {
                        metrics.oversized()
                        logger.error(
                            "record refused by the broker and given up",
                            metadata: ["error": "\(error)", "record": "\(OversizedRecords.describe(record))"])
                    }
                }
                pending = retry
                if let failure { throw failure }
            } catch {
                if error.isFatal { throw error }
                attempt += 1
                // Resending is safe: the records carry deterministic ids.
                logger.warning(
                    "produce failed, retrying the batch",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)"]
                )
                try await Task.sleep(for: RetryPolicy.batch.delay(afterFailures: attempt))
            }
        }
        do {
            try await consumer.commit(outcome.commitOffsets)
        } catch {
            // The events are durable; an uncommitted batch is consumed again by the next owner and
            // yields the same event ids, which the worker drops.
            logger.warning(
                "commit failed; the batch will be replayed with the same event ids",
                metadata: ["error": "\(error)", "records": "\(batch.count)"]
            )
        }
        metrics.record(outcome, duration: ContinuousClock.now - started)
        let failed = outcome.outcomes.filter { $0.key.outcome == .failed || $0.key.outcome == .partial }.values.reduce(
            0,
            +
        )
        if failed > 0 {
            logger.notice("records dead-lettered", metadata: ["records": "\(failed)"])
        }
    }

    // MARK: Kafka configuration

    private func consumerConfiguration() -> KafkaConsumerConfiguration {
        var consumer = configuration.clients.consumer(
            .group(id: configuration.group, topics: [configuration.hl7Topic, configuration.fhirTopic]),
            clientID: "toxd-ingest")
        consumer.maxBatchSize = configuration.maxBatchSize
        return consumer
    }

    private func producerConfiguration() -> KafkaProducerConfiguration {
        var producer = configuration.clients.producer(
            clientID: "toxd-ingest", fixed: ["partitioner": IngestConfiguration.partitioner])
        producer.idempotent = true
        return producer
    }
}

/// Start-up check of the topics `toxd ingest` writes: the patient topics exist with one partition
/// count (co-partitioned), and the dead-letter topic exists.
enum IngestTopicLayout {
    /// - Returns: the dead-letter topic's partition count.
    static func verify(configuration: IngestConfiguration, logger: Logger) async throws -> Int {
        let metadata = try await configuration.clients.clusterMetadata(
            excluding: ["partitioner", "group.id"], logger: logger)
        for raw in [configuration.hl7Topic, configuration.fhirTopic]
        where (metadata.topic(raw)?.partitionCount ?? 0) == 0 {
            logger.warning("raw topic not found yet; consuming it once it exists", metadata: ["kafka.topic": "\(raw)"])
        }
        return try check(metadata)
    }

    static func check(_ metadata: KafkaClusterMetadata) throws(ConfigurationError) -> Int {
        let needed = ToxWatchTopics.patientInputs + [ToxWatchTopics.deadLetters]
        let missing = needed.filter { (metadata.topic($0)?.partitionCount ?? 0) == 0 }
        guard missing.isEmpty else {
            throw ConfigurationError(
                "missing topics: \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)"
            )
        }
        let counts = ToxWatchTopics.patientInputs.map { ($0, metadata.topic($0)?.partitionCount ?? 0) }
        guard Set(counts.map(\.1)).count == 1 else {
            throw ConfigurationError(
                "the patient topics must have the same partition count (a patient's events must meet in one "
                    + "partition number); found \(counts.map { "\($0.0)=\($0.1)" }.joined(separator: ", "))"
            )
        }
        return metadata.topic(ToxWatchTopics.deadLetters)?.partitionCount ?? 1
    }
}
