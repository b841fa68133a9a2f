import ToxWatchContract
import Foundation
import KafkaClient
import Logging
import Testing
import ToxTestSupport
import ToxWorker

/// A cluster, workers as child processes, and the Python driver, for one end-to-end test.
final class E2EHarness: @unchecked Sendable {
    // @unchecked: only the test's own task uses it.
    let cluster: EmbeddedKafkaCluster
    let group: String
    let partitions: Int
    let directory: URL
    private(set) var workers: [String: ManagedProcess] = [:]

    static let logger: Logger = {
        var logger = Logger(label: "e2e")
        logger.logLevel = .error
        return logger
    }()

    static var driver: String {
        BuildProducts.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/driver.py").path
    }

    init(partitions: Int = 12, brokers: Int = 1) throws {
        cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: Self.logger)
        for topic in ToxWatchTopics.all {
            try cluster.createTopic(
                topic.name, partitions: topic.partitions(patientPartitions: partitions), replicationFactor: 1)
        }
        self.partitions = partitions
        group = "toxd-e2e-\(UUID().uuidString.prefix(8))"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("toxwatch-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs `body` with a new harness and always tears it down, also when `body` throws.
    static func with<T>(
        partitions: Int = 12, brokers: Int = 1, _ body: (E2EHarness) async throws -> T
    ) async throws -> T {
        let harness = try E2EHarness(partitions: partitions, brokers: brokers)
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }

    /// Stops every worker (SIGKILL) and the cluster.
    func shutdown() async {
        for worker in workers.values where worker.isRunning {
            worker.send(SIGKILL)
            _ = try? await worker.waitForExit(timeout: .seconds(10))
        }
        await cluster.close()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Workers

    /// Starts a `toxd` process in the group and waits until it has joined (its first assignment).
    @discardableResult
    func startWorker(
        _ name: String, extraArguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ManagedProcess {
        let worker = ManagedProcess(
            name, executable: try BuildProducts.url("toxd"),
            arguments: ["--brokers", cluster.bootstrapServers, "--group", group, "--http-port", "0", "--log-level", "info"]
                + extraArguments,
            // A short session: the 2.0.2 mock coordinator waits out the session timeout of a member id
            // that never rejoins before it completes a rebalance, and a killed worker's partitions
            // move only when its session expires.
            environment: [
                "TOXD_PUNCTUATION_INTERVAL_SECONDS": "1", "TOXD_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "TOXD_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            ].merging(environment) { _, given in given })
        try worker.start()
        workers[name] = worker
        try await worker.waitForLog(timeout: .seconds(60)) { $0.contains("assignment changed") }
        return worker
    }

    // MARK: The independent client

    /// Runs the Python driver and returns its last stdout line as JSON.
    @discardableResult
    func driver(_ arguments: [String], timeout: Duration = .seconds(300)) async throws -> [String: Any] {
        let result = try await runCommand("python3", [Self.driver] + arguments, timeout: timeout)
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0 else {
            throw ProcessError("driver \(arguments.first ?? "") failed (\(result.status)): \(last)\n\(result.stderr.suffix(1500))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? [:]
    }

    /// Generates courses into a file; returns the file and the generated records.
    func generate(patients: Int, eventsPerPatient: Int, poison: Int, seed: Int) async throws -> (URL, [InputLine]) {
        let file = directory.appendingPathComponent("input-\(seed).jsonl")
        try await driver([
            "generate", "--patients", "\(patients)", "--events-per-patient", "\(eventsPerPatient)", "--poison", "\(poison)",
            "--seed", "\(seed)", "--out", file.path,
        ])
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(InputLine.self, from: Data($0.utf8))
        }
        return (file, lines)
    }

    func produce(_ file: URL, rate: Int? = nil) async throws {
        var arguments = ["produce", "--bootstrap", cluster.bootstrapServers, "--file", file.path]
        if let rate { arguments += ["--rate", "\(rate)"] }
        try await driver(arguments)
    }

    /// Everything currently in the topics, read from the outside.
    func collect(_ topics: [String]) async throws -> [CollectedRecord] {
        let file = directory.appendingPathComponent("collected-\(UUID().uuidString).jsonl")
        try await driver(["collect", "--bootstrap", cluster.bootstrapServers, "--topics", topics.joined(separator: ","), "--out", file.path])
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(CollectedRecord.self, from: Data($0.utf8)) }
    }

    // MARK: Progress

    /// Waits until the group has committed every input record (lag 0 on every patient topic).
    func waitUntilConsumed(timeout: Duration = .seconds(240)) async throws {
        let admin = try KafkaAdminClient(configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Self.logger)
        let inputs = ToxWatchTopics.patientInputs.flatMap { topic in (0..<partitions).map { TopicPartition(topic, $0) } }
        let deadline = ContinuousClock.now + timeout
        var remaining: Int64 = -1
        while ContinuousClock.now < deadline {
            remaining = try await lag(admin, inputs)
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        await admin.close()
        if remaining != 0 {
            throw ProcessError("the workers did not consume everything within \(timeout): \(remaining) records left")
        }
    }

    /// Waits until no output or changelog record has been written for `quiet` (time-driven rules
    /// keep firing for a moment after the last input is consumed).
    func waitUntilQuiet(_ quiet: Duration = .seconds(3), timeout: Duration = .seconds(60)) async throws {
        let admin = try KafkaAdminClient(configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Self.logger)
        let outputs = [
            ToxWatchTopics.toxicityGrades, ToxWatchTopics.anakinraRecommendations, ToxWatchTopics.shortageAlternatives,
            ToxWatchTopics.deadLetters, ToxWatchTopics.patientStateChangelog,
        ].flatMap { topic in (0..<partitions).map { TopicPartition(topic, $0) } }
        let deadline = ContinuousClock.now + timeout
        var last: [Int64] = []
        var stableSince = ContinuousClock.now
        while ContinuousClock.now < deadline {
            var ends: [Int64] = []
            for partition in outputs { ends.append(try await admin.watermarks(partition).high) }
            if ends != last {
                last = ends
                stableSince = ContinuousClock.now
            } else if ContinuousClock.now - stableSince >= quiet {
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await admin.close()
    }

    /// Records of `partitions` not yet committed by the group.
    private func lag(_ admin: KafkaAdminClient, _ partitions: [TopicPartition]) async throws -> Int64 {
        var remaining: Int64 = 0
        for entry in try await admin.committedOffsets(group: group, partitions: partitions) {
            let high = try await admin.watermarks(entry.topicPartition).high
            remaining += max(0, high - (entry.offset.isAbsolute ? entry.offset.rawValue : 0))
        }
        return remaining
    }
}

/// A generated input record.
struct InputLine: Decodable {
    var topic: String
    var key: String
    var value: String
    var poison: Bool?
}

/// A record read back by the driver.
struct CollectedRecord: Decodable {
    var topic: String
    var partition: Int
    var offset: Int64
    var key: String?
    var value: String?
    var headers: [String: String?]

    var outputID: String? { headers[OutputHeader.outputID] ?? nil }
    var kind: String? { headers[OutputHeader.kind] ?? nil }

    func json() -> [String: Any]? {
        value.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// Checks every exactly-once property of what the workers published, against the generated input.
struct OutputAudit {
    var duplicates: [String] = []
    var outputs: [CollectedRecord] = []
    var deadLetters: [CollectedRecord] = []
    /// The last changelog state of each patient.
    var states: [String: PatientStateRecord] = [:]

    init(_ records: [CollectedRecord]) throws {
        var seen: Set<String> = []
        for record in records.sorted(by: { ($0.topic, $0.partition, $0.offset) < ($1.topic, $1.partition, $1.offset) }) {
            if record.topic == ToxWatchTopics.patientStateChangelog {
                guard record.kind == "patient-state", let key = record.key, let value = record.value else { continue }
                states[key] = try PartitionProcessor.stateDecoder.decode(PatientStateRecord.self, from: Data(value.utf8))
                continue
            }
            guard let id = record.outputID else { continue }
            if !seen.insert(id).inserted { duplicates.append(id) }
            if record.topic == ToxWatchTopics.deadLetters { deadLetters.append(record) } else { outputs.append(record) }
        }
    }

    /// The last output of `kind` per patient, in log order.
    func last(_ topic: String) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for record in outputs where record.topic == topic {
            if let key = record.key, let json = record.json() { result[key] = json }
        }
        return result
    }
}
