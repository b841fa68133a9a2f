import Foundation
import KafkaClient
import Logging
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Java's `Utils.murmur2` (the Java client's default partitioner hashes keys with it), written
/// independently of librdkafka so the test checks that `toxd ingest` places a patient where a
/// Java-default producer would.
enum JavaMurmur2 {
    static func hash(_ data: [UInt8]) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(data.count)
        let blocks = data.count / 4
        for block in 0..<blocks {
            let i = block * 4
            var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch data.count % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// `Utils.toPositive(murmur2(key)) % partitions`.
    static func partition(_ key: String, partitions: Int) -> Int {
        Int(UInt32(bitPattern: hash(Array(key.utf8))) & 0x7fff_ffff) % partitions
    }
}

@Suite("Java murmur2")
struct JavaMurmur2Tests {
    /// Apache Kafka's `UtilsTest.testMurmur2` vectors.
    @Test(arguments: [
        ("21", Int32(-973_932_308)), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ])
    func kafkaVectors(_ key: String, _ expected: Int32) {
        #expect(JavaMurmur2.hash(Array(key.utf8)) == expected)
    }
}

/// `toxd ingest` as a process against the embedded cluster, fed and read by the independent Python
/// client of the end-to-end suite (`Tests/EndToEndTests/Fixtures/driver.py`).
@Suite("toxd ingest end to end", .serialized, .timeLimit(.minutes(5)))
struct IngestEndToEndTests {
    static let logger: Logger = {
        var logger = Logger(label: "ingest-e2e")
        logger.logLevel = .error
        return logger
    }()

    static let partitions = 5

    static var driver: String {
        BuildProducts.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/driver.py").path
    }

    struct RawRecord: Encodable {
        var topic: String
        var key: String
        var value: String
    }

    struct Collected: Decodable {
        var topic: String
        var partition: Int
        var offset: Int64
        var key: String?
        var value: String?
        var headers: [String: String?]

        func header(_ name: String) -> String? { headers[name] ?? nil }
    }

    /// The raw input: every HL7 and FHIR fixture keyed by its message id, a partial message and two
    /// malformed records.
    static func rawRecords() throws -> [RawRecord] {
        var records: [RawRecord] = []
        for file in IngestFixtures.hl7Files {
            let bytes = try IngestFixtures.bytes("hl7/\(file).hl7")
            let controlID = try #require(try HL7Message(parsing: HL7Framing.split(bytes).messages[0]).header.text(10))
            records.append(
                RawRecord(
                    topic: ToxWatchTopics.hl7Inbound,
                    key: controlID,
                    value: String(decoding: bytes, as: UTF8.self)
                )
            )
        }
        records.append(RawRecord(topic: ToxWatchTopics.hl7Inbound, key: "PART-1", value: IngestFixtures.partialORU))
        records.append(RawRecord(topic: ToxWatchTopics.hl7Inbound, key: "BAD-HL7", value: "THIS IS NOT HL7\r"))
        for file in IngestFixtures.fhirFiles {
            let text = String(decoding: try IngestFixtures.bytes("fhir/\(file).json"), as: UTF8.self)
            records.append(RawRecord(topic: ToxWatchTopics.fhirInbound, key: "FHIR-\(file)", value: text))
        }
        records.append(RawRecord(topic: ToxWatchTopics.fhirInbound, key: "BAD-FHIR", value: "{\"resourceType\": "))
        return records
    }

