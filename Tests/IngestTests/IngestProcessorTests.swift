import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import KafkaClient
@testable import ToxWorker

/// The shared HL7 and FHIR fixtures this target feeds to `toxd ingest`.
enum IngestFixtures {
    static func bytes(_ path: String) throws -> [UInt8] { try SharedFixtures.bytes(path) }

    static let hl7Files = ["oru-r01-vitals-epic", "oru-r01-labs", "oru-r01-neuro", "adt-a01", "ras-o17", "rde-o11"]
    static let fhirFiles = ["bundle-vitals", "bundle-patient", "bundle-medications"]

    /// An ORU^R01 whose second observation has a unit nobody accepts (a partial message).
    static let partialORU = [
        "MSH|^~\\&|EPIC|CNH|TOXWATCH|CNH|20260302071500-0500||ORU^R01|PART-1|P|2.5.1",
        "PID|1||MRN00123^^^CNH^MR",
        "OBR|1|||85353-1^Vital signs panel^LN|||20260302060000-0500",
        "OBX|1|NM|8310-5^Body temperature^LN||38.6|Cel|||||F",
        "OBX|2|NM|2276-4^Ferritin^LN||900|furlongs|||||F",
    ].joined(separator: "\r")

    /// An order message ToxWatch does not map (skipped, never dead-lettered).
    static let unmappedORM = [
        "MSH|^~\\&|EPIC|CNH|TOXWATCH|CNH|20260302071500-0500||ORM^O01|ORM-1|P|2.5.1",
        "PID|1||MRN00123^^^CNH^MR",
    ].joined(separator: "\r")
}

