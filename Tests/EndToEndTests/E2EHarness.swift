import Foundation
import KafkaClient
import Logging
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxWorker

/// A cluster, workers as child processes, and the Python driver, for one end-to-end test.
final class E2EHarness: @unchecked Sendable {
    // @unchecked: only the test's own task uses it.
    let cluster: EmbeddedKafkaCluster
    let group: String
    let partitions: Int
    let directory: URL
    /// Reads watermarks and the group's committed offsets from the outside.
    let admin: KafkaAdminClient
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
        admin = try KafkaAdminClient(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Self.logger)
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
        await admin.close()
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
            arguments: [
                "--brokers", cluster.bootstrapServers, "--group", group, "--http-port", "0", "--log-level", "info",
            ]
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
            throw ProcessError(
                "driver \(arguments.first ?? "") failed (\(result.status)): \(last)\n\(result.stderr.suffix(1500))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? [:]
    }

    /// Generates courses into a file; returns the file and the generated records. `profile`
    /// "mixed" (the default) draws varied short courses of `eventsPerPatient` records, "crs" 36 h
    /// CRS and ICANS courses in event time (see driver.py).
    func generate(
        profile: String = "mixed", patients: Int, eventsPerPatient: Int = 20, poison: Int, seed: Int
    ) async throws -> (URL, [InputLine]) {
        let file = directory.appendingPathComponent("input-\(profile)-\(seed).jsonl")
        try await driver([
            "generate", "--profile", profile, "--patients", "\(patients)", "--events-per-patient",
            "\(eventsPerPatient)",
            "--poison", "\(poison)", "--seed", "\(seed)", "--out", file.path,
        ])
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(InputLine.self, from: Data($0.utf8))
        }
        return (file, lines)
    }

    /// Writes records as a driver input file named `name` in the harness directory.
    func write(_ lines: [InputLine], name: String) throws -> URL {
        let file = directory.appendingPathComponent(name)
        let encoder = JSONEncoder()
        let text = try lines.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func produce(_ file: URL, rate: Int? = nil) async throws {
        var arguments = ["produce", "--bootstrap", cluster.bootstrapServers, "--file", file.path]
        if let rate { arguments += ["--rate", "\(rate)"] }
        try await driver(arguments)
    }

    /// Everything currently in the topics, read from the outside.
    func collect(_ topics: [String]) async throws -> [CollectedRecord] {
        let file = directory.appendingPathComponent("collected-\(UUID().uuidString).jsonl")
        try await driver([
            "collect", "--bootstrap", cluster.bootstrapServers, "--topics", topics.joined(separator: ","), "--out",
            file.path,
        ])
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(CollectedRecord.self, from: Data($0.utf8))
        }
    }

    // MARK: Progress

    /// Waits until the group has committed every input record (lag 0 on every patient topic).
    func waitUntilConsumed(timeout: Duration = .seconds(240)) async throws {
        var remaining: Int64 = -1
        do {
            try await eventually("the group commits every input record", timeout: timeout, every: .milliseconds(250)) {
                remaining = try await inputProgress().lag
                return remaining == 0
            }
        } catch is ConditionTimeout {
            throw ProcessError("the workers did not consume everything within \(timeout): \(remaining) records left")
        }
    }

    /// Waits until the group has committed at least `count` input records (summed over the patient
    /// topics): a point in the middle of a stream that the test can observe from the outside.
    func waitUntilCommitted(atLeast count: Int64, timeout: Duration = .seconds(240)) async throws {
        try await eventually("the group commits \(count) input records", timeout: timeout, every: .milliseconds(100)) {
            try await inputProgress().committed >= count
        }
    }

    /// Input records the group has committed and those it has not yet, over every patient topic.
    func inputProgress() async throws -> (committed: Int64, lag: Int64) {
        let inputs = ToxWatchTopics.patientInputs.flatMap { topic in (0..<partitions).map { TopicPartition(topic, $0) }
        }
        var committed: Int64 = 0
        var lag: Int64 = 0
        for entry in try await admin.committedOffsets(group: group, partitions: inputs) {
            let high = try await admin.watermarks(entry.topicPartition).high
            let offset = entry.offset.isAbsolute ? entry.offset.rawValue : 0
            committed += offset
            lag += max(0, high - offset)
        }
        return (committed, lag)
    }

    /// The records in the output, dead-letter and changelog topics (their end offsets).
    func writtenRecords(_ topics: [String] = ToxdEndToEndTests.outputTopics) async throws -> [Int64] {
        var ends: [Int64] = []
        for topic in topics {
            for partition in 0..<partitions {
                ends.append(try await admin.watermarks(TopicPartition(topic, partition)).high)
            }
        }
        return ends
    }

    /// Waits until no output or changelog record has been written for `quiet` (time-driven rules
    /// keep firing for a moment after the last input is consumed); after `timeout` it goes on and
    /// says so (the audit reads again when a state is ahead of its outputs).
    func waitUntilQuiet(_ quiet: Duration = .seconds(3), timeout: Duration = .seconds(60)) async throws {
        var last: [Int64] = []
        var stableSince = ContinuousClock.now
        do {
            try await eventually("no output for \(quiet)", timeout: timeout, every: .milliseconds(200)) {
                let ends = try await writtenRecords()
                if ends != last {
                    last = ends
                    stableSince = ContinuousClock.now
                }
                return ContinuousClock.now - stableSince >= quiet
            }
        } catch let timeout as ConditionTimeout {
            print("note: \(timeout)")
        }
    }
}

/// A generated input record.
struct InputLine: Codable {
    var topic: String
    var key: String
    var value: String
    var poison: Bool?
    /// The event time, for generated streams in event time.
    var at: String?
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
        for record in records.sorted(by: { ($0.topic, $0.partition, $0.offset) < ($1.topic, $1.partition, $1.offset) })
        {
            if record.topic == ToxWatchTopics.patientStateChangelog {
                guard record.kind == "patient-state", let key = record.key, let value = record.value else { continue }
                states[key] = try PartitionProcessor.stateDecoder.decode(
                    PatientStateRecord.self, from: Data(value.utf8))
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
