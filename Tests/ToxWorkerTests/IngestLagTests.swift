import Foundation
import KafkaClient
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import ToxTestSupport
import ToxWatchContract

@testable import ToxWorker

/// `toxd ingest` exports its raw partitions' lag, so Ops/ can alert when HL7/FHIR stops flowing
/// (issue 15, item 9).
@Suite("toxd ingest lag", .serialized, .timeLimit(.minutes(2)))
struct IngestLagTests {
    private static func lagSamples(_ metrics: IngestMetrics) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("toxd_ingest_consumer_lag{") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test("a released raw partition's lag series disappears; the others stay")
    func releasedPartitionLeaves() {
        let metrics = IngestMetrics()
        metrics.lag(TopicPartition(ToxWatchTopics.hl7Inbound, 0), messages: 12)
        metrics.lag(TopicPartition(ToxWatchTopics.hl7Inbound, 1), messages: 3)
        #expect(Self.lagSamples(metrics).count == 2)
        metrics.partitionReleased(TopicPartition(ToxWatchTopics.hl7Inbound, 0))
        let left = Self.lagSamples(metrics)
        #expect(left.count == 1)
        #expect(left.keys.allSatisfy { $0.contains("partition=\"1\"") })
        #expect(left.values.first == 3)
    }

    @Test("every assigned raw partition has a lag series, and it reaches 0 once the backlog is ingested")
    func lagFollowsTheBacklog() async throws {
        let cluster = try PipelineIntegrationTests.cluster(partitions: 2)
        var configuration = IngestConfiguration(brokers: cluster.bootstrapServers)
        configuration.group = "ingest-lag-\(UUID().uuidString.prefix(8))"
        configuration.maxBatchSize = 5
        let metrics = IngestMetrics()
        let pipeline = IngestPipeline(
            configuration: configuration, metrics: metrics, logger: PipelineIntegrationTests.logger)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: PipelineIntegrationTests.logger
        )
        // Records that are not HL7: each becomes a dead letter, and its raw offset is committed.
        let backlog = (0..<40).map {
            ProducerRecord(
                topic: ToxWatchTopics.hl7Inbound, key: Array("raw-\($0)".utf8), value: Array("not hl7 \($0)".utf8))
        }
        _ = try await producer.send(backlog)
        let hl7Partitions = 2

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                func hl7Lag() -> [String: Double] {
                    Self.lagSamples(metrics).filter { $0.key.contains("topic=\"\(ToxWatchTopics.hl7Inbound)\"") }
                }
                try await eventually(
                    "one lag series per assigned raw partition, each 0: \(hl7Lag())", timeout: .seconds(60),
                    every: .milliseconds(100)
                ) {
                    let samples = hl7Lag()
                    return samples.count == hl7Partitions && samples.values.allSatisfy { $0 == 0 }
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await producer.close()
        await cluster.close()
    }
}
