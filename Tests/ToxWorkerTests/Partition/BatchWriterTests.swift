import Foundation
import KafkaClient
import Logging
import MetricsTestKit
import Synchronization
import Testing
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The three-phase batch protocol against an ``OutputLog`` that fails where a test says: rollback,
/// retries, hand-over, fencing, transactions and records the broker refuses, without a broker.
@Suite("Batch writer")
struct BatchWriterTests {
    typealias Batches = PartitionProcessorTests

    /// Whether the partition is being taken away, as the poll loop would set it.
    final class Revocation: Sendable {
        private let revoked = Mutex(false)
        var isRevoked: Bool { revoked.withLock { $0 } }
        func revoke() { revoked.withLock { $0 = true } }
    }

    /// A writer over `log` with millisecond back-off.
    static func writer(
        _ log: FakeOutputLog, metrics: WorkerMetrics = WorkerMetrics(), revocation: Revocation = Revocation(),
        revocationWait: Duration = .milliseconds(200)
    ) -> BatchWriter {
        BatchWriter(
            partition: 3, log: log, metrics: metrics, logger: Logger(label: "test"),
            retry: RetryPolicy(first: .milliseconds(1), maximum: .milliseconds(2)), revocationWait: revocationWait,
            isHandingOver: { revocation.isRevoked })
    }

    /// One patient's admission and a febrile vitals record at the same instant (one evaluation,
    /// since every instant is evaluated on its own): grades, a recommendation, a changelog record.
    static func batch() throws -> [KafkaMessage] {
        [
            try Batches.message(Batches.admission("P1"), offset: 10),
            try Batches.message(Batches.vitals("P1", "v1", hours: -1, temperature: 38.4), offset: 40),
        ]
    }

    /// Applies `messages` and counts how often the batch was applied (once per attempt).
    static func apply(
        _ messages: [KafkaMessage], with writer: inout BatchWriter, to processor: inout PartitionProcessor
    ) async throws -> Int {
        var attempts = 0
        try await writer.apply(to: &processor) { processor in
            attempts += 1
            return processor.process(messages, inventory: .empty, now: Batches.now)
        }
        return attempts
    }

    static func ids(_ records: [ProducerRecord]) -> [String] {
        records.compactMap { record in
            record.headers.first { $0.name == OutputHeader.outputID }.map {
                String(decoding: $0.value ?? [], as: UTF8.self)
            }
        }
    }

    static func kinds(_ records: [ProducerRecord]) -> [String] {
        records.compactMap { record in
            record.headers.first { $0.name == OutputHeader.kind }.map {
                String(decoding: $0.value ?? [], as: UTF8.self)
            }
        }
    }

    static let retriable = KafkaError(code: .messageTimedOut, message: "injected", isRetriable: true)