@Suite("Ingest processor")
struct IngestProcessorTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)
    let processor = IngestProcessor(deadLetterPartitions: 4)

    static func record(
        _ topic: String,
        _ value: [UInt8]?,
        partition: Int = 2,
        offset: Int64 = 7,
        key: String? = nil
    ) -> KafkaMessage {
        KafkaMessage(
            topic: topic,
            partition: partition,
            offset: offset,
            key: key.map { Array($0.utf8) },
            value: value,
            headers: [KafkaHeader(name: "engine-trace", string: "t-1")],
            timestamp: KafkaTimestamp(kind: .createTime, millisecondsSinceEpoch: 1_772_431_200_000)
        )
    }

    static func header(_ name: String, _ record: ProducerRecord) -> String? {
        record.headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(
        "each HL7 fixture becomes the adapter's events, keyed by patient id, on their cart.* topics, with MSH-10 in a header",
        arguments: IngestFixtures.hl7Files
    )
    func hl7Fixture(_ file: String) throws {
        let bytes = try IngestFixtures.bytes("hl7/\(file).hl7")
        let expected = try HL7Adapter.decode(message: HL7Framing.split(bytes).messages[0])
        let controlID = try #require(try HL7Message(parsing: HL7Framing.split(bytes).messages[0]).header.text(10))
        let result = processor.process(Self.record(ToxWatchTopics.hl7Inbound, bytes, key: controlID), now: Self.now)

        // Some fixtures carry observations the adapter rejects on purpose (a unit in ukat/L, a dose in
        // mL): their records are partial, with one dead letter after the events.
        #expect(result.outcome == (expected.rejected.isEmpty ? .decoded : .partial))
        #expect((result.deadLetter == nil) == expected.rejected.isEmpty)
        #expect(result.deadLetter?.reason == expected.rejected.first?.reason)
        #expect(!result.events.isEmpty)
        #expect(result.events == expected.events)
        #expect(result.records.count == expected.events.count + (expected.rejected.isEmpty ? 0 : 1))
        for (record, envelope) in zip(result.records, expected.events) {
            #expect(record.topic == envelope.event.type.topic)
            #expect(record.key == Array(envelope.event.key.utf8))
            #expect(record.partitioning == .byKey, "the producer's murmur2 partitioner places patient events")
            #expect(try EventEnvelope.decode(Data(record.value ?? [])) == envelope)
            #expect(Self.header(IngestHeader.sourceMessageID, record) == controlID)
            #expect(Self.header(IngestHeader.sourceFormat, record) == "hl7")
            #expect(Self.header(OutputHeader.sourceTopic, record) == ToxWatchTopics.hl7Inbound)
            #expect(Self.header(OutputHeader.sourcePartition, record) == "2")
            #expect(Self.header(OutputHeader.sourceOffset, record) == "7")
            // eventId = MSH-10, or MSH-10#n when the message yields several events.
            let id = envelope.event.eventId
            #expect(id == controlID || id.hasPrefix(controlID + "#"))
        }
    }

    @Test(
        "each FHIR bundle becomes the adapter's events; without a Bundle id the record key is the source message id",
        arguments: IngestFixtures.fhirFiles
    )
    func fhirFixture(_ file: String) throws {
        let bytes = try IngestFixtures.bytes("fhir/\(file).json")
        let expected = try FHIRAdapter.decode(Data(bytes))
        let result = processor.process(
            Self.record(ToxWatchTopics.fhirInbound, bytes, key: "engine-\(file)"),
            now: Self.now
        )
        #expect(result.outcome == .decoded)
        #expect(result.events == expected.events)
        #expect(!result.events.isEmpty)
        for record in result.records {
            #expect(Self.header(IngestHeader.sourceMessageID, record) == "engine-\(file)")
            #expect(Self.header(IngestHeader.sourceFormat, record) == "fhir")
            let event = try EventEnvelope.decode(Data(record.value ?? []))
            #expect(record.key == Array(event.event.key.utf8))
        }
    }

    @Test("a FHIR Bundle's identifier, else its id, is the source message id")
    func fhirSourceID() throws {
        var bundle = try #require(
            try JSONSerialization.jsonObject(with: Data(IngestFixtures.bytes("fhir/bundle-vitals.json")))
                as? [String: Any]
        )
        bundle["id"] = "b-17"
        let withId = processor.process(
            Self.record(
                ToxWatchTopics.fhirInbound,
                Array(try JSONSerialization.data(withJSONObject: bundle)),
                key: "k"
            ),
            now: Self.now
        )
        #expect(withId.records.allSatisfy { Self.header(IngestHeader.sourceMessageID, $0) == "Bundle/b-17" })
        bundle["identifier"] = ["system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3a"]
        let withIdentifier = processor.process(
            Self.record(
                ToxWatchTopics.fhirInbound,
                Array(try JSONSerialization.data(withJSONObject: bundle)),
                key: "k"
            ),
            now: Self.now
        )
        #expect(withIdentifier.records.allSatisfy { Self.header(IngestHeader.sourceMessageID, $0) == "urn:uuid:0c3a" })
        #expect(!withIdentifier.records.isEmpty)
    }

    @Test(
        "what cannot be decoded becomes one dead letter: reason, original bytes, raw coordinates as id, dead-letter partition = raw partition mod count",
        arguments: [
            (ToxWatchTopics.hl7Inbound, Array("THIS IS NOT HL7".utf8), DeadLetterReason.malformedHL7),
            (
                ToxWatchTopics.hl7Inbound,
                Array("MSH|^~\\&|EPIC|CNH|||20260302071500-0500||ORU^R01||P|2.5.1\rPID|1||MRN1".utf8), .missingField
            ),
            (ToxWatchTopics.hl7Inbound, [], .malformedHL7),
            (ToxWatchTopics.fhirInbound, Array("{not json".utf8), .malformedJSON),
            (
                ToxWatchTopics.fhirInbound,
                Array(
                    #"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"subject":{"reference":"Patient/P1"},"effectiveDateTime":"2026-03-02T06:00:00Z","valueQuantity":{"value":38.4,"code":"furlongs"}}"#
                        .utf8
                ), .unknownUnit
            ),
        ]
    )
    func deadLetter(_ topic: String, _ value: [UInt8], _ reason: DeadLetterReason) throws {
        let message = Self.record(topic, value, partition: 6, offset: 41, key: "engine-key")
        let result = processor.process(message, now: Self.now)
        #expect(result.outcome == .failed)
        #expect(result.events.isEmpty)
        let letter = try #require(result.deadLetter)
        #expect(letter.reason == reason)
        #expect(letter.id == "\(topic)/6/41")
        #expect(letter.originalValue == Data(value))
        #expect(letter.originalKey == Data("engine-key".utf8))
        #expect(letter.originalHeaders == [.init(key: "engine-trace", value: Data("t-1".utf8))])
        #expect(letter.deadLetteredAt == Self.now)
        let record = try #require(result.records.last)
        #expect(result.records.count == 1)
        #expect(record.topic == ToxWatchTopics.deadLetters)
        #expect(record.partitioning == .partition(6 % 4))
        #expect(try DeadLetterRecord.decode(Data(record.value ?? [])) == letter)
        #expect(Self.header(IngestHeader.outcome, record) == "failed")
        #expect(Self.header(OutputHeader.outputID, record) == letter.id)
    }

    @Test("a message with a rejected observation publishes what decoded and dead-letters the whole record as partial")
    func partial() throws {
        let result = processor.process(
            Self.record(ToxWatchTopics.hl7Inbound, Array(IngestFixtures.partialORU.utf8), key: "PART-1"),
            now: Self.now
        )
        #expect(result.outcome == .partial)
        #expect(result.events.map(\.event.eventId) == ["PART-1"])
        let letter = try #require(result.deadLetter)
        #expect(letter.reason == .unknownUnit)
        #expect(letter.error.field?.contains("OBX-6") == true)
        #expect(letter.error.message.contains("1 event(s) of this record were published"))
        #expect(result.records.map(\.topic) == [ToxWatchTopics.vitals, ToxWatchTopics.deadLetters])
        #expect(Self.header(IngestHeader.outcome, result.records[1]) == "partial")
    }

    @Test("a message type ToxWatch does not map is skipped: nothing published, nothing dead-lettered")
    func skipped() {
        let result = processor.process(
            Self.record(ToxWatchTopics.hl7Inbound, Array(IngestFixtures.unmappedORM.utf8)),
            now: Self.now
        )
        #expect(result.outcome == .skipped)
        #expect(result.records.isEmpty)
        #expect(result.skipped.count == 1)
    }

    @Test("a batch: records in input order, offsets to commit per raw partition, counts by outcome, topic and reason")
    func batch() throws {
        let oru = try IngestFixtures.bytes("hl7/oru-r01-vitals-epic.hl7")
        let bundle = try IngestFixtures.bytes("fhir/bundle-medications.json")
        let batch = [
            Self.record(ToxWatchTopics.hl7Inbound, oru, partition: 0, offset: 10),
            Self.record(ToxWatchTopics.hl7Inbound, Array("garbage".utf8), partition: 0, offset: 11),
            Self.record(ToxWatchTopics.hl7Inbound, Array(IngestFixtures.unmappedORM.utf8), partition: 1, offset: 3),
            Self.record(ToxWatchTopics.fhirInbound, bundle, partition: 1, offset: 0),
        ]
        let outcome = processor.process(batch, now: Self.now)
        #expect(
            outcome.commitOffsets == [
                TopicPartitionOffset(ToxWatchTopics.fhirInbound, 1, 1),
                TopicPartitionOffset(ToxWatchTopics.hl7Inbound, 0, 12),
                TopicPartitionOffset(ToxWatchTopics.hl7Inbound, 1, 4),
            ]
        )
        #expect(outcome.outcomes[IngestCount(topic: ToxWatchTopics.hl7Inbound, outcome: .decoded)] == 1)
        #expect(outcome.outcomes[IngestCount(topic: ToxWatchTopics.hl7Inbound, outcome: .failed)] == 1)
        #expect(outcome.outcomes[IngestCount(topic: ToxWatchTopics.hl7Inbound, outcome: .skipped)] == 1)
        #expect(outcome.outcomes[IngestCount(topic: ToxWatchTopics.fhirInbound, outcome: .decoded)] == 1)
        #expect(outcome.deadLetters == [DeadLetterCount(topic: ToxWatchTopics.hl7Inbound, reason: "malformed-hl7"): 1])
        let dlqIndex = try #require(outcome.records.firstIndex { $0.topic == ToxWatchTopics.deadLetters })
        #expect(outcome.records[..<dlqIndex].allSatisfy { Self.header(OutputHeader.sourceOffset, $0) == "10" })
        #expect(outcome.events.values.reduce(0, +) == outcome.records.count - 1)
        #expect(outcome.events[ToxWatchTopics.meds] ?? 0 > 0)
    }

    @Test("processing the same records again yields byte-identical records (the replay guarantee)")
    func deterministic() throws {
        let batch =
            try IngestFixtures.hl7Files.enumerated().map { index, file in
                Self.record(
                    ToxWatchTopics.hl7Inbound,
                    try IngestFixtures.bytes("hl7/\(file).hl7"),
                    offset: Int64(index)
                )
            } + [Self.record(ToxWatchTopics.hl7Inbound, Array("garbage".utf8), offset: 99)]
        #expect(processor.process(batch, now: Self.now).records == processor.process(batch, now: Self.now).records)
    }
}

