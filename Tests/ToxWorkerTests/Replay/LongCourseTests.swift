import Foundation
import KafkaClient
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The changelog stays bounded whatever a course's length: a 30-day stay with vitals every minute
/// goes through the worker, and its state comes back whole from bounded fragments.
@Suite("Long courses", .serialized, .timeLimit(.minutes(10)))
struct LongCourseTests {
    static let logger = PipelineIntegrationTests.logger

    @Test("a 30-day course at one vitals record per minute is written in bounded records and restored")
    func thirtyDayCourse() async throws {
        let cluster = try PipelineIntegrationTests.cluster(partitions: 1)
        var settings = PipelineIntegrationTests.configuration(cluster)
        // The mock keeps about 5 MiB per partition: compressed batches keep the course within it.
        settings.kafka = ["compression.type": "lz4"]
        // Large batches: what costs here is per batch (evaluating and encoding a 30-day course).
        settings.maxBatchSize = 20_000
        settings.partitionBufferSize = 50_000
        let configuration = settings
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        producerConfiguration.additionalConfig = ["compression.type": "lz4"]
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: Self.logger)
        let start = Date(timeIntervalSince1970: 1_772_000_000)
        let minutes = 30 * 24 * 60
        var records = [
            try PipelineIntegrationTests.record(
                .patient(
                    PatientEvent(
                        eventId: "LONG-adm", patientId: "LONG", occurredAt: start, ageYears: 10, weightKg: 30,
                        allergies: [],
                        infusion: Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: start))))
        ]
        for minute in 1...minutes {
            records.append(
                try PipelineIntegrationTests.record(
                    .vitals(
                        VitalsEvent(
                            eventId: "LONG-v\(minute)", patientId: "LONG",
                            occurredAt: start.addingTimeInterval(Double(minute) * 60),
                            temperatureC: 36.8 + Double(minute % 7) / 10, heartRate: Double(80 + minute % 20)))))
        }
        for chunk in stride(from: 0, to: records.count, by: 5000) {
            _ = try await producer.send(Array(records[chunk..<min(records.count, chunk + 5000)]))
        }

        // The worker applies the whole course.
        try await Self.runWorker(configuration, cluster: cluster) {
            try await RebalanceServingTests.waitUntilServed(
                cluster, group: configuration.group, patients: ["LONG"], timeout: .seconds(360), partitions: 1)
        }
        let changelog = try await PipelineIntegrationTests.readAll(cluster, topic: ToxWatchTopics.patientStateChangelog)
        let largest = changelog.map { $0.value?.count ?? 0 }.max() ?? 0
        #expect(largest <= ChangelogFragments.maxRecordBytes, "largest changelog record: \(largest) bytes")
        let kinds = Set(
            changelog.compactMap { $0.header(OutputHeader.kind)?.value.map { String(decoding: $0, as: UTF8.self) } })
        #expect(kinds.isSuperset(of: [ChangelogFragments.fragmentKind, ChangelogFragments.manifestKind]))

        // Restored from the changelog as a worker restores it: every event is back.
        var fragments = ChangelogFragments()
        var processor = PartitionProcessor(
            partition: 0, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600))
        for message in changelog {
            guard let record = try fragments.restore(message) else { continue }
            _ = try processor.restore(
                key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp?.date)
        }
        let state = try #require(processor.patients["LONG"])
        #expect(state.events.count == minutes + 1)
        #expect(state.events.last?.eventId == "LONG-v\(minutes)")
        #expect(state.appliedOffsets[ToxWatchTopics.vitals] == Int64(minutes - 1))

        // A second worker restores it and goes on: one more reading is applied on top of it.
        _ = try await producer.send([
            try PipelineIntegrationTests.record(
                .vitals(
                    VitalsEvent(
                        eventId: "LONG-fever", patientId: "LONG",
                        occurredAt: start.addingTimeInterval(Double(minutes + 1) * 60),
                        temperatureC: 39.4, heartRate: 120)))
        ])
        try await Self.runWorker(configuration, cluster: cluster) {
            try await RebalanceServingTests.waitUntilServed(
                cluster, group: configuration.group, patients: ["LONG"], timeout: .seconds(240), partitions: 1)
        }
        var again = ChangelogFragments()
        var restored = PartitionProcessor(
            partition: 0, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600))
        for message in try await PipelineIntegrationTests.readAll(cluster, topic: ToxWatchTopics.patientStateChangelog)
        {
            guard let record = try again.restore(message) else { continue }
            _ = try restored.restore(
                key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp?.date)
        }
        #expect(restored.patients["LONG"]?.events.count == minutes + 2)
        #expect(restored.patients["LONG"]?.events.last?.eventId == "LONG-fever")
        await producer.close()
        await cluster.close()
    }

    static func runWorker(
        _ configuration: WorkerConfiguration, cluster: EmbeddedKafkaCluster,
        until done: @escaping @Sendable () async throws -> Void
    ) async throws {
        let pipeline = WorkerPipeline(
            configuration: configuration, evaluator: PatientEvaluator(), metrics: WorkerMetrics(), logger: logger)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                try await done()
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}
