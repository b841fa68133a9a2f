import Foundation
import KafkaClient
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import ToxWatchContract

@testable import ToxWorker

/// A record the broker refuses for what it is never makes a batch retry forever.
@Suite("Records the broker refuses", .serialized, .timeLimit(.minutes(3)))
struct RefusedRecordTests {
    @Test("a dead letter over the message size limit is replaced by a reduced one and the partition goes on")
    func oversizedDeadLetter() async throws {
        let cluster = try PipelineIntegrationTests.cluster(partitions: 1)
        var configuration = PipelineIntegrationTests.configuration(cluster)
        // The worker's clients refuse records above 8000 bytes: a dead letter carrying a 6000-byte
        // value (base64: 8000 bytes and more) is refused at once with MSG_SIZE_TOO_LARGE.
        configuration.kafka = ["message.max.bytes": "8000"]
        let metrics = WorkerMetrics()
        let pipeline = WorkerPipeline(
            configuration: configuration, evaluator: PatientEvaluator(), metrics: metrics,
            logger: PipelineIntegrationTests.logger)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: PipelineIntegrationTests.logger
        )
        let garbage = [UInt8](repeating: UInt8(ascii: "z"), count: 6000)
        let admission = try RebalanceServingTests.backlog(patients: 1, vitals: 1, prefix: "BIG")
        _ = try await producer.send(
            [ProducerRecord(topic: ToxWatchTopics.vitals, key: Array("BIG0".utf8), value: garbage)] + admission)

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.run() }
                let letters = try await PipelineIntegrationTests.readUntil(cluster, topic: ToxWatchTopics.deadLetters) {
                    $0.count >= 1
                }
                let letter = try DeadLetterRecord.decode(Data(try #require(letters.first?.value)))
                #expect(letter.reason == .malformedJSON)
                #expect(letter.originalValue == Data(garbage.prefix(OversizedRecords.keptBytes)))
                #expect(letter.error.message.contains("refused by the broker (MSG_SIZE_TOO_LARGE)"))
                #expect(letter.error.message.contains("6000 bytes, sha256 \(RecordDigest(garbage).sha256)"))
                // The patient behind the refused record is served: nothing stalled.
                let grades = try await PipelineIntegrationTests.readUntil(cluster, topic: ToxWatchTopics.toxicityGrades)
                { $0.count >= 1 }
                #expect(grades.first?.key == Array("BIG0".utf8))
                #expect(RebalanceServingTests.counter("toxd_rewinds_total", in: metrics) == 0, "no batch was retried")
                #expect(
                    RebalanceServingTests.counter("toxd_oversized_records_total{kind=\"dead-letter\"}", in: metrics)
                        == 1)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await producer.close()
        await cluster.close()
    }
}
