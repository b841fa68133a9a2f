package import Prometheus
import Synchronization

/// Every Prometheus series `toxd` exports on `/metrics`.
///
/// Created once per worker on its own registry (no global bootstrap), with bounded labels only:
/// topic, partition, output type, outcome. Patient and message ids never become labels.
/// `Ops/` (alert rules, dashboard) is checked against ``WorkerMetrics/seriesNames`` by the tests.
package final class WorkerMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry

    /// Names of all series, as they appear in the exposition (histograms add `_bucket`, `_sum`, `_count`).
    package static let seriesNames: [String] = [
        "toxd_events_consumed_total",
        "toxd_events_applied_total",
        "toxd_events_skipped_total",
        "toxd_outputs_total",
        "toxd_dlq_total",
        "toxd_consumer_lag",
        "toxd_consumer_lag_seconds",
        "toxd_evaluation_duration_seconds",
        "toxd_output_failures_total",
        "toxd_batch_commit_duration_seconds",
        "toxd_batch_phase_duration_seconds",
        "toxd_transactions_total",
        "toxd_rewinds_total",
        "toxd_restore_duration_seconds",
        "toxd_restored_patients_total",
        "toxd_active_patients",
        "toxd_assigned_partitions",
        "toxd_ready",
        "toxd_stalled_partitions",
        "toxd_backpressure_pauses_total",
        "toxd_oversized_records_total",
    ]

    /// Label values of the alerted counters, created at 0 so that `increase(…)` sees the first one.
    package static let skipReasons = ["already-applied", "duplicate-event-id"]
    package static let rewindReasons = ["retriable-error", "error"]
    package static let oversizedKinds = ["input", "dead-letter", "output"]

    private let evaluationDuration: DurationHistogram
    private let commitDuration: DurationHistogram
    private let restoreDuration: DurationHistogram
    private let phaseDurations: [String: DurationHistogram]
    private let activePatients: Gauge
    package let assignedPartitions: Gauge
    package let ready: Gauge
    package let stalledPartitions: Gauge
    private let restoredPatients: Counter
    /// Patients held per owned partition (``toxd_active_patients`` is their sum).
    private let patientsByPartition = Mutex<[Int: Int]>([:])

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let fast: [Duration] = [
            .microseconds(5), .microseconds(20), .microseconds(100), .microseconds(500), .milliseconds(2),
            .milliseconds(10), .milliseconds(50),
        ]
        let slow: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(150), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        evaluationDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor("evaluation_duration", "seconds", "Time to run the rules engine for one patient"),
            buckets: fast)
        commitDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "batch_commit_duration", "seconds",
                "Time from a batch's first produce to its committed offsets (or committed transaction)"),
            buckets: slow)
        var phases: [String: DurationHistogram] = [:]
        for phase in ["outputs", "changelog"] {
            phases[phase] = registry.makeDurationHistogram(
                descriptor: Self.descriptor(
                    "batch_phase_duration", "seconds",
                    "Time a batch waits for one phase of the batch protocol: its outputs, then its changelog acknowledged"),
                labels: [("phase", phase)], buckets: fast + slow.filter { $0 > .milliseconds(50) })
        }
        phaseDurations = phases
        restoreDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "restore_duration", "seconds", "Time to restore a partition's patients from the changelog"),
            buckets: slow + [.seconds(10), .seconds(30), .seconds(60)])
        activePatients = registry.makeGauge(
            descriptor: Self.descriptor("active_patients", nil, "Patients held in memory by this worker"))
        assignedPartitions = registry.makeGauge(
            descriptor: Self.descriptor("assigned_partitions", nil, "Patient partitions assigned to this worker"))
        ready = registry.makeGauge(
            descriptor: Self.descriptor("ready", nil, "1 once every assigned partition is restored and processing"))
        restoredPatients = registry.makeCounter(
            descriptor: Self.descriptor("restored_patients", "total", "Patient states restored from the changelog"))
        stalledPartitions = registry.makeGauge(
            descriptor: Self.descriptor(
                "stalled_partitions", nil, "Owned partitions with lag and no progress for longer than the stall timeout"))
        ready.set(0.0)
        // Counters that alerts take `increase` of exist from the start, at 0.
        _ = registry.makeCounter(descriptor: Self.outputFailures)
        _ = registry.makeCounter(descriptor: Self.backPressurePauses)
        for reason in Self.rewindReasons { _ = registry.makeCounter(descriptor: Self.rewinds, labels: [("reason", reason)]) }
        for reason in Self.skipReasons { _ = registry.makeCounter(descriptor: Self.eventsSkipped, labels: [("reason", reason)]) }
        for kind in Self.oversizedKinds { _ = registry.makeCounter(descriptor: Self.oversized, labels: [("kind", kind)]) }
    }

    /// The patients a partition task holds now (after restore and after every change).
    package func setActivePatients(partition: Int, count: Int) {
        let total = patientsByPartition.withLock { counts in
            counts[partition] = count
            return counts.values.reduce(0, +)
        }
        activePatients.set(Double(total))
    }

    /// A partition was handed back: its patients leave memory and its lag series disappear.
    package func partitionReleased(_ partition: Int, topics: [String]) {
        let total = patientsByPartition.withLock { counts in
            counts[partition] = nil
            return counts.values.reduce(0, +)
        }
        activePatients.set(Double(total))
        for topic in topics {
            let labels = [("topic", topic), ("partition", String(partition))]
            registry.unregisterGauge(registry.makeGauge(descriptor: Self.consumerLag, labels: labels))
            registry.unregisterGauge(registry.makeGauge(descriptor: Self.consumerLagSeconds, labels: labels))
        }
    }

    /// Back-pressure paused fetching a partition (its inbox reached the high-water mark).
    package func backPressurePaused(partition: Int) {
        registry.makeCounter(descriptor: Self.backPressurePauses).increment()
    }

    /// A record too large to write or to read as it is: `input` (dead-lettered with its digest),
    /// `dead-letter` or `output` (replaced by a bounded record naming the error).
    package func oversized(kind: String) {
        registry.makeCounter(descriptor: Self.oversized, labels: [("kind", kind)]).increment()
    }

    package func eventsConsumed(topic: String, count: Int) {
        registry.makeCounter(descriptor: Self.eventsConsumed, labels: [("topic", topic)])
            .increment(by: Int64(count))
    }

    package func eventsApplied(topic: String, count: Int) {
        registry.makeCounter(descriptor: Self.eventsApplied, labels: [("topic", topic)])
            .increment(by: Int64(count))
    }

    /// An input that was not applied: `already-applied` (replay after restore) or `duplicate-event-id`.
    package func eventsSkipped(reason: String, count: Int) {
        registry.makeCounter(descriptor: Self.eventsSkipped, labels: [("reason", reason)]).increment(by: Int64(count))
    }

    package func outputProduced(type: String) {
        registry.makeCounter(descriptor: Self.outputs, labels: [("type", type)]).increment()
    }

    package func deadLettered(topic: String, reason: String, count: Int) {
        registry.makeCounter(descriptor: Self.deadLetters, labels: [("topic", topic), ("reason", reason)])
            .increment(by: Int64(count))
    }

    package func lag(topic: String, partition: Int32, messages: Int64, seconds: Double?) {
        let labels = [("topic", topic), ("partition", String(partition))]
        registry.makeGauge(descriptor: Self.consumerLag, labels: labels).set(Double(messages))
        if let seconds {
            registry.makeGauge(descriptor: Self.consumerLagSeconds, labels: labels).set(seconds)
        }
    }

    /// Outputs left out because they could not be encoded (the patient's evaluation failed).
    package func outputsFailed(_ count: Int) {
        registry.makeCounter(descriptor: Self.outputFailures).increment(by: Int64(count))
    }

    package func evaluated(in duration: Duration) {
        evaluationDuration.record(duration)
    }

    /// A batch reached its commit; `outcome` is `committed` or `aborted`.
    package func batchFinished(in duration: Duration, outcome: String) {
        if outcome == "committed" { commitDuration.record(duration) }
        registry.makeCounter(descriptor: Self.transactions, labels: [("outcome", outcome)]).increment()
    }

    /// A partition was rewound to its committed offsets after a failed produce or commit.
    package func rewound(reason: String) {
        registry.makeCounter(descriptor: Self.rewinds, labels: [("reason", reason)]).increment()
    }

    /// One phase of a batch (exactly-once mode): `outputs` or `changelog`.
    package func batchPhase(_ phase: String, in duration: Duration) {
        phaseDurations[phase]?.record(duration)
    }

    package func restored(patients: Int, in duration: Duration) {
        restoredPatients.increment(by: Int64(patients))
        restoreDuration.record(duration)
    }

    private static var eventsConsumed: MetricNameDescriptor {
        descriptor("events_consumed", "total", "Input records consumed, by topic")
    }
    private static var eventsApplied: MetricNameDescriptor {
        descriptor("events_applied", "total", "Input events applied to patient state")
    }
    private static var eventsSkipped: MetricNameDescriptor {
        descriptor(
        "events_skipped", "total", "Inputs not applied: already applied before a restart, or a repeated event id")
    }
    private static var outputs: MetricNameDescriptor {
        descriptor("outputs", "total", "Outputs produced, by type")
    }
    private static var deadLetters: MetricNameDescriptor {
        descriptor("dlq", "total", "Inputs sent to the dead-letter topic, by reason")
    }
    private static var consumerLag: MetricNameDescriptor {
        descriptor("consumer", "lag", "Messages between position and log end")
    }
    private static var consumerLagSeconds: MetricNameDescriptor {
        descriptor(
        "consumer_lag", "seconds", "Age of the oldest unprocessed message's timestamp")
    }
    private static var outputFailures: MetricNameDescriptor {
        descriptor("output_failures", "total", "Outputs that could not be encoded and were not published")
    }
    private static var transactions: MetricNameDescriptor {
        descriptor(
        "transactions", "total", "Batches finished, by outcome (committed or aborted)")
    }
    private static var backPressurePauses: MetricNameDescriptor {
        descriptor(
            "backpressure_pauses", "total", "Times a partition's inbox reached its high-water mark and fetching paused")
    }
    private static var oversized: MetricNameDescriptor {
        descriptor(
            "oversized_records", "total",
            "Records over the size limits: inputs dead-lettered by digest, dead letters and outputs replaced by bounded ones")
    }
    private static var rewinds: MetricNameDescriptor {
        descriptor(
        "rewinds", "total", "Partitions rewound to their committed offsets after a failure")
    }

    private static func descriptor(_ name: String, _ unit: String?, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "toxd", metricName: name, unitName: unit ?? "", helpText: help)
    }

    /// The Prometheus text exposition of every series.
    package func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
