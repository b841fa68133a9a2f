package import KafkaClient

/// Where a partition task writes its batches and reads its partitions back: the Kafka producer,
/// consumer and offset committer in production (``KafkaOutputLog``), a fake in unit tests.
///
/// ``BatchWriter`` writes the three phases of Docs/worker.md through it. In
/// `processing.guarantee: transactions` (``isTransactional``) a writer brackets its calls with
/// ``beginTransaction()`` and either ``commitTransaction()`` or ``abortTransaction()``.
package protocol OutputLog: Sendable {
    /// Whether phases 1–3 go in one Kafka transaction.
    var isTransactional: Bool { get }

    /// Produces the records and waits for every acknowledgement: one report per record, in order;
    /// a record that failed is reported, not thrown.
    /// - Throws: only when nothing could be enqueued (the producer is closed or failed).
    func produce(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport]

    /// Hands the input offsets of a durable batch to the worker's offset committer (phase 3
    /// without transactions); returns at once.
    func commitOffsets(_ offsets: [TopicPartitionOffset]) async

    /// Begins a transaction, first waiting for any other transaction of the producer to end.
    func beginTransaction() async throws(KafkaError)
    /// Adds the input offsets to the open transaction.
    func sendOffsetsToTransaction(_ offsets: [TopicPartitionOffset]) async throws(KafkaError)
    /// Commits the open transaction; on failure it stays open for ``abortTransaction()``.
    func commitTransaction() async throws(KafkaError)
    /// Aborts the open transaction (a failure to abort leaves it to the producer's next use).
    func abortTransaction() async

    /// Reads the given partitions from the given offsets to their end offsets at the time of the
    /// call, handing each record to `handle` in order.
    func read(from starts: [TopicPartitionOffset], _ handle: (KafkaMessage) throws -> Void) async throws
}

extension OutputLog {
    /// Produces the records and throws the first failure; after a throw no record is in flight.
    package func send(_ records: [ProducerRecord]) async throws(KafkaError) {
        let reports = try await produce(records)
        if let failure = reports.first(where: { $0.error != nil })?.error { throw failure }
    }
}
