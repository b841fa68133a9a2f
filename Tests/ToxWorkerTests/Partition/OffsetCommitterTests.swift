import Foundation
import KafkaClient
import Logging
import Testing
import ToxTestSupport

@testable import ToxWorker

/// Phase 3 of the batch protocol: offsets handed in are committed by the committer's `run()`, a
/// child task of the pipeline (no unstructured task outlives it).
@Suite("Offset committer", .serialized, .timeLimit(.minutes(2)))
struct OffsetCommitterTests {
    static let topic = "cart.vitals.v1"

    /// A group member of a 2-partition topic that has been assigned both partitions, with its
    /// events read (and rebalances acknowledged) by a child task until `body` returns.
    private func withMember(_ body: @Sendable (KafkaConsumer) async throws -> Void) async throws {
        let logger = PipelineIntegrationTests.logger
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(Self.topic, partitions: 2)
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServerList,
            strategy: .group(id: "committer-\(UUID().uuidString.prefix(8))", topics: [Self.topic]))
        configuration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await event in consumer.events {
                    if case .rebalance(let change) = event, change.kind != .assigned { change.acknowledge() }
                }
            }
            try await eventually("both partitions assigned", timeout: .seconds(60)) {
                try consumer.assignment().count == 2
            }
            try await body(consumer)
            await consumer.close()
            try await group.waitForAll()
        }
        await cluster.close()
    }

    private static func committed(_ consumer: KafkaConsumer) async throws -> [Int64] {
        try await consumer.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)]).map(\.offset.rawValue)
    }

    @Test("run() commits the latest offsets handed in; flush() returns once they are committed")
    func runCommits() async throws {
        try await withMember { consumer in
            let committer = OffsetCommitter(consumer: consumer, logger: PipelineIntegrationTests.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await committer.run() }
                await committer.submit([TopicPartitionOffset(Self.topic, 0, 5), TopicPartitionOffset(Self.topic, 1, 2)])
                await committer.submit([TopicPartitionOffset(Self.topic, 0, 9)])
                #expect(await committer.flush() == nil)
                let committed = try await Self.committed(consumer)
                #expect(committed == [9, 2])
                // The committer ends with its task: cancelling the group ends run().
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }

    @Test("after run() has ended, flush() commits on the caller's task instead of waiting for ever")
    func flushAfterRunEnded() async throws {
        try await withMember { consumer in
            let committer = OffsetCommitter(consumer: consumer, logger: PipelineIntegrationTests.logger)
            let run = Task { await committer.run() }
            run.cancel()
            await run.value
            await committer.submit([TopicPartitionOffset(Self.topic, 1, 4)])
            #expect(await committer.flush() == nil)
            let committed = try await Self.committed(consumer)
            #expect(committed[1] == 4)
        }
    }
}