    @Test(
        "HL7 ORU/ADT/RAS/RDE and FHIR bundles become keyed cart.* events with the source message id; malformed records are dead-lettered; a second run yields identical event ids, which the worker drops"
    )
    func ingestAndReplay() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: Self.logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "toxwatch-ingest-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for topic in ToxWatchTopics.all {
            try cluster.createTopic(topic.name, partitions: topic.partitions(patientPartitions: Self.partitions))
        }
        let raw = try Self.rawRecords()
        let input = directory.appendingPathComponent("raw.jsonl")
        let encoder = JSONEncoder()
        try Data(raw.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n").utf8)
            .write(to: input)

        // First run.
        try await driver(["produce", "--bootstrap", cluster.bootstrapServers, "--file", input.path])
        try await runIngest(cluster: cluster, group: "ingest-a")
        let outputTopics = ToxWatchTopics.patientInputs + [ToxWatchTopics.deadLetters]
        let first = try await collect(outputTopics, cluster: cluster, directory: directory)

        // The expected events, from the adapters themselves.
        var expected: [String: (topic: String, key: String, value: String, sourceID: String)] = [:]
        var expectedLetters: [String: DeadLetterReason] = [:]
        for record in raw {
            let result = IngestProcessor(deadLetterPartitions: Self.partitions).process(
                KafkaMessage(
                    topic: record.topic,
                    partition: 0,
                    offset: 0,
                    key: Array(record.key.utf8),
                    value: Array(record.value.utf8)
                ),
                now: Date()
            )
            if let letter = result.deadLetter { expectedLetters[record.key] = letter.reason }
            for envelope in result.events {
                expected[envelope.event.eventId] = (
                    envelope.event.type.topic, envelope.event.key,
                    String(decoding: try envelope.encoded(), as: UTF8.self),
                    record.key
                )
            }
        }
        #expect(expected.count >= 12)

        let events = first.filter { $0.topic != ToxWatchTopics.deadLetters }
        #expect(
            events.count == expected.count,
            "every event exactly once: \(events.map { $0.header(IngestHeader.sourceMessageID) ?? "?" })"
        )
        var byEventId: [String: Collected] = [:]
        for record in events {
            let event = try EventEnvelope.decode(Data((record.value ?? "").utf8))
            let id = event.event.eventId
            byEventId[id] = record
            let want = try #require(expected[id], "unexpected event \(id)")
            #expect(record.topic == want.topic)
            #expect(record.key == want.key, "keyed by patient id")
            #expect(record.value == want.value)
            #expect(record.header(IngestHeader.sourceMessageID) == want.sourceID)
            let rawTopic = want.sourceID.hasPrefix("FHIR-") ? ToxWatchTopics.fhirInbound : ToxWatchTopics.hl7Inbound
            #expect(record.header(OutputHeader.sourceTopic) == rawTopic)
            #expect(
                record.header(IngestHeader.sourceFormat) == (rawTopic == ToxWatchTopics.fhirInbound ? "fhir" : "hl7")
            )
            #expect(
                record.partition == JavaMurmur2.partition(want.key, partitions: Self.partitions),
                "\(id): the Java default partitioner's partition for \(want.key)"
            )
        }
        // Every event of a patient, on every topic, shares one partition number.
        let partitionsByPatient = Dictionary(grouping: events, by: { $0.key ?? "" }).mapValues {
            Set($0.map(\.partition))
        }
        #expect(partitionsByPatient.values.allSatisfy { $0.count == 1 })
        #expect(partitionsByPatient.count >= 2)
        #expect(Set(events.map(\.topic)) == Set(ToxWatchTopics.patientInputs), "every patient topic received events")
        #expect(byEventId.keys.contains { $0.hasPrefix("MSG00017") })

        // Dead letters, each once: the malformed HL7 and FHIR records, the partial message, and the
        // fixtures that carry a rejected observation on purpose (their other events were published).
        let letters = try first.filter { $0.topic == ToxWatchTopics.deadLetters }.map {
            (record: $0, letter: try DeadLetterRecord.decode(Data(($0.value ?? "").utf8)))
        }
        #expect(Set(expectedLetters.keys).isSuperset(of: ["BAD-HL7", "BAD-FHIR", "PART-1"]))
        #expect(letters.count == expectedLetters.count)
        for (record, letter) in letters {
            let key = letter.originalKey.map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(letter.reason == expectedLetters[key], "\(key)")
            #expect(letter.id == "\(letter.source.topic)/\(letter.source.partition)/\(letter.source.offset)")
            #expect(record.partition == Int(letter.source.partition) % Self.partitions)
            #expect(record.header(OutputHeader.outputID) == letter.id)
            #expect(
                letter.originalValue.map { String(decoding: $0, as: UTF8.self) } == raw.first { $0.key == key }?.value
            )
            switch key {
            case "BAD-HL7":
                #expect(letter.reason == .malformedHL7)
                #expect(record.header(IngestHeader.outcome) == "failed")
            case "BAD-FHIR":
                #expect(letter.reason == .malformedJSON)
                #expect(record.header(IngestHeader.outcome) == "failed")
            default:
                #expect(record.header(IngestHeader.outcome) == "partial", "\(key)")
            }
        }

        // Second run over the same raw records (another group): identical event ids and values.
        try await runIngest(cluster: cluster, group: "ingest-b")
        let both = try await collect(outputTopics, cluster: cluster, directory: directory)
        let replayed = both.filter { $0.topic != ToxWatchTopics.deadLetters }
        #expect(replayed.count == 2 * expected.count)
        let copies = Dictionary(grouping: replayed) { record in
            (try? EventEnvelope.decode(Data((record.value ?? "").utf8)).event.eventId) ?? "?"
        }
        #expect(Set(copies.keys) == Set(expected.keys))
        for (id, records) in copies {
            #expect(records.count == 2, "\(id)")
            #expect(Set(records.map(\.value)).count == 1 && Set(records.map(\.partition)).count == 1, "\(id)")
        }
        let lettersAgain = both.filter { $0.topic == ToxWatchTopics.deadLetters }
        #expect(lettersAgain.count == 2 * letters.count, "the same dead letters again")
        #expect(
            Dictionary(grouping: lettersAgain) { $0.header(OutputHeader.outputID) ?? "" }.values.allSatisfy {
                $0.count == 2
            }
        )

        // The worker applies the first copy of each event and drops the second as a known event id;
        // nothing is dead-lettered (the keys are the patient ids).
        var skipped = 0
        var applied = 0
        for (partition, records) in Dictionary(grouping: replayed, by: \.partition) {
            var processor = PartitionProcessor(
                partition: partition,
                evaluator: PatientEvaluator(),
                lateEventWindow: .seconds(6 * 3600)
            )
            let messages = records.sorted { ($0.topic, $0.offset) < ($1.topic, $1.offset) }.map {
                KafkaMessage(
                    topic: $0.topic,
                    partition: $0.partition,
                    offset: $0.offset,
                    key: $0.key.map { Array($0.utf8) },
                    value: $0.value.map { Array($0.utf8) }
                )
            }
            let outcome = processor.process(messages, inventory: .empty, now: Date())
            #expect(outcome.deadLettered.isEmpty, "\(outcome.deadLettered)")
            skipped += outcome.skipped["duplicate-event-id"] ?? 0
            applied += outcome.applied.values.reduce(0, +)
        }
        #expect(applied == expected.count)
        #expect(skipped == expected.count)
        await cluster.close()
    }

    // MARK: Helpers

    /// Runs `toxd ingest` until the group has committed every raw record, then stops it with SIGTERM
    /// (graceful: exit status 0).
    private func runIngest(cluster: EmbeddedKafkaCluster, group: String) async throws {
        let ingest = ManagedProcess(
            "toxd-ingest",
            executable: try BuildProducts.url("toxd"),
            arguments: [
                "ingest", "--brokers", cluster.bootstrapServers, "--group", group, "--http-port", "0",
                "--max-batch-size", "4",
            ],
            environment: ["TOXD_KAFKA_SESSION_TIMEOUT_MS": "6000", "TOXD_KAFKA_HEARTBEAT_INTERVAL_MS": "1000"]
        )
        try ingest.start()
        try await ingest.waitForLog(timeout: .seconds(60)) { $0.contains("assignment changed") }
        let admin = try KafkaAdminClient(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: Self.logger
        )
        let raw = [ToxWatchTopics.hl7Inbound, ToxWatchTopics.fhirInbound].flatMap { topic in
            (0..<Self.partitions).map { TopicPartition(topic, $0) }
        }
        var remaining: Int64 = -1
        do {
            try await eventually(
                "toxd ingest commits every raw record", timeout: .seconds(90), every: .milliseconds(200)
            ) {
                remaining = 0
                for entry in try await admin.committedOffsets(group: group, partitions: raw) {
                    let high = try await admin.watermarks(entry.topicPartition).high
                    remaining += max(0, high - (entry.offset.isAbsolute ? entry.offset.rawValue : 0))
                }
                return remaining == 0
            }
        } catch is ConditionTimeout {
            // Reported below with the process's log.
        }
        await admin.close()
        ingest.send(SIGTERM)
        let status = try await ingest.waitForExit(timeout: .seconds(30))
        #expect(
            remaining == 0,
            "toxd ingest did not commit every raw record; stderr:\n\(ingest.standardError.suffix(2000))"
        )
        #expect(status == 0, "graceful shutdown; stderr:\n\(ingest.standardError.suffix(2000))")
        #expect(ingest.standardError.contains("toxd ingest stopped"))
        #expect(!ingest.standardError.contains("MRN00123"), "no patient ids in the log")
    }

    @discardableResult
    private func driver(_ arguments: [String]) async throws -> String {
        let result = try await runCommand("python3", [Self.driver] + arguments, timeout: .seconds(120))
        guard result.status == 0 else {
            throw ProcessError(
                "driver \(arguments.first ?? "") failed (\(result.status)): \(result.stdout)\n\(result.stderr.suffix(1500))"
            )
        }
        return result.stdout
    }

    private func collect(_ topics: [String], cluster: EmbeddedKafkaCluster, directory: URL) async throws -> [Collected]
    {
        let file = directory.appendingPathComponent("collected-\(UUID().uuidString).jsonl")
        try await driver([
            "collect", "--bootstrap", cluster.bootstrapServers, "--topics", topics.joined(separator: ","), "--out",
            file.path,
        ])
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Collected.self, from: Data($0.utf8)) }
    }
}
