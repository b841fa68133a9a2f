package import KafkaClient
package import Prometheus

/// The Prometheus series `toxd ingest` exports on `/metrics` (own registry, bounded labels: topic,
/// outcome, reason; never message or patient ids).
package final class IngestMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry

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

    private let batchDuration: DurationHistogram
    package let assignedPartitions: Gauge
    /// 1 while `/health` reports ready (set with it).
    package let ready: Gauge

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        batchDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "ingest_batch_duration",
                "seconds",
                "Time from a batch's first produce to its committed offsets"
            ),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ]
        )
        assignedPartitions = registry.makeGauge(
            descriptor: Self.descriptor("ingest_assigned_partitions", nil, "Raw HL7/FHIR partitions assigned")
        )
        ready = registry.makeGauge(descriptor: Self.descriptor("ingest_ready", nil, "1 while /health reports ready"))
        ready.set(0.0)
        _ = registry.makeCounter(descriptor: Self.oversized)
    }

    /// A raw record above maxInputBytes was dead-lettered by digest, or the broker refused a record
    /// for its size (replaced by a bounded dead letter).
    package func oversized(count: Int = 1) {
        guard count > 0 else { return }
        registry.makeCounter(descriptor: Self.oversized).increment(by: Int64(count))
    }

    /// An assigned raw partition's lag: the log end librdkafka last saw minus the fetch position.
    package func lag(_ partition: TopicPartition, messages: Int64) {
        registry.makeGauge(descriptor: Self.consumerLag, labels: Self.labels(partition)).set(Double(messages))
    }

    /// A raw partition was revoked or lost: its lag series disappears, so sums do not count it twice.
    package func partitionReleased(_ partition: TopicPartition) {
        registry.unregisterGauge(registry.makeGauge(descriptor: Self.consumerLag, labels: Self.labels(partition)))
    }

    private static func labels(_ partition: TopicPartition) -> [(String, String)] {
        [("topic", partition.topic), ("partition", String(partition.partition))]
    }

    private static var consumerLag: MetricNameDescriptor {
        descriptor("ingest_consumer_lag", nil, "Raw HL7/FHIR messages between the fetch position and the log end")
    }

    private static var oversized: MetricNameDescriptor {
        descriptor(
            "ingest_oversized_records", "total",
            "Raw records over maxInputBytes, or records the broker refused as too large, dead-lettered by digest")
    }

    /// One batch made durable: its records by outcome, its events by topic, its dead letters by reason.
    package func record(_ batch: IngestBatch, duration: Duration) {
        for (key, count) in batch.outcomes {
            registry.makeCounter(
                descriptor: Self.records,
                labels: [("topic", key.topic), ("outcome", key.outcome.rawValue)]
            ).increment(by: Int64(count))
        }
        for (topic, count) in batch.events {
            registry.makeCounter(descriptor: Self.events, labels: [("topic", topic)]).increment(by: Int64(count))
        }
        for (key, count) in batch.deadLetters {
            registry.makeCounter(descriptor: Self.deadLetters, labels: [("topic", key.topic), ("reason", key.reason)])
                .increment(by: Int64(count))
        }
        batchDuration.record(duration)
    }

    private static var records: MetricNameDescriptor {
        descriptor(
            "ingest_records",
            "total",
            "Raw records consumed, by topic and outcome (decoded, partial, failed, skipped)"
        )
    }
    private static var events: MetricNameDescriptor {
        descriptor("ingest_events", "total", "Canonical events published, by patient topic")
    }
    private static var deadLetters: MetricNameDescriptor {
        descriptor("ingest_dlq", "total", "Raw records sent to the dead-letter topic, by raw topic and reason")
    }

    private static func descriptor(_ name: String, _ unit: String?, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "toxd", metricName: name, unitName: unit ?? "", helpText: help)
    }

    /// The Prometheus text exposition of every series.
    package func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
