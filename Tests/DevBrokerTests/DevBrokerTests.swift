import Dispatch
import Foundation
import KafkaClient
import Logging
import Testing
import ToxWatchContract

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion, collecting its output (read concurrently, so large output cannot block it).
func runProgram(_ arguments: [String], timeout: Double = 60) async throws -> (
    status: Int32, output: String, error: String
) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let group = DispatchGroup()
            nonisolated(unsafe) var outputData = Data()
            nonisolated(unsafe) var errorData = Data()
            group.enter()
            DispatchQueue.global().async {
                outputData = output.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                errorData = error.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
            let deadline = DispatchTime.now() + timeout
            DispatchQueue.global().asyncAfter(deadline: deadline) { if process.isRunning { process.terminate() } }
            process.waitUntilExit()
            group.wait()
            continuation.resume(
                returning: (
                    process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                    String(decoding: errorData, as: UTF8.self)
                ))
        }
    }
}

/// `toxctl dev-broker` running as a child process.
final class DevBrokerProcess: @unchecked Sendable {
    // Used by one test at a time.
    let process = Process()
    let bootstrapServers: String

    static var toxctl: URL {
        // The test bundle and the toxctl binary are built into the same products directory.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("toxctl")
    }

    init(arguments: [String]) async throws {
        let toxctl = Self.toxctl
        guard FileManager.default.isExecutableFile(atPath: toxctl.path) else {
            throw TestFailure("toxctl binary not found at \(toxctl.path)")
        }
        process.executableURL = toxctl
        process.arguments = ["dev-broker"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let reader = output.fileHandleForReading
        // The first line, read off the cooperative pool; the brief gives dev-broker 5 seconds, we wait longer
        // (a loaded CI machine) but the test never depends on speed.
        let line: String = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let chunk = reader.readData(ofLength: 1)
                    if chunk.isEmpty {
                        continuation.resume(throwing: TestFailure("dev-broker closed stdout before the first line"))
                        return
                    }
                    if chunk[chunk.startIndex] == UInt8(ascii: "\n") { break }
                    bytes.append(chunk[chunk.startIndex])
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        guard line.hasPrefix("bootstrap.servers=") else { throw TestFailure("unexpected first line: \(line)") }
        bootstrapServers = String(line.dropFirst("bootstrap.servers=".count))
    }

    var servers: [String] { bootstrapServers.split(separator: ",").map(String.init) }

    /// Sends SIGTERM and waits for a clean exit.
    func stop() async throws -> Int32 {
        process.terminate()
        let process = process
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let pythonConsumer = """
    import json, sys, time
    from confluent_kafka import Consumer, TopicPartition
    bootstrap, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-python", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, -2) for p in range(partitions)])
    seen = []
    deadline = time.time() + 60
    while len(seen) < expected and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None or m.error():
            continue
        seen.append({
            "partition": m.partition(), "offset": m.offset(),
            "key": m.key().decode() if m.key() is not None else None,
            "value": m.value().decode() if m.value() is not None else None,
            "headers": [[k, v.decode() if v is not None else None] for k, v in (m.headers() or [])],
        })
    consumer.close()
    print(json.dumps(seen))
    """

let pythonProducer = """
    import json, sys
    from confluent_kafka import Producer
    bootstrap, topic, partitions, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    failures = []
    def report(error, message):
        if error is not None:
            failures.append(str(error))
    for i in range(count):
        producer.produce(topic, key=f"py-{i}", value=json.dumps({"i": i}), headers=[("origin", b"python")],
                         partition=i % partitions, on_delivery=report)
    producer.flush(30)
    print(json.dumps({"failures": failures}))
    """

struct PythonMessage: Decodable {
    var partition: Int
    var offset: Int64
    var key: String?
    var value: String?
    var headers: [[String?]]
}

@Suite("toxctl dev-broker", .serialized)
struct DevBrokerTests {
    @Test("--help explains the command with an example")
    func helpHasAnExample() async throws {
        let result = try await runProgram([DevBrokerProcess.toxctl.path, "dev-broker", "--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("Example:"))
        #expect(result.output.contains("--partitions"))
    }

    @Test("creates every topic, and independent clients interoperate with KafkaClient through it")
    func interoperability() async throws {
        let broker = try await DevBrokerProcess(arguments: ["--brokers", "2", "--partitions", "4"])
        let logger = Logger(label: "interop") { _ in SwiftLogNoOpLogHandler() }

        // Every topic exists with the right partition count (kcat reads the metadata).
        let listing = try await runProgram(["kcat", "-L", "-J", "-b", broker.servers[0]])
        #expect(listing.status == 0, "kcat is needed: Scripts/bootstrap --for-tests")
        let metadata = try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [String: Any]
        let topics = (metadata?["topics"] as? [[String: Any]]) ?? []
        var partitionCounts: [String: Int] = [:]
        for topic in topics {
            if let name = topic["topic"] as? String { partitionCounts[name] = (topic["partitions"] as? [Any])?.count }
        }
        for topic in ToxWatchTopics.all {
            #expect(partitionCounts[topic.name] == topic.partitions(patientPartitions: 4), "\(topic.name)")
        }
        #expect(partitionCounts[ToxWatchTopics.inventory] == 3)
        #expect(ToxWatchTopics.all.count == 13)

        // KafkaClient writes; Python confluent-kafka (its own librdkafka build) reads.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.servers), logger: logger)
        let records = (0..<20).map { index in
            ProducerRecord(
                topic: ToxWatchTopics.vitals, partition: index % 4, key: Array("patient-\(index)".utf8),
                value: Array("{\"temperatureC\":\(38 + index % 3)}".utf8),
                headers: [KafkaHeader(name: "toxwatch.source", string: "swift-\(index)")])
        }
        let reports = try await producer.send(records)
        let read = try await runProgram([
            "python3", "-c", pythonConsumer, broker.bootstrapServers, ToxWatchTopics.vitals, "4", "20",
        ])
        #expect(read.status == 0, "python3 with confluent-kafka is needed: \(read.error)")
        let messages = try JSONDecoder().decode([PythonMessage].self, from: Data(read.output.utf8))
        #expect(messages.count == 20)
        let byCoordinates = Dictionary(uniqueKeysWithValues: messages.map { ("\($0.partition)@\($0.offset)", $0) })
        for (record, report) in zip(records, reports) {
            let message = try #require(byCoordinates["\(report.partition)@\(report.offset ?? -1)"])
            #expect(message.key == record.key.map { String(decoding: $0, as: UTF8.self) })
            #expect(message.value == record.value.map { String(decoding: $0, as: UTF8.self) })
            #expect(
                message.headers == [["toxwatch.source", String(decoding: record.headers[0].value!, as: UTF8.self)]])
        }

        // Python writes; KafkaClient reads (assign mode, to the end).
        let written = try await runProgram([
            "python3", "-c", pythonProducer, broker.bootstrapServers, ToxWatchTopics.labs, "4", "12",
        ])
        #expect(written.status == 0, "\(written.error)")
        #expect(written.output.contains("\"failures\": []"))
        let consumer = try KafkaConsumer(
            configuration: .init(
                bootstrapServers: broker.servers, strategy: .allPartitions(topics: [ToxWatchTopics.labs])),
            logger: logger)
        var received: [KafkaMessage] = []
        for try await event in consumer.events {
            if case .messages(let batch) = event { received += batch }
            if case .caughtUp = event { break }
        }
        await consumer.close()
        #expect(received.count == 12)
        for message in received {
            let key = String(decoding: message.key ?? [], as: UTF8.self)
            let index = try #require(Int(key.dropFirst("py-".count)))
            #expect(message.partition == index % 4)
            #expect(message.value.map { String(decoding: $0, as: UTF8.self) } == "{\"i\": \(index)}")
            #expect(message.headers == [KafkaHeader(name: "origin", string: "python")])
        }

        await producer.close()
        #expect(try await broker.stop() == 0)
    }
}
