package import KafkaClient
package import Metrics
package import Prometheus

/// The Prometheus series `toxd ingest` exports on `/metrics`, emitted through swift-metrics (see
/// ``WorkerMetrics``; bounded labels: topic, outcome, reason; never message or patient ids).
package final class IngestMetrics: Sendable {
    private let factory: any MetricsFactory
    /// The registry `/metrics` serves (nil when the factory is not Prometheus's).
    private let registry: PrometheusCollectorRegistry?

    package static let seriesNames: [String] = [
        "toxd_ingest_records_total",
        "toxd_ingest_events_total",
        "toxd_ingest_dlq_total",
        "toxd_ingest_batch_duration_seconds",
        "toxd_ingest_assigned_partitions",
        "toxd_ingest_ready",
        "toxd_ingest_oversized_records_total",
        "toxd_ingest_consumer_lag",
    ]

    private let batchDuration: CoreMetrics.Timer
    package let assignedPartitions: Meter
    /// 1 while `/health` reports ready (set with it).
    package let ready: Meter

    /// The Prometheus backend for `registry`, with the ingest stage's histogram buckets.
    package static func prometheusFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "toxd_ingest_batch_duration_seconds": [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ]
        ]
        return factory
    }

    /// Metrics on a registry of their own (a test).
    package convenience init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.init(factory: Self.prometheusFactory(registry), exposing: registry)
    }

    /// Metrics through `factory`; ``exposition()`` serves `registry`, the Prometheus factory's.
    package init(factory: any MetricsFactory, exposing registry: PrometheusCollectorRegistry? = nil) {
        self.factory = factory
        self.registry = registry
        batchDuration = CoreMetrics.Timer(label: "toxd_ingest_batch_duration_seconds", factory: factory)
        assignedPartitions = Meter(label: "toxd_ingest_assigned_partitions", factory: factory)
        ready = Meter(label: "toxd_ingest_ready", factory: factory)
        ready.set(0.0)
        _ = CoreMetrics.Counter(label: "toxd_ingest_oversized_records_total", factory: factory)
    }

    /// A raw record above maxInputBytes was dead-lettered by digest, or the broker refused a record
    /// for its size (replaced by a bounded dead letter).
    package func oversized(count: Int = 1) {
        guard count > 0 else { return }
        CoreMetrics.Counter(label: "toxd_ingest_oversized_records_total", factory: factory).increment(by: count)
    }

    private func lagMeter(_ partition: TopicPartition) -> Meter {
        Meter(
            label: "toxd_ingest_consumer_lag",
            dimensions: [("topic", partition.topic), ("partition", String(partition.partition))], factory: factory)
    }

    /// An assigned raw partition's lag: the log end librdkafka last saw minus the fetch position.
    package func lag(_ partition: TopicPartition, messages: Int64) {
        lagMeter(partition).set(messages)
    }

    /// A raw partition was revoked or lost: its lag series disappears, so sums do not count it twice.
    package func partitionReleased(_ partition: TopicPartition) {
        lagMeter(partition).destroy()
    }

    /// One batch made durable: its records by outcome, its events by topic, its dead letters by reason.
    package func record(_ batch: IngestBatch, duration: Duration) {
        for (key, count) in batch.outcomes {
            Counter(
                label: "toxd_ingest_records_total",
                dimensions: [("topic", key.topic), ("outcome", key.outcome.rawValue)],
                factory: factory
            ).increment(by: count)
        }
        for (topic, count) in batch.events {
            CoreMetrics.Counter(label: "toxd_ingest_events_total", dimensions: [("topic", topic)], factory: factory)
                .increment(by: count)
        }
        for (key, count) in batch.deadLetters {
            CoreMetrics.Counter(
                label: "toxd_ingest_dlq_total", dimensions: [("topic", key.topic), ("reason", key.reason)],
                factory: factory
            )
            .increment(by: count)
        }
        batchDuration.record(duration: duration)
    }

    /// The Prometheus text exposition of every series (empty for a backend other than Prometheus).
    package func exposition() -> [UInt8] {
        registry?.emitToBuffer() ?? []
    }
}
