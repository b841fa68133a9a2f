import Foundation
import KafkaClient
import Testing
import ToxTestSupport

/// Why consumer lag stands still for a while when a second worker joins on the development broker
/// (Docs/worker.md, "Lag that stands still while a worker joins"): librdkafka 2.0.2's mock
/// coordinator completes a rebalance only after waiting out a member's session timeout, so a join
/// takes about `session.timeout.ms` however fast the members are.
@Suite("Mock coordinator rebalance timing")
struct MockRebalanceTimingTests {
    @Test(
        "a second member is assigned its share only after about one session timeout",
        // Sessions long enough that a member's heartbeats keep it in the group on a loaded machine
        // (with 6 s, a CI run under the whole suite's load saw the first member never settle).
        arguments: [10, 20])
    func joinWaitsOutTheSessionTimeout(sessionSeconds: Int) async throws {
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topic = TestSupport.uniqueName("vitals")
        let partitions = 4
        try cluster.createTopic(topic, partitions: partitions)
        var configuration = TestSupport.groupConsumer(cluster, group: TestSupport.uniqueName("toxd"), topics: [topic])
        configuration.sessionTimeout = .seconds(sessionSeconds)
        let all = Set((0..<partitions).map { TopicPartition(topic, $0) })
        let ledger = Ledger()

        let first = try KafkaConsumer(configuration: configuration, logger: logger)
        let firstTask = Task { try await runMember("A", first, ledger) }
        try await eventually("A owns every partition", timeout: .seconds(sessionSeconds * 4 + 120)) {
            Set(try first.assignment()) == all
        }

        let joined = ContinuousClock.now
        let second = try KafkaConsumer(configuration: configuration, logger: logger)
        let secondTask = Task { try await runMember("B", second, ledger) }
        try await eventually("A and B split the partitions", timeout: .seconds(sessionSeconds * 4 + 120)) {
            let a = Set(try first.assignment())
            let b = Set(try second.assignment())
            return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b) == all
        }
        let split = ContinuousClock.now - joined
        print("session.timeout \(sessionSeconds) s: join → both members assigned in \(split)")
        // The lower bound is the mock's: it waits out a session (less its 1 s timer granularity)
        // before it completes the join, whatever the speed of the machine.
        #expect(split >= .seconds(sessionSeconds - 1), "split after \(split)")

        await second.close()
        try await secondTask.value
        await first.close()
        try await firstTask.value
        await cluster.close()
    }
}
