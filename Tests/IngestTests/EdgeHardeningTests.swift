import Foundation
import Logging
import Testing
import ToxWatchContract
import ToxicityRules

@testable import KafkaClient
@testable import ToxWorker

/// `toxd ingest` and the worker's inventory reader at the contract's edges (issues 15 and 18).
@Suite("Ingest and worker edges")
struct EdgeHardeningTests {
    static let logger: Logger = {
        var logger = Logger(label: "edge-hardening")
        logger.logLevel = .critical
        return logger
    }()

    static func record(_ topic: String, _ value: String, milliseconds: Int64 = 1_772_431_844_649) -> KafkaMessage {
        KafkaMessage(
            topic: topic, partition: 1, offset: 42, key: Array("k".utf8), value: Array(value.utf8),
            timestamp: KafkaTimestamp(kind: .createTime, millisecondsSinceEpoch: milliseconds))
    }

    @Test("a dead letter's source.timestamp is the Kafka timestamp's milliseconds exactly")
    func deadLetterTimestamp() throws {
        // Before: 1772431844649 ms was written …44.6489999Z.
        for (milliseconds, text) in [
            (Int64(1_772_431_844_649), "2026-03-02T06:10:44.649Z"), (1_772_431_844_001, "2026-03-02T06:10:44.001Z"),
        ] {
            let result = IngestProcessor(deadLetterPartitions: 3).process(
                Self.record(ToxWatchTopics.hl7Inbound, "garbage", milliseconds: milliseconds), now: Date())
            let letter = try #require(result.deadLetter)
            let json = String(decoding: try letter.encoded(), as: UTF8.self)
            #expect(json.contains(#""timestamp":"\#(text)""#), "\(json)")
        }
    }

    @Test("an HL7 message over a bound is dead-lettered malformed-hl7 naming the field, at once")
    func hl7OverABound() throws {
        let identifiers = (0..<16_000).map { "ID\($0)^^^HOSP^XX" }.joined(separator: "~")
        let message =
            "MSH|^~\\&|EPIC|CNH|TW|CNH|20260302060000+0000||ORU^R01|BIG-1|P|2.5.1\rPID|1||\(identifiers)\r"
            + "OBX|1|NM|8867-4^HR^LN||90|/min|||||F|||20260302060000+0000"
        let result = IngestProcessor(deadLetterPartitions: 3).process(
            Self.record(ToxWatchTopics.hl7Inbound, message), now: Date())
        #expect(result.outcome == .failed)
        #expect(result.deadLetter?.reason == .malformedHL7)
        #expect(result.deadLetter?.error.field == "PID-3 (segment 2)")
    }

    @Test("the FHIR source message id goes into a header only when it is an identifier")
    func fhirSourceIDIsAnIdentifier() throws {
        let bundle = #"""
            {"resourceType":"Bundle","type":"collection","identifier":{"value":"\u001b[2Jx"},"entry":[
             {"resource":{"resourceType":"Observation","id":"o1","status":"final",
              "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/P1"},
              "effectiveDateTime":"2026-03-02T06:00:00Z","valueQuantity":{"value":90,"code":"/min"}}}]}
            """#
        let result = IngestProcessor(deadLetterPartitions: 3).process(
            Self.record(ToxWatchTopics.fhirInbound, bundle), now: Date())
        let record = try #require(result.records.first)
        #expect(record.headers.first { $0.name == IngestHeader.sourceMessageID }?.value == Array("k".utf8))
    }

    @Test(
        "the worker's inventory reader dead-letters an invalid record, once per process",
        .timeLimit(.minutes(2)))
    func inventoryReaderDeadLetters() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: Self.logger)
        try cluster.createTopic(ToxWatchTopics.deadLetters, partitions: 3)
        let metrics = WorkerMetrics()
        let reader = InventoryRecordReader(
            configuration: WorkerConfiguration(brokers: cluster.bootstrapServers), metrics: metrics, logger: Self.logger
        )
        let bad = Self.record(ToxWatchTopics.inventory, #"{"type":"inventory","eventId":"i","site":"cnh"}"#)
        #expect(await reader.read(bad) == nil)
        #expect(await reader.read(bad) == nil)
        let good = Self.record(
            ToxWatchTopics.inventory,
            #"{"type":"inventory","eventId":"i2","occurredAt":"2026-03-02T06:00:00Z","site":"cnh","drug":"tocilizumab","status":"low","unitsOnHand":3}"#
        )
        #expect(await reader.read(good)?.unitsOnHand == 3)
        await reader.close()

        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServerList,
            strategy: .allPartitions(topics: [ToxWatchTopics.deadLetters]))
        configuration.clientID = "edge-dlq-reader"
        let consumer = try KafkaConsumer(configuration: configuration, logger: Self.logger)
        var letters: [DeadLetterRecord] = []
        events: for try await event in consumer.events {
            switch event {
            case .messages(let batch):
                letters += try batch.map { try DeadLetterRecord.decode(Data($0.value ?? [])) }
            case .caughtUp:
                break events
            case .rebalance:
                continue
            }
        }
        consumer.shutdown()
        await consumer.close()
        await cluster.close()
        #expect(letters.count == 1)
        #expect(letters.first?.id == "\(ToxWatchTopics.inventory)/1/42")
        #expect(letters.first?.reason == .missingField)
        #expect(letters.first?.originalValue == Data(bad.value ?? []))
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(exposition.contains(#"reason="missing-field""#), "\(exposition)")
    }
}
