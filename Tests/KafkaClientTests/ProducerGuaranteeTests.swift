import Foundation
import KafkaClient
import Testing
import ToxTestSupport

@Suite("Producer guarantees on the embedded cluster")
struct ProducerGuaranteeTests {
    /// Reads every message of `topic` from the beginning (assign mode) until caught up.
    static func readAll(
        _ cluster: EmbeddedKafkaCluster, _ topic: String,
        isolation: KafkaConsumerConfiguration.IsolationLevel = .readCommitted
    ) async throws -> [KafkaMessage] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServerList, strategy: .allPartitions(topics: [topic]))
        configuration.isolationLevel = isolation
        let consumer = try KafkaConsumer(configuration: configuration, logger: TestSupport.logger())
        let reader = EventReader(consumer)
        let seen = try await reader.collect(timeout: 60, "read \(topic) to the end") { $0.caughtUp }
        try await reader.close()
        return seen.messages
    }

    /// With `inFlight`, broker 2 goes down while it holds appended-but-unanswered produce requests, so
    /// the producer must retry batches the broker already wrote: only sequence-number deduplication
    /// prevents duplicates. librdkafka 2.0.2's mock validates sequence numbers only for transactional
    /// producers (real Kafka does for every idempotent producer), so that case runs in a transaction;
    /// the plain idempotent case takes the broker down before the records are sent.
    @Test(
        "a broker taken down and brought back while producing: nothing lost, nothing duplicated",
        arguments: [false, true])
    func brokerDownAndUpWhileProducing(inFlight: Bool) async throws {
        // librdkafka 2.0.2 itself (not the mock) can fail a retry of a possibly persisted batch with
        // a fatal OUT_OF_ORDER_SEQUENCE_NUMBER ("rewound sequence number"; fixed in 2.3.0 by
        // confluentinc/librdkafka#4438). It must surface as a fatal, typed error: toxd exits on it
        // and its restart recovers exactly-once from the changelog.
        try await withKnownIssue(
            "librdkafka 2.0.2: fatal OUT_OF_ORDER_SEQUENCE_NUMBER on retrying a possibly persisted batch (#4438)",
            isIntermittent: true
        ) {
            try await Self.produceThroughBrokerOutage(inFlight: inFlight)
        } matching: { issue in
            guard let error = issue.error as? KafkaError else { return false }
            return error.code == .idempotenceViolation && error.isFatal
        }
    }

    static func produceThroughBrokerOutage(inFlight: Bool) async throws {
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 3, logger: logger)
        let topic = TestSupport.uniqueName("vitals")
        try cluster.createTopic(topic, partitions: 6)
        let producer = try TestSupport.producer(cluster) { configuration in
            configuration.additionalConfig["retry.backoff.ms"] = "20"
            if inFlight { configuration.transactionalID = TestSupport.uniqueName("toxd-tx") }
        }
        #expect(producer.configuration.librdkafkaProperties()["enable.idempotence"] == "true")
        if inFlight {
            try await producer.initTransactions()
            try producer.beginTransaction()
        }

        let chunks = 8
        let perChunk = 500
        @Sendable func chunk(_ number: Int) -> [ProducerRecord] {
            (0..<perChunk).map { index in
                TestSupport.record(topic, key: "patient-\(index % 37)", value: "\(number * perChunk + index)")
            }
        }
        var firstReports = try await producer.send(chunk(0))
        if inFlight {
            // Slow broker 2 down so produce requests are written but unanswered when it goes down.
            try cluster.setRoundTripTime(broker: 2, .milliseconds(300))
        } else {
            try cluster.setBrokerDown(2)
        }
        let sender = Task {
            var reports: [DeliveryReport] = []
            for number in 1..<chunks { reports += try await producer.send(chunk(number)) }
            return reports
        }
        try await eventually("records in flight", timeout: .seconds(30)) { producer.outstandingCount > 0 }
        if inFlight { try cluster.setBrokerDown(2) }
        try await eventually("records wait for the down broker", timeout: .seconds(30)) {
            producer.outstandingCount > 0
        }
        try cluster.setRoundTripTime(broker: 2, .zero)
        try cluster.setBrokerUp(2)
        // And fail some produce requests with retriable errors on top.
        cluster.pushRequestErrors(
            apiKey: .produce, errors: [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas])
        firstReports += try await withTimeout(90, "every record is delivered") { try await sender.value }
        if inFlight { try await producer.commitTransaction() }
        let reports = firstReports
        #expect(reports.count == chunks * perChunk)
        #expect(reports.allSatisfy { $0.isSuccess })

        let messages = try await Self.readAll(cluster, topic)
        let values = messages.compactMap { $0.valueString.flatMap(Int.init) }
        #expect(values.count == chunks * perChunk, "duplicates or losses")
        #expect(Set(values) == Set(0..<chunks * perChunk))
        // Per key, the order of sending is kept.
        var lastByKey: [String: Int] = [:]
        for message in messages.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let key = message.keyString ?? ""
            let value = Int(message.valueString ?? "") ?? -1
            #expect(value > lastByKey[key, default: -1], "out of order for a key")
            lastByKey[key] = value
        }
        await producer.close()
        await cluster.close()
    }

    @Test("transactional calls succeed against the mock (which accepts but does not emulate them)")
    func transactionalCalls() async throws {
        // librdkafka 2.0.2's mock cluster accepts InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
        // TxnOffsetCommit and EndTxn, but writes no abort markers (read_committed readers still see
        // aborted records) and does not store offsets sent to a transaction. This test asserts the calls
        // and the client-side state machine only, not those broker semantics.
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let input = TestSupport.uniqueName("labs")
        let output = TestSupport.uniqueName("grades")
        try cluster.createTopic(input, partitions: 1)
        try cluster.createTopic(output, partitions: 1)
        let plain = try TestSupport.producer(cluster)
        _ = try await plain.send((0..<5).map { TestSupport.record(input, partition: 0, key: "p1", value: "in\($0)") })

        let producer = try TestSupport.producer(cluster) { $0.transactionalID = TestSupport.uniqueName("toxd-tx") }
        #expect(producer.configuration.librdkafkaProperties()["transactional.id"] != nil)
        try await producer.initTransactions()

        let group = TestSupport.uniqueName("toxd")
        let consumer = try KafkaConsumer(
            configuration: TestSupport.groupConsumer(cluster, group: group, topics: [input]), logger: logger)
        let reader = EventReader(consumer)
        let batch = try await reader.collect { $0.messages.count >= 5 }.messages

        try producer.beginTransaction()
        // A second begin inside an open transaction is a client-side state error.
        #expect(throws: KafkaError.self) { try producer.beginTransaction() }
        let reports = try await producer.send(
            batch.map {
                TestSupport.record(output, partition: 0, key: $0.keyString, value: "out-\($0.valueString ?? "")")
            })
        #expect(reports.allSatisfy { $0.isSuccess })
        let metadata = try consumer.groupMetadata()
        #expect(metadata.groupID == group)
        #expect(!metadata.serialized.isEmpty)
        try await producer.sendOffsetsToTransaction([batch[batch.count - 1].nextOffset], groupMetadata: metadata)
        try await producer.commitTransaction()

        try producer.beginTransaction()
        _ = try await producer.send(TestSupport.record(output, partition: 0, key: "p1", value: "aborted"))
        try await producer.abortTransaction()
        // Committing with no open transaction is a client-side state error.
        await #expect(throws: KafkaError.self) { try await producer.commitTransaction() }

        let outputs = try await Self.readAll(cluster, output)
        #expect(outputs.filter { $0.valueString?.hasPrefix("out-") == true }.count == 5)

        try await reader.close()
        await producer.close()
        await plain.close()
        await cluster.close()
    }
}
