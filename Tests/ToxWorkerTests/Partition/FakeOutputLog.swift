import KafkaClient
import Synchronization

@testable import ToxWorker

/// An in-memory ``OutputLog`` whose chosen calls fail: the unit tests of ``BatchWriter`` inject
/// every failure the Kafka-backed one can meet, without a broker.
///
/// Records are kept per topic (one partition), offsets counted from 0. In transactional mode the
/// records of the open transaction become readable only when it commits (a `read_committed` reader).
final class FakeOutputLog: OutputLog, Sendable {
    enum Call: Hashable, Sendable {
        case produce, commitOffsets, beginTransaction, sendOffsetsToTransaction, commitTransaction, abortTransaction,
            read
    }

    /// What an injected failure does.
    enum Fault: Sendable {
        /// The call throws before writing anything.
        case fail(KafkaError)
        /// `produce` reports the error for every record `matching` picks and writes the others.
        case report(KafkaError, matching: @Sendable (ProducerRecord) -> Bool)
    }

    private struct State {
        var calls: [Call] = []
        var faults: [Call: [Int: Fault]] = [:]
        var topics: [String: [ProducerRecord]] = [:]
        var open: [ProducerRecord]?
        var committedOffsets: [TopicPartitionOffset] = []
    }

    let isTransactional: Bool
    private let state = Mutex(State())
    /// Runs when an injected fault fires (e.g. the partition starts being revoked at that moment).
    private let onFault: @Sendable (Call) -> Void

    init(transactional: Bool = false, onFault: @escaping @Sendable (Call) -> Void = { _ in }) {
        self.isTransactional = transactional
        self.onFault = onFault
    }

    /// Makes the `occurrence`-th call (1 for the first) of `call` fail with `fault`.
    func inject(_ fault: Fault, at call: Call, occurrence: Int = 1) {
        state.withLock { $0.faults[call, default: [:]][occurrence] = fault }
    }

    var calls: [Call] { state.withLock { $0.calls } }
    var committedOffsets: [TopicPartitionOffset] { state.withLock { $0.committedOffsets } }
    func records(_ topic: String) -> [ProducerRecord] { state.withLock { $0.topics[topic] ?? [] } }

    /// Records the call and returns the fault injected for it, if any.
    private func enter(_ call: Call) -> Fault? {
        let fault = state.withLock { state -> Fault? in
            state.calls.append(call)
            let occurrence = state.calls.filter { $0 == call }.count
            return state.faults[call]?[occurrence]
        }
        if fault != nil { onFault(call) }
        return fault
    }

    private func failIfInjected(_ call: Call) throws(KafkaError) {
        if case .fail(let error) = enter(call) { throw error }
    }

    func produce(_ records: [ProducerRecord]) async throws(KafkaError) -> [DeliveryReport] {
        var refused: (KafkaError, @Sendable (ProducerRecord) -> Bool)?
        switch enter(.produce) {
        case .fail(let error): throw error
        case .report(let error, let matching): refused = (error, matching)
        case nil: break
        }
        return state.withLock { state in
            records.map { record in
                if let (error, matching) = refused, matching(record) {
                    return DeliveryReport(topic: record.topic, partition: 0, offset: nil, error: error)
                }
                if state.open != nil {
                    state.open!.append(record)
                    return DeliveryReport(topic: record.topic, partition: 0, offset: nil, error: nil)
                }
                state.topics[record.topic, default: []].append(record)
                let offset = Int64(state.topics[record.topic]!.count - 1)
                return DeliveryReport(topic: record.topic, partition: 0, offset: offset, error: nil)
            }
        }
    }

    func commitOffsets(_ offsets: [TopicPartitionOffset]) async {
        _ = enter(.commitOffsets)
        state.withLock { $0.committedOffsets.append(contentsOf: offsets) }
    }

    func beginTransaction() async throws(KafkaError) {
        try failIfInjected(.beginTransaction)
        state.withLock { $0.open = [] }
    }

    func sendOffsetsToTransaction(_ offsets: [TopicPartitionOffset]) async throws(KafkaError) {
        try failIfInjected(.sendOffsetsToTransaction)
        state.withLock { $0.committedOffsets.append(contentsOf: offsets) }
    }

    func commitTransaction() async throws(KafkaError) {
        try failIfInjected(.commitTransaction)
        state.withLock { state in
            for record in state.open ?? [] { state.topics[record.topic, default: []].append(record) }
            state.open = nil
        }
    }

    func abortTransaction() async {
        _ = enter(.abortTransaction)
        state.withLock { $0.open = nil }
    }

    func read(from starts: [TopicPartitionOffset], _ handle: (KafkaMessage) throws -> Void) async throws {
        try failIfInjected(.read)
        for start in starts {
            let records = self.records(start.topic)
            let first = max(0, Int(start.offset.rawValue))
            for (offset, record) in records.enumerated().dropFirst(first) {
                try handle(
                    KafkaMessage(
                        topic: record.topic, partition: start.partition, offset: Int64(offset), key: record.key,
                        value: record.value, headers: record.headers))
            }
        }
    }
}
