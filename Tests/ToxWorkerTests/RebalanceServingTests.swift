import Foundation
import KafkaClient
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Every partition is served after every rebalance: a worker whose partitions are revoked while
/// back-pressure has paused them, or while they restore, serves them again when they come back.
/// A second group member (a plain consumer that processes nothing) joins and leaves.
@Suite("Partitions served across rebalances", .serialized, .timeLimit(.minutes(4)))
struct RebalanceServingTests {
    static let logger = PipelineIntegrationTests.logger
    static let partitions = 2

    static func configuration(_ cluster: EmbeddedKafkaCluster) -> WorkerConfiguration {
        var configuration = PipelineIntegrationTests.configuration(cluster)
        configuration.partitionBufferSize = 100
        configuration.maxBatchSize = 10
        // Short sessions: the mock waits out a departed member's session before it rebalances.
        configuration.kafka = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        return configuration
    }

    /// `patients` admissions, each followed by `vitals` readings.
    static func backlog(patients: Int, vitals: Int, prefix: String) throws -> [ProducerRecord] {
        let infused = Date(timeIntervalSince1970: 1_772_000_000)
        var records: [ProducerRecord] = []
        for index in 0..<patients {
            let id = "\(prefix)\(index)"
            records.append(
                try PipelineIntegrationTests.record(
                    .patient(
                        PatientEvent(
                            eventId: "\(id)-adm", patientId: id, occurredAt: infused, ageYears: 10, weightKg: 30,
                            allergies: [],
                            infusion: Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: infused)))))
            for minute in 0..<vitals {
                records.append(
                    try PipelineIntegrationTests.record(
                        .vitals(
                            VitalsEvent(
                                eventId: "\(id)-v\(minute)", patientId: id,
                                occurredAt: infused.addingTimeInterval(3600 + Double(minute) * 60), temperatureC: 37.0,
                                heartRate: 90))))
            }
        }
        return records
    }

    /// A group member that takes its share and processes nothing (commits nothing), then leaves.
    static func peerJoinsAndLeaves(_ cluster: EmbeddedKafkaCluster, group: String) async throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServerList,
            strategy: .group(id: group, topics: ToxWatchTopics.patientInputs))
        configuration.assignmentStrategy = .range
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .milliseconds(500)
        let peer = try KafkaConsumer(configuration: configuration, logger: logger)
        var assigned = false
        for try await event in peer.events {
            guard case .rebalance(let change) = event else { continue }
            change.acknowledge()
            if change.kind == .assigned, !change.partitions.isEmpty, !assigned {
                assigned = true
                peer.shutdown()
            }
        }
        await peer.close()
    }

    /// Waits until the group has committed every input record, then until every patient has grades.
    static func waitUntilServed(
        _ cluster: EmbeddedKafkaCluster, group: String, patients: Set<String>, timeout: Duration = .seconds(120),
        partitions: Int = partitions
    ) async throws {
        let admin = try KafkaAdminClient(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: logger)
        let inputs = ToxWatchTopics.patientInputs.flatMap { topic in (0..<partitions).map { TopicPartition(topic, $0) }
        }
        var remaining: Int64 = -1
        do {
            try await eventually(
                "every input record committed (\(remaining) left)", timeout: timeout, every: .milliseconds(200)
            ) {
                remaining = 0
                for entry in try await admin.committedOffsets(group: group, partitions: inputs) {
                    let high = try await admin.watermarks(entry.topicPartition).high
                    remaining += max(0, high - (entry.offset.isAbsolute ? entry.offset.rawValue : 0))
                }
                return remaining == 0
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let graded = try await PipelineIntegrationTests.readUntil(
            cluster, topic: ToxWatchTopics.toxicityGrades, timeout: .seconds(30)
        ) {
            Set($0.compactMap(\.key).map { String(decoding: $0, as: UTF8.self) }).isSuperset(of: patients)
        }
        let served = Set(graded.compactMap(\.key).map { String(decoding: $0, as: UTF8.self) })
        #expect(
            served.isSuperset(of: patients),
            "patients without grades: \(patients.subtracting(served).sorted().prefix(5))")
    }

    static func counter(_ name: String, in metrics: WorkerMetrics) -> Double {
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix(name) }.compactMap {
            $0.split(separator: " ").last.flatMap { Double($0) }
        }
        .reduce(0, +)
    }

    @Test("assign → pause under back-pressure → revoke → reassign: the paused partitions are consumed to the end")
    func pausedThenRevoked() async throws {
        let cluster = try PipelineIntegrationTests.cluster(partitions: Self.partitions)
        let configuration = Self.configuration(cluster)
        let metrics = WorkerMetrics()
        let pipeline = WorkerPipeline(
            configuration: configuration, evaluator: PatientEvaluator(), metrics: metrics, logger: Self.logger)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Self.logger)
        let records = try Self.backlog(patients: 40, vitals: 40, prefix: "BP")
        _ = try await producer.send(records)
        let patients = Set((0..<40).map { "BP\($0)" })

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                // The backlog fills the inboxes (100 records) far faster than batches of 10 drain them.
                try await eventually(
                    "back-pressure pauses a partition", timeout: .seconds(60), every: .milliseconds(20)
                ) { Self.counter("toxd_backpressure_pauses_total", in: metrics) >= 1 }
                try await Self.peerJoinsAndLeaves(cluster, group: configuration.group)
                try await Self.waitUntilServed(cluster, group: configuration.group, patients: patients)
                #expect(pipeline.assignedPartitions == [0, 1])
                try await eventuallyReady(pipeline)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await producer.close()
        await cluster.close()
    }

    @Test("revoke during restore: the partitions restored again are served")
    func revokedWhileRestoring() async throws {
        let cluster = try PipelineIntegrationTests.cluster(partitions: Self.partitions)
        let configuration = Self.configuration(cluster)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Self.logger)
        // A first worker builds a changelog, so that the next one has something to restore.
        let first = try Self.backlog(patients: 30, vitals: 5, prefix: "RS")
        _ = try await producer.send(first)
        let firstPipeline = WorkerPipeline(
            configuration: configuration, evaluator: PatientEvaluator(), metrics: WorkerMetrics(), logger: Self.logger)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await firstPipeline.run() }
                try await Self.waitUntilServed(
                    cluster, group: configuration.group, patients: Set((0..<30).map { "RS\($0)" }))
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let second = try Self.backlog(patients: 30, vitals: 5, prefix: "RT")
        _ = try await producer.send(second)
        let pipeline = WorkerPipeline(
            configuration: configuration, evaluator: PatientEvaluator(), metrics: WorkerMetrics(), logger: Self.logger)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                // The peer joins as soon as a partition is restoring.
                try await eventually("a partition is restoring", timeout: .seconds(60), every: .milliseconds(2)) {
                    pipeline.health().partitions.contains { $0.state == .restoring }
                }
                try await Self.peerJoinsAndLeaves(cluster, group: configuration.group)
                try await Self.waitUntilServed(
                    cluster, group: configuration.group, patients: Set((0..<30).map { "RT\($0)" }))
                try await eventuallyReady(pipeline)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await producer.close()
        await cluster.close()
    }

    func eventuallyReady(_ pipeline: WorkerPipeline) async throws {
        try await eventually("the pipeline is ready: \(pipeline.health())", timeout: .seconds(30)) { pipeline.isReady }
    }
}
