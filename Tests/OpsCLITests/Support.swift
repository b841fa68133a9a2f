import Foundation
import KafkaClient
import Logging
import ToxTestSupport
import ToxWatchContract

/// Shared helpers: embedded clusters with the ToxWatch topics, the `toxctl` binary, Python.
enum Ops {
    static let logger = Logger(label: "ops-cli-tests") { _ in SwiftLogNoOpLogHandler() }

    /// An in-process mock cluster with the ToxWatch topics (`partitions` each, the inventory at most 3),
    /// minus `skipping`, with `overrides` partition counts.
    ///
    /// Starting a mock cluster while another one is being destroyed takes seconds, so most tests use
    /// ``shared`` with topics and groups of their own; the few that need other topic layouts make one.
    static func cluster(
        partitions: Int = 3, skipping: Set<String> = [], overrides: [String: Int] = [:], extra: [String: Int] = [:]
    ) throws -> EmbeddedKafkaCluster {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        for topic in ToxWatchTopics.all where !skipping.contains(topic.name) {
            try cluster.createTopic(
                topic.name, partitions: overrides[topic.name] ?? topic.partitions(patientPartitions: partitions))
        }
        for (name, count) in extra { try cluster.createTopic(name, partitions: count) }
        return cluster
    }

    /// One cluster with every ToxWatch topic (3 partitions each) for the whole test run.
    static let shared: EmbeddedKafkaCluster = {
        do {
            return try cluster()
        } catch {
            fatalError("cannot start the embedded cluster: \(error)")
        }
    }()

    /// A name no other test uses.
    static func unique(_ prefix: String) -> String {
        "\(prefix).\(UInt32.random(in: 0...UInt32.max))"
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var elapsed: Duration
    }

    /// Runs `toxctl` with these arguments (and extra environment), to completion.
    static func toxctl(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60))
        async throws -> Result
    {
        let process = ManagedProcess(
            "toxctl", executable: try BuildProducts.url("toxctl"), arguments: arguments,
            environment: ["NO_COLOR": "", "FORCE_COLOR": "", "TOXCTL_BROKERS": ""].merging(environment) { _, new in new
            })
        let start = ContinuousClock.now
        try process.start()
        let status = try await process.waitForExit(timeout: timeout)
        return Result(
            status: status, stdout: process.standardOutput, stderr: process.standardError,
            elapsed: ContinuousClock.now - start)
    }

    /// Runs a Python script (confluent-kafka installed by `Scripts/bootstrap --for-tests`).
    static func python(_ script: String, _ arguments: [String]) async throws -> Result {
        let start = ContinuousClock.now
        let result = try await runCommand("python3", ["-c", script] + arguments, timeout: .seconds(60))
        return Result(
            status: result.status, stdout: result.stdout, stderr: result.stderr, elapsed: ContinuousClock.now - start)
    }

    static func json(_ line: some StringProtocol) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ProcessError("not a JSON object: \(line)")
        }
        return object
    }

    /// Every message of some topics, read in-process.
    static func readAll(_ topics: [String], cluster: EmbeddedKafkaCluster) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: .init(
                bootstrapServers: cluster.bootstrapServerList, strategy: .allPartitions(topics: topics)),
            logger: logger)
        var messages: [KafkaMessage] = []
        for try await event in consumer.events {
            if case .messages(let batch) = event { messages += batch }
            if case .caughtUp = event { break }
        }
        await consumer.close()
        return messages
    }
}
