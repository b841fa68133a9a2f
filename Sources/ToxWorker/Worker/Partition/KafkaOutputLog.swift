package import KafkaClient
package import Logging

/// The Kafka side of a partition task's ``OutputLog``: the worker's producer (transactional or
/// idempotent), its group consumer's metadata for transactional offsets, and its offset committer.
package struct KafkaOutputLog: OutputLog {
    package var configuration: WorkerConfiguration
    package var consumer: KafkaConsumer
    package var producer: KafkaProducer
    /// Phase 3 for every task, off the critical path (see ``OffsetCommitter``).
    package var committer: OffsetCommitter
    /// Set in `processing.guarantee: transactions`: the producer's one open transaction.
    package var transactions: TransactionGate?
    package var logger: Logger

    package var isTransactional: Bool { transactions != nil }

    package func produce(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport] {
        try await producer.produce(records)
    }

    package func commitOffsets(_ offsets: [TopicPartitionOffset]) async {
        await committer.submit(offsets)
    }

    package func beginTransaction() async throws(KafkaError) {
        await transactions?.acquire()
        do throws(KafkaError) {
            try producer.beginTransaction()
        } catch {
            await transactions?.release()
            throw error
        }
    }

    package func sendOffsetsToTransaction(_ offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        try await producer.sendOffsetsToTransaction(offsets, groupMetadata: try consumer.groupMetadata())
    }

    package func commitTransaction() async throws(KafkaError) {
        try await producer.commitTransaction()
        await transactions?.release()
    }

    package func abortTransaction() async {
        try? await producer.abortTransaction()
        await transactions?.release()
    }

    package func read(from starts: [TopicPartitionOffset], _ handle: (KafkaMessage) throws -> Void) async throws {
        try await PartitionReader.read(starts, configuration: configuration, logger: logger, handle)
    }
}

/// Serialises Kafka transactions: one producer has at most one open transaction, so partition
/// tasks take turns (only in `processing.guarantee: transactions`).
package actor TransactionGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init() {}

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