@Suite("Ingest configuration")
struct IngestConfigurationTests {
    @Test func defaults() throws {
        var flags = IngestConfiguration.Flags()
        flags.brokers = "a:9092, b:9092"
        let configuration = try IngestConfiguration.load(flags: flags, environment: [:])
        #expect(configuration.brokerList == ["a:9092", "b:9092"])
        #expect(configuration.group == "toxd-ingest")
        #expect(configuration.hl7Topic == "hl7.inbound.v1")
        #expect(configuration.fhirTopic == "fhir.inbound.v1")
        #expect(configuration.httpPort == 9465)
        #expect(configuration.defaultUTCOffsetSeconds == nil)
    }

    @Test("environment, then flags; librdkafka properties from TOXD_KAFKA_* and --kafka")
    func layering() throws {
        var flags = IngestConfiguration.Flags()
        flags.group = "from-flag"
        flags.assumeOffset = "-05:00"
        flags.kafkaProperties = ["sasl.password=secret", "client.rack=r1"]
        let configuration = try IngestConfiguration.load(
            flags: flags,
            environment: [
                "TOXD_BROKERS": "env:9092", "TOXD_INGEST_GROUP": "from-env", "TOXD_INGEST_HL7_TOPIC": "raw.hl7",
                "TOXD_KAFKA_SESSION_TIMEOUT_MS": "6000", "TOXD_INGEST_HTTP_PORT": "0",
            ]
        )
        #expect(configuration.brokers == "env:9092")
        #expect(configuration.group == "from-flag")
        #expect(configuration.hl7Topic == "raw.hl7")
        #expect(configuration.httpPort == 0)
        #expect(configuration.defaultUTCOffsetSeconds == -5 * 3600)
        #expect(configuration.kafka == ["session.timeout.ms": "6000", "sasl.password": "secret", "client.rack": "r1"])
        #expect(!configuration.redactedSummary.contains("secret"))
    }

