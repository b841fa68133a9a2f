import Testing

@testable import ToxWorker

/// The series Ops/ alerts read must say what the worker holds now (issue 15, items 5–8).
@Suite("Worker metrics")
struct WorkerMetricsTests {
    /// The exposition's sample lines of one series (its name followed by labels or a space).
    private static func samples(_ name: String, in metrics: WorkerMetrics) -> [Substring] {
        String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }

    private static func value(_ name: String, in metrics: WorkerMetrics) -> Double? {
        samples(name, in: metrics).first.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    @Test("active patients are the sum over owned partitions: new patients count, a revoked partition's leave")
    func activePatientsFollowOwnership() {
        let metrics = WorkerMetrics()
        metrics.setActivePatients(partition: 0, count: 3)
        metrics.setActivePatients(partition: 1, count: 1)
        #expect(Self.value("toxd_active_patients", in: metrics) == 4)
        metrics.setActivePatients(partition: 1, count: 2)  // a new patient on partition 1
        #expect(Self.value("toxd_active_patients", in: metrics) == 5)
        metrics.partitionReleased(0, topics: ["cart.vitals.v1"])
        #expect(Self.value("toxd_active_patients", in: metrics) == 2)
        metrics.setActivePatients(partition: 0, count: 3)  // reassigned and restored: counted once
        #expect(Self.value("toxd_active_patients", in: metrics) == 5)
    }

    @Test("a revoked partition's lag series disappear; the other partitions' stay")
    func lagSeriesLeaveOnRevoke() {
        let metrics = WorkerMetrics()
        for partition: Int32 in [0, 1] {
            metrics.lag(topic: "cart.vitals.v1", partition: partition, messages: 7, seconds: 2.5)
        }
        #expect(Self.samples("toxd_consumer_lag", in: metrics).count == 2)
        #expect(Self.samples("toxd_consumer_lag_seconds", in: metrics).count == 2)
        metrics.partitionReleased(1, topics: ["cart.vitals.v1"])
        let lag = Self.samples("toxd_consumer_lag", in: metrics)
        #expect(lag.count == 1)
        #expect(lag.allSatisfy { $0.contains("partition=\"0\"") })
        #expect(Self.samples("toxd_consumer_lag_seconds", in: metrics).count == 1)
    }

    @Test("alerted counters exist at 0 before their first increment, and readiness starts at 0")
    func alertedCountersStartAtZero() {
        let metrics = WorkerMetrics()
        for name in [
            "toxd_output_failures_total", "toxd_rewinds_total", "toxd_events_skipped_total",
            "toxd_oversized_records_total",
        ] {
            let samples = Self.samples(name, in: metrics)
            #expect(!samples.isEmpty, "\(name) is missing before its first increment")
            #expect(samples.allSatisfy { $0.hasSuffix(" 0") }, "\(name): \(samples)")
        }
        #expect(Self.value("toxd_ready", in: metrics) == 0)
    }
}
