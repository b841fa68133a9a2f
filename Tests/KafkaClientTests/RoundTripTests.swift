import Foundation
import KafkaClient
import Testing

@Suite("Produce and consume against the embedded cluster")
struct RoundTripTests {
    @Test("keys, values, headers and explicit partitions survive a round trip")
    func roundTripWithKeysAndHeaders() async throws {
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topic = TestSupport.uniqueName("vitals")
        try cluster.createTopic(topic, partitions: 4)
        let producer = try TestSupport.producer(cluster)

        var records: [ProducerRecord] = []
        for index in 0..<40 {
            let headers = [
                KafkaHeader(name: "toxwatch.source-offset", string: "\(index)"),
                KafkaHeader(name: "toxwatch.null", value: nil),
            ]
            // Even records go to an explicit partition, odd ones by key.
            records.append(
                TestSupport.record(
                    topic, partition: index.isMultiple(of: 2) ? index % 4 : nil, key: "patient-\(index % 5)",
                    value: "{\"n\":\(index)}", headers: headers))
        }
        records.append(ProducerRecord(topic: topic, partition: 1, key: nil, value: nil))  // a tombstone without key

        let expectedCount = records.count
        let reports = try await producer.send(records)
        #expect(reports.count == records.count)
        #expect(reports.allSatisfy { $0.error == nil && $0.offset != nil && $0.topic == topic })
        for (record, report) in zip(records, reports) {
            if case .partition(let partition) = record.partitioning { #expect(report.partition == partition) }
        }
        // Same key, same partition.
        var partitionByKey: [String: Set<Int>] = [:]
        for (record, report) in zip(records, reports) where record.key != nil && record.partitioning == .byKey {
            partitionByKey[String(decoding: record.key!, as: UTF8.self), default: []].insert(report.partition)
        }
        #expect(partitionByKey.values.allSatisfy { $0.count == 1 })

        let consumer = try KafkaConsumer(
            configuration: TestSupport.groupConsumer(cluster, group: TestSupport.uniqueName("g"), topics: [topic]),
            logger: logger)
        let reader = EventReader(consumer)
        let seen = try await reader.collect { $0.messages.count >= expectedCount }
        #expect(seen.messages.count == records.count)

        let byCoordinates = Dictionary(
            uniqueKeysWithValues: seen.messages.map { ("\($0.partition)@\($0.offset)", $0) })
        for (record, report) in zip(records, reports) {
            let message = try #require(byCoordinates["\(report.partition)@\(report.offset!)"])
            #expect(message.topic == topic)
            #expect(message.key == record.key)
            #expect(message.value == record.value)
            #expect(message.headers == record.headers)
            #expect(message.timestamp?.kind == .createTime)
        }
        // Per partition, offsets arrive in order.
        for partition in 0..<4 {
            let offsets = seen.messages.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == offsets.sorted())
        }
        try await reader.close()
        await producer.close()
        await cluster.close()
    }

    @Test("a batch is enqueued at once and reports come back in record order")
    func batchSendReportsInOrder() async throws {
        let logger = TestSupport.logger()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topic = TestSupport.uniqueName("grades")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try TestSupport.producer(cluster) { $0.maxQueuedMessages = 1000 }
        // More records than the local queue holds: the send waits for space instead of failing.
        let records = (0..<5000).map { TestSupport.record(topic, partition: $0 % 2, key: nil, value: "v\($0)") }
        let reports = try await producer.send(records)
        #expect(reports.count == 5000)
        let offsets0 = reports.enumerated().filter { $0.offset.isMultiple(of: 2) }.compactMap(\.element.offset)
        let offsets1 = reports.enumerated().filter { !$0.offset.isMultiple(of: 2) }.compactMap(\.element.offset)
        #expect(offsets0 == Array(0..<2500))
        #expect(offsets1 == Array(0..<2500))

        // A record for a partition that does not exist fails alone, reported in place.
        let mixed = try await producer.produce([
            TestSupport.record(topic, partition: 0, key: nil, value: "ok"),
            TestSupport.record(topic, partition: 7, key: nil, value: "no such partition"),
        ])
        #expect(mixed[0].error == nil)
        #expect(mixed[1].error?.code == .unknownTopicOrPartition)
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(TestSupport.record(topic, partition: 9, key: nil, value: "x"))
        }
        await producer.close()
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(TestSupport.record(topic, partition: 0, key: nil, value: "after close"))
        }
        await cluster.close()
    }
}
