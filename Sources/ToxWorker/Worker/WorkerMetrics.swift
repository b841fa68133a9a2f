package import Metrics
package import Prometheus
import Synchronization

/// Every Prometheus series `toxd` exports on `/metrics`, emitted through swift-metrics.
///
/// `toxd` bootstraps `MetricsSystem` with the Prometheus backend (``prometheusFactory(_:)``) and
/// serves its registry; tests give each worker its own registry, or MetricsTestKit's `TestMetrics`.
/// Bounded labels only: topic, partition, output type, outcome. Patient and message ids never become
/// labels. `Ops/` (alert rules, dashboard) is checked against ``WorkerMetrics/seriesNames`` by the tests.
package final class WorkerMetrics: Sendable {
    private let factory: any MetricsFactory
    /// The registry `/metrics` serves (nil when the factory is not Prometheus's).
    private let registry: PrometheusCollectorRegistry?

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

    private let evaluationDuration: CoreMetrics.Timer
    private let commitDuration: CoreMetrics.Timer
    private let restoreDuration: CoreMetrics.Timer
    private let phaseDurations: [String: CoreMetrics.Timer]
    private let activePatients: Meter
    package let assignedPartitions: Meter
    package let ready: Meter
    package let stalledPartitions: Meter
    private let restoredPatients: CoreMetrics.Counter
    /// Patients held per owned partition (``toxd_active_patients`` is their sum).
    private let patientsByPartition = Mutex<[Int: Int]>([:])

    /// The histogram buckets of the worker's timers, by series name.
    static let timerBuckets: [String: [Duration]] = {
        let fast: [Duration] = [
            .microseconds(5), .microseconds(20), .microseconds(100), .microseconds(500), .milliseconds(2),
            .milliseconds(10), .milliseconds(50),
        ]
        let slow: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(150), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        return [
            "toxd_evaluation_duration_seconds": fast,
            "toxd_batch_commit_duration_seconds": slow,
            "toxd_batch_phase_duration_seconds": fast + slow.filter { $0 > .milliseconds(50) },
            "toxd_restore_duration_seconds": slow + [.seconds(10), .seconds(30), .seconds(60)],
        ]
    }()

    /// The Prometheus backend for `registry`, with the worker's histogram buckets.
    package static func prometheusFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = timerBuckets
        return factory
    }

    /// Metrics on a registry of their own (a test, or a second worker in one process).
    package convenience init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.init(factory: Self.prometheusFactory(registry), exposing: registry)
    }

    /// Metrics through `factory`; ``exposition()`` serves `registry`, the Prometheus factory's
    /// (nil for another backend, such as MetricsTestKit's).
    package init(factory: any MetricsFactory, exposing registry: PrometheusCollectorRegistry? = nil) {
        self.factory = factory
        self.registry = registry
        evaluationDuration = CoreMetrics.Timer(label: "toxd_evaluation_duration_seconds", factory: factory)
        commitDuration = CoreMetrics.Timer(label: "toxd_batch_commit_duration_seconds", factory: factory)
        var phases: [String: CoreMetrics.Timer] = [:]
        for phase in ["outputs", "changelog"] {
            phases[phase] = CoreMetrics.Timer(
                label: "toxd_batch_phase_duration_seconds", dimensions: [("phase", phase)], factory: factory)
        }
        phaseDurations = phases
        restoreDuration = CoreMetrics.Timer(label: "toxd_restore_duration_seconds", factory: factory)
        activePatients = Meter(label: "toxd_active_patients", factory: factory)
        assignedPartitions = Meter(label: "toxd_assigned_partitions", factory: factory)
        ready = Meter(label: "toxd_ready", factory: factory)
        restoredPatients = CoreMetrics.Counter(label: "toxd_restored_patients_total", factory: factory)
        stalledPartitions = Meter(label: "toxd_stalled_partitions", factory: factory)
        ready.set(0.0)
        // Counters that alerts take `increase` of exist from the start, at 0.
        _ = counter("toxd_output_failures_total")
        _ = counter("toxd_backpressure_pauses_total")
        for reason in Self.rewindReasons { _ = counter("toxd_rewinds_total", [("reason", reason)]) }
        for reason in Self.skipReasons { _ = counter("toxd_events_skipped_total", [("reason", reason)]) }
        for kind in Self.oversizedKinds { _ = counter("toxd_oversized_records_total", [("kind", kind)]) }
    }

    private func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
    }

    private func lagMeters(topic: String, partition: Int) -> (messages: Meter, seconds: Meter) {
        let dimensions = [("topic", topic), ("partition", String(partition))]
        return (
            Meter(label: "toxd_consumer_lag", dimensions: dimensions, factory: factory),
            Meter(label: "toxd_consumer_lag_seconds", dimensions: dimensions, factory: factory)
        )
    }

    /// The patients a partition task holds now (after restore and after every change).
    package func setActivePatients(partition: Int, count: Int) {
        let total = patientsByPartition.withLock { counts in
            counts[partition] = count
            return counts.values.reduce(0, +)
        }
        activePatients.set(total)
    }

    /// A partition was handed back: its patients leave memory and its lag series disappear.
    package func partitionReleased(_ partition: Int, topics: [String]) {
        let total = patientsByPartition.withLock { counts in
            counts[partition] = nil
            return counts.values.reduce(0, +)
        }
        activePatients.set(total)
        for topic in topics {
            let meters = lagMeters(topic: topic, partition: partition)
            meters.messages.destroy()
            meters.seconds.destroy()
        }
    }

    /// Back-pressure paused fetching a partition (its inbox reached the high-water mark).
    package func backPressurePaused(partition: Int) {
        counter("toxd_backpressure_pauses_total").increment()
    }

    /// A record too large to write or to read as it is: `input` (dead-lettered with its digest),
    /// `dead-letter` or `output` (replaced by a bounded record naming the error).
    package func oversized(kind: String) {
        counter("toxd_oversized_records_total", [("kind", kind)]).increment()
    }

    package func eventsConsumed(topic: String, count: Int) {
        counter("toxd_events_consumed_total", [("topic", topic)]).increment(by: count)
    }

    package func eventsApplied(topic: String, count: Int) {
        counter("toxd_events_applied_total", [("topic", topic)]).increment(by: count)
    }

    /// An input that was not applied: `already-applied` (replay after restore) or `duplicate-event-id`.
    package func eventsSkipped(reason: String, count: Int) {
        counter("toxd_events_skipped_total", [("reason", reason)]).increment(by: count)
    }

    package func outputProduced(type: String) {
        counter("toxd_outputs_total", [("type", type)]).increment()
    }

    package func deadLettered(topic: String, reason: String, count: Int) {
        counter("toxd_dlq_total", [("topic", topic), ("reason", reason)]).increment(by: count)
    }

    package func lag(topic: String, partition: Int32, messages: Int64, seconds: Double?) {
        let meters = lagMeters(topic: topic, partition: Int(partition))
        meters.messages.set(messages)
        if let seconds { meters.seconds.set(seconds) }
    }

    /// Outputs left out because they could not be encoded (the patient's evaluation failed).
    package func outputsFailed(_ count: Int) {
        counter("toxd_output_failures_total").increment(by: count)
    }

    package func evaluated(in duration: Duration) {
        evaluationDuration.record(duration: duration)
    }

    /// A batch reached its commit; `outcome` is `committed` or `aborted`.
    package func batchFinished(in duration: Duration, outcome: String) {
        if outcome == "committed" { commitDuration.record(duration: duration) }
        counter("toxd_transactions_total", [("outcome", outcome)]).increment()
    }

    /// A partition was rewound to its committed offsets after a failed produce or commit.
    package func rewound(reason: String) {
        counter("toxd_rewinds_total", [("reason", reason)]).increment()
    }

    /// One phase of a batch (exactly-once mode): `outputs` or `changelog`.
    package func batchPhase(_ phase: String, in duration: Duration) {
        phaseDurations[phase]?.record(duration: duration)
    }

    package func restored(patients: Int, in duration: Duration) {
        restoredPatients.increment(by: patients)
        restoreDuration.record(duration: duration)
    }

    /// The Prometheus text exposition of every series (empty for a backend other than Prometheus).
    package func exposition() -> [UInt8] {
        registry?.emitToBuffer() ?? []
    }
}