    @Test("a YAML file (--config) is the lowest layer: the environment and flags override it")
    func yamlFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString).yaml")
        try """
        brokers: file:9092
        group: from-file
        hl7Topic: file.hl7
        maxBatchSize: 50
        kafka:
          security.protocol: SASL_SSL
          session.timeout.ms: "7000"
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var flags = IngestConfiguration.Flags()
        flags.config = file.path
        flags.maxBatchSize = 70
        let configuration = try IngestConfiguration.load(
            flags: flags, environment: ["TOXD_INGEST_GROUP": "from-env", "TOXD_KAFKA_SESSION_TIMEOUT_MS": "6000"])
        #expect(configuration.brokers == "file:9092")
        #expect(configuration.group == "from-env")
        #expect(configuration.hl7Topic == "file.hl7")
        #expect(configuration.maxBatchSize == 70)
        #expect(configuration.kafka == ["security.protocol": "SASL_SSL", "session.timeout.ms": "6000"])

        try "brokers: b:1\ngrup: x\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try IngestConfiguration.load(flags: flags, environment: [:]) }
        do {
            _ = try IngestConfiguration.load(flags: flags, environment: [:])
        } catch {
            #expect(error.description.hasPrefix("\(file.path): grup: unknown key 'grup'"))
        }
    }

    @Test("values from the environment and flags are checked naming their variable or flag")
    func namesOrigin() {
        var flags = IngestConfiguration.Flags()
        flags.httpPort = 70_000
        #expect(throws: ConfigurationError("flag --http-port: '70000' must be a whole number in 0…65535")) {
            try IngestConfiguration.load(flags: flags, environment: ["TOXD_BROKERS": "b:1"])
        }
        #expect(
            throws: ConfigurationError(
                "environment TOXD_INGEST_MAX_INPUT_BYTES: '12' must be a whole number in 1024…104857600")
        ) {
            try IngestConfiguration.load(
                flags: IngestConfiguration.Flags(),
                environment: ["TOXD_BROKERS": "b:1", "TOXD_INGEST_MAX_INPUT_BYTES": "12"])
        }
    }

    @Test(
        "invalid settings are refused, naming the setting",
        arguments: [
            ([String: String](), IngestConfiguration.Flags(), "brokers"),
            (
                ["TOXD_BROKERS": "b:1"],
                {
                    var f = IngestConfiguration.Flags()
                    f.kafkaProperties = ["partitioner=consistent_random"]
                    return f
                }(), "partitioner"
            ),
            (
                ["TOXD_BROKERS": "b:1"],
                {
                    var f = IngestConfiguration.Flags()
                    f.assumeOffset = "EST"
                    return f
                }(), "assume-offset"
            ),
            (
                ["TOXD_BROKERS": "b:1"],
                {
                    var f = IngestConfiguration.Flags()
                    f.hl7Topic = "cart.vitals.v1"
                    return f
                }(), "cart.vitals.v1"
            ),
            (
                ["TOXD_BROKERS": "b:1"],
                {
                    var f = IngestConfiguration.Flags()
                    f.fhirTopic = "hl7.inbound.v1"
                    return f
                }(), "must differ"
            ),
            (
                ["TOXD_BROKERS": "b:1"],
                {
                    var f = IngestConfiguration.Flags()
                    f.maxBatchSize = 0
                    return f
                }(), "max-batch-size"
            ),
        ]
    )
    func invalid(_ environment: [String: String], _ flags: IngestConfiguration.Flags, _ named: String) {
        #expect {
            try IngestConfiguration.load(flags: flags, environment: environment)
        } throws: { error in
            "\(error)".contains(named)
        }
    }

    @Test("the patient topics must exist and be co-partitioned; the dead-letter partition count is returned")
    func topicLayout() throws {
        func metadata(_ counts: [String: Int]) -> KafkaClusterMetadata {
            KafkaClusterMetadata(
                brokers: [],
                topics: counts.map { name, count in
                    KafkaTopicMetadata(
                        name: name,
                        partitions: (0..<count).map {
                            KafkaPartitionMetadata(id: $0, leader: 1, replicas: [1], inSyncReplicas: [1])
                        }
                    )
                }
            )
        }
        var counts = Dictionary(uniqueKeysWithValues: ToxWatchTopics.patientInputs.map { ($0, 6) })
        counts[ToxWatchTopics.deadLetters] = 6
        #expect(try IngestTopicLayout.check(metadata(counts)) == 6)
        counts[ToxWatchTopics.labs] = 3
        #expect(throws: ConfigurationError.self) { try IngestTopicLayout.check(metadata(counts)) }
        counts[ToxWatchTopics.labs] = nil
        #expect(throws: ConfigurationError.self) { try IngestTopicLayout.check(metadata(counts)) }
    }
}
