import Foundation
import KafkaClient
import Testing

/// librdkafka 2.0.2 keeps an application pause across unassign/assign: a partition paused when it
/// was revoked would never be fetched again once it came back. The consumer resumes it on revoke
/// and on assignment.
@Suite("Pause across rebalances on the embedded cluster", .serialized, .timeLimit(.minutes(3)))
struct PauseAcrossRebalanceTests {
    /// Eager (range) revokes every partition, the paused one included, whichever member gets it next.
    @Test("a partition paused when it is revoked is fetched again when it is reassigned")
    func pausedPartitionComesBackFetching() async throws {
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topic = TestSupport.uniqueName("vitals")
        try cluster.createTopic(topic, partitions: 2, replicationFactor: 1)
        let producer = try TestSupport.producer(cluster)
        // Partition 1's records now; partition 0's only once A has paused it, so the pause always
        // takes effect before A could read them, however slow the machine.
        _ = try await producer.send(
            (0..<100).map { TestSupport.record(topic, partition: 1, key: "k\($0)", value: "v\($0)") })
        let group = TestSupport.uniqueName("toxd")
        let configuration = TestSupport.groupConsumer(cluster, group: group, topics: [topic], assignment: .range)
        let paused = TopicPartition(topic, 0)

        // A pauses partition 0 as soon as it is assigned (back-pressure), and reads partition 1.
        let a = EventReader(try KafkaConsumer(configuration: configuration, logger: logger))
        let first = try await a.collect(timeout: 60, "A is assigned both partitions") { seen in
            seen.rebalances.contains { $0.kind == .assigned && Set($0.partitions.map(\.partition)) == [0, 1] }
        }
        try a.consumer.pause([paused])
        _ = try await producer.send(
            (0..<100).map { TestSupport.record(topic, partition: 0, key: "k\($0)", value: "v\($0)") })
        let beforeRebalance = try await a.collect(timeout: 30, "A reads partition 1") { seen in
            (first.messages + seen.messages).filter { $0.partition == 1 }.count >= 100
        }
        let readOfPaused = (first.messages + beforeRebalance.messages).filter { $0.partition == 0 }.count
        #expect(readOfPaused == 0, "nothing of the paused partition is read while it is paused")

        // B joins: A loses a partition (eagerly, both, and gets one back), still never resuming.
        // B leaves as soon as it has its share: A gets everything back and must read partition 0
        // from where the group stands (nothing committed: from the beginning).
        let b = EventReader(try KafkaConsumer(configuration: configuration, logger: logger))
        let bTask = Task {
            _ = try await b.collect(timeout: 60, "B is assigned") { seen in
                seen.rebalances.contains { $0.kind == .assigned }
            }
            try await b.close()
        }
        _ = try await a.collect(timeout: 60, "A gives its partitions up when B joins") { seen in
            seen.rebalances.contains { $0.kind == .revoked }
        }
        try await bTask.value
        let after = try await a.collect(timeout: 60, "A reads partition 0 once it owns it again") { seen in
            Set(seen.messages.filter { $0.partition == 0 }.map(\.offset)).count >= 100
        }
        #expect(Set(after.messages.filter { $0.partition == 0 }.map(\.offset)) == Set(0..<100))
        try await a.close()
        await producer.close()
        await cluster.close()
    }
}