    @Test("phases in order: outputs, then changelog and checkpoint, then the input offsets")
    func phasesInOrder() async throws {
        let log = FakeOutputLog()
        var writer = Self.writer(log)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 1)
        #expect(log.calls == [.produce, .produce, .commitOffsets])
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
        #expect(Self.ids(log.records(ToxWatchTopics.anakinraRecommendations)).count == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
        #expect(log.committedOffsets.map(\.description).sorted().contains { $0.hasPrefix(ToxWatchTopics.vitals) })
        #expect(writer.outputEnd[ToxWatchTopics.toxicityGrades] == 1)
        #expect(writer.written.isEmpty, "ids are forgotten once the checkpoint passes them")
    }

    @Test("a phase-1 record that fails rolls the batch back; the retry writes only what is missing")
    func phaseOneFailureRollsBack() async throws {
        let log = FakeOutputLog()
        log.inject(.report(Self.retriable) { $0.topic == ToxWatchTopics.anakinraRecommendations }, at: .produce)
        let recorded = TestMetrics()
        let metrics = WorkerMetrics(factory: recorded)
        var writer = Self.writer(log, metrics: metrics)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)

        #expect(attempts == 2, "the batch is applied again after the rollback")
        // The grade written by the failed attempt is found by the tail scan and not written again;
        // the recommendation is written by the retry; the changelog only once, after both.
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
        #expect(Self.ids(log.records(ToxWatchTopics.anakinraRecommendations)).count == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
        #expect(log.calls == [.produce, .read, .produce, .produce, .commitOffsets])
        #expect(try recorded.expectCounter("toxd_rewinds_total", [("reason", "retriable-error")]).totalValue == 1)
        #expect(
            processor.patients["P1"]?.events.map(\.eventId) == ["P1-adm", "P1-v1"], "the retry applies the batch once")
    }

    @Test("a failed changelog write retries the batch without writing its outputs again")
    func phaseTwoFailureRetries() async throws {
        let log = FakeOutputLog()
        log.inject(.fail(Self.retriable), at: .produce, occurrence: 2)
        var writer = Self.writer(log)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 2)
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
        #expect(Self.ids(log.records(ToxWatchTopics.anakinraRecommendations)).count == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
        #expect(log.calls.filter { $0 == .commitOffsets }.count == 1, "offsets only after the changelog is durable")
    }

    @Test("a fenced write hands the partition over: nothing more is written, no offsets are committed")
    func fencedHandsOver() async throws {
        let revocation = Revocation()
        let log = FakeOutputLog { _ in revocation.revoke() }
        log.inject(.fail(KafkaError(code: .fenced, message: "injected")), at: .produce)
        var writer = Self.writer(log, revocation: revocation)
        var processor = Batches.processor()
        await #expect(throws: PartitionHandOver.self) {
            _ = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        }
        #expect(log.calls == [.produce])
        #expect(log.committedOffsets.isEmpty)
        #expect(processor.patients.isEmpty, "the batch's state changes are rolled back")
    }

    @Test("a rebalance error without the revocation it announces is retried after the wait")
    func rebalanceWithoutRevocationRetries() async throws {
        let log = FakeOutputLog()
        log.inject(.fail(KafkaError(code: .rebalanceInProgress, message: "injected")), at: .produce)
        var writer = Self.writer(log, revocationWait: .milliseconds(1))
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 2)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
    }

    @Test("retriable failures are retried, each after a back-off, until the write succeeds")
    func retriableFailuresBackOff() async throws {
        let log = FakeOutputLog()
        for occurrence in 1...3 { log.inject(.fail(Self.retriable), at: .produce, occurrence: occurrence) }
        let recorded = TestMetrics()
        let metrics = WorkerMetrics(factory: recorded)
        var writer = Self.writer(log, metrics: metrics)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 4)
        #expect(try recorded.expectCounter("toxd_rewinds_total", [("reason", "retriable-error")]).totalValue == 3)
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
    }

    @Test("a fatal error ends the task after the rollback, without committing offsets")
    func fatalErrorStops() async throws {
        let log = FakeOutputLog()
        log.inject(
            .fail(KafkaError(code: .idempotenceViolation, message: "injected", isFatal: true)), at: .produce,
            occurrence: 2)
        var writer = Self.writer(log)
        var processor = Batches.processor()
        await #expect(throws: KafkaError.self) {
            _ = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        }
        #expect(log.committedOffsets.isEmpty)
        #expect(processor.patients.isEmpty)
    }

    @Test("a dead letter the broker refuses as too large is replaced by a reduced one, without a retry")
    func refusedDeadLetterReduced() async throws {
        let log = FakeOutputLog()
        let tooLarge = KafkaError(code: .messageTooLarge, message: "injected")
        log.inject(.report(tooLarge) { $0.topic == ToxWatchTopics.deadLetters }, at: .produce)
        let recorded = TestMetrics()
        let metrics = WorkerMetrics(factory: recorded)
        var writer = Self.writer(log, metrics: metrics)
        var processor = Batches.processor()
        let poison = KafkaMessage(
            topic: ToxWatchTopics.vitals, partition: 3, offset: 7, key: Array("P9".utf8),
            value: Array(repeating: UInt8(ascii: "z"), count: 3000))
        let attempts = try await Self.apply([poison], with: &writer, to: &processor)
        #expect(attempts == 1)
        let letters = log.records(ToxWatchTopics.deadLetters)
        #expect(letters.count == 1)
        let letter = try DeadLetterRecord.decode(Data(try #require(letters.first?.value)))
        #expect(letter.originalValue == Data(repeating: UInt8(ascii: "z"), count: OversizedRecords.keptBytes))
        #expect(try recorded.expectCounter("toxd_oversized_records_total", [("kind", "dead-letter")]).totalValue == 1)
        #expect(recorded.counters(label: "toxd_rewinds_total").map(\.totalValue) == [0, 0], "no batch was retried")
        #expect(log.committedOffsets.count == 1)
    }

    @Test("an output the broker refuses is given up and counted; the batch goes on")
    func refusedOutputGivenUp() async throws {
        let log = FakeOutputLog()
        log.inject(
            .report(KafkaError(code: .invalidRecord, message: "injected")) {
                $0.topic == ToxWatchTopics.toxicityGrades
            }, at: .produce)
        let recorded = TestMetrics()
        let metrics = WorkerMetrics(factory: recorded)
        var writer = Self.writer(log, metrics: metrics)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 1)
        #expect(log.records(ToxWatchTopics.toxicityGrades).isEmpty)
        #expect(Self.ids(log.records(ToxWatchTopics.anakinraRecommendations)).count == 1)
        #expect(try recorded.expectCounter("toxd_output_failures_total").totalValue == 1)
        #expect(try recorded.expectCounter("toxd_oversized_records_total", [("kind", "output")]).totalValue == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
    }

    @Test("transactions: a failed commit aborts, nothing of the attempt is visible, the retry commits once")
    func transactionCommitFailureAborts() async throws {
        let log = FakeOutputLog(transactional: true)
        log.inject(.fail(KafkaError(code: .timedOut, message: "injected", isRetriable: true)), at: .commitTransaction)
        var writer = Self.writer(log)
        var processor = Batches.processor()
        let attempts = try await Self.apply(try Self.batch(), with: &writer, to: &processor)
        #expect(attempts == 2)
        #expect(
            log.calls == [
                .beginTransaction, .produce, .sendOffsetsToTransaction, .commitTransaction, .abortTransaction, .read,
                .beginTransaction, .produce, .sendOffsetsToTransaction, .commitTransaction,
            ])
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
    }

    @Test("the fencing checkpoint is retried until written, in a transaction of its own when transactional")
    func fenceRetried() async throws {
        let log = FakeOutputLog(transactional: true)
        log.inject(.fail(Self.retriable), at: .produce)
        let writer = Self.writer(log)
        var processor = Batches.processor()
        processor.epoch = 4
        try await writer.fence(processor)
        #expect(
            log.calls == [
                .beginTransaction, .produce, .abortTransaction, .beginTransaction, .produce, .commitTransaction,
            ])
        let fence = try #require(log.records(ToxWatchTopics.patientStateChangelog).first)
        #expect(Self.kinds([fence]) == ["checkpoint"])
        #expect(
            fence.headers.contains {
                $0.name == OutputHeader.epoch && String(decoding: $0.value ?? [], as: UTF8.self) == "4"
            })
    }

    @Test("a new owner after a crash between phases 1 and 2 finds the outputs and does not write them again")
    func crashAfterPhaseOne() async throws {
        let log = FakeOutputLog()
        log.inject(.fail(KafkaError(code: .fenced, message: "injected", isFatal: true)), at: .produce, occurrence: 2)
        var first = Self.writer(log)
        var processor = Batches.processor()
        await #expect(throws: KafkaError.self) {
            _ = try await Self.apply(try Self.batch(), with: &first, to: &processor)
        }
        #expect(log.records(ToxWatchTopics.patientStateChangelog).isEmpty)

        var next = Self.writer(log)
        var restored = Batches.processor()
        try await next.resume(after: PartitionCheckpoint?.none, fragments: ChangelogFragments(), processor: &restored)
        #expect(next.written.count == 2)
        _ = try await Self.apply(try Self.batch(), with: &next, to: &restored)
        #expect(Self.ids(log.records(ToxWatchTopics.toxicityGrades)).count == 1)
        #expect(Self.ids(log.records(ToxWatchTopics.anakinraRecommendations)).count == 1)
        #expect(Self.kinds(log.records(ToxWatchTopics.patientStateChangelog)) == ["patient-state", "checkpoint"])
    }

    @Test("back-off doubles from the first delay up to the maximum")
    func retryPolicy() {
        #expect(
            (1...7).map { RetryPolicy.batch.delay(afterFailures: $0) }
                == [200, 400, 800, 1600, 3200, 5000, 5000].map { Duration.milliseconds($0) })
        #expect(
            (1...7).map { RetryPolicy.brokers.delay(afterFailures: $0) }
                == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }
}
