import DequeModule
import Synchronization

/// What a ``KafkaConsumer`` delivers, in order.
package enum KafkaConsumerEvent: Sendable {
    /// A batch of messages (at most `maxBatchSize`), in offset order per partition.
    case messages([KafkaMessage])
    /// Partitions were assigned, revoked or lost. A revocation must be acknowledged.
    case rebalance(KafkaRebalanceEvent)
    /// Assign mode only: every partition has been read up to the end offsets that existed at start.
    /// Delivered once; the consumer keeps following the topics afterwards.
    case caughtUp
}

/// A change of the consumer's assignment.
///
/// For ``Kind/revoked`` and ``Kind/lost`` the poll thread waits, before librdkafka unassigns the
/// partitions, until ``acknowledge()`` is called (or `rebalanceAcknowledgementTimeout` passes, or the
/// events sequence is abandoned). Finish in-flight work for ``partitions``, produce and commit, then
/// acknowledge. Buffered messages of revoked partitions that were not yet delivered are dropped (the
/// next owner reads them from the committed offset). After a ``Kind/lost`` event commits fail: discard
/// uncommitted work instead.
package struct KafkaRebalanceEvent: Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case assigned
        case revoked
        /// Revoked without a chance to commit (session timeout, fencing, poll interval exceeded).
        case lost
    }

    package enum RebalanceProtocol: Sendable, Hashable {
        /// Eager (range, roundrobin): every rebalance revokes the whole assignment first.
        case eager
        /// Cooperative (cooperative-sticky): only moved partitions are revoked/assigned.
        case cooperative
        /// Assign mode, no group protocol.
        case none
    }

    package var kind: Kind
    /// The partitions assigned or revoked by this event (not the whole assignment, for cooperative).
    package var partitions: [TopicPartition]
    package var rebalanceProtocol: RebalanceProtocol
    let acknowledgement: RebalanceAcknowledgement?

    init(
        kind: Kind, partitions: [TopicPartition], rebalanceProtocol: RebalanceProtocol,
        acknowledgement: RebalanceAcknowledgement?
    ) {
        self.kind = kind
        self.partitions = partitions
        self.rebalanceProtocol = rebalanceProtocol
        self.acknowledgement = acknowledgement
    }

    /// Lets librdkafka proceed with the revocation. Idempotent; a no-op for assignments.
    package func acknowledge() {
        acknowledgement?.acknowledge()
    }

    package var description: String { "\(kind) \(partitions.map(\.description).joined(separator: ","))" }
}

/// The poll thread's side of a revocation hand-shake.
final class RebalanceAcknowledgement: Sendable {
    private let done = Atomic<Bool>(false)
    private let pipe: WakeupPipe

    init(pipe: WakeupPipe) { self.pipe = pipe }

    func acknowledge() {
        if !done.exchange(true, ordering: .acquiringAndReleasing) { pipe.wake() }
    }

    var isAcknowledged: Bool { done.load(ordering: .acquiring) }
}

/// The consumer's events as an `AsyncSequence`. Iterate it once (single consumer).
///
/// Ends (returns nil) when the consumer has closed and every buffered event was delivered; throws a
/// ``KafkaError`` if the consumer failed (fatal error, incompatible broker). If the iterating task is
/// cancelled, `next()` returns nil and pending revocations no longer wait for acknowledgement.
package struct KafkaConsumerEvents: AsyncSequence, Sendable {
    package typealias Element = KafkaConsumerEvent
    let buffer: ConsumerEventBuffer

    package func makeAsyncIterator() -> AsyncIterator {
        buffer.claimIterator()
        return AsyncIterator(token: IteratorToken(buffer: buffer))
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        let token: IteratorToken

        package mutating func next() async throws -> KafkaConsumerEvent? {
            try await token.buffer.next()
        }
    }

    /// Marks the sequence abandoned when the (only) iterator goes away.
    final class IteratorToken: Sendable {
        let buffer: ConsumerEventBuffer
        init(buffer: ConsumerEventBuffer) { self.buffer = buffer }
        deinit { buffer.detach() }
    }
}

/// Bounded hand-off from the poll thread to the single async consumer.
///
/// The poll thread appends whole batches (one lock and at most one continuation resume per batch, no
/// per-message synchronisation). When `bufferedMessages` reaches `capacity` it stops taking messages
/// from librdkafka and sleeps until the consumer has drained half of it.
final class ConsumerEventBuffer: Sendable {
    private struct State {
        var events = Deque<KafkaConsumerEvent>()
        var bufferedMessages = 0
        var waiter: CheckedContinuation<Result<KafkaConsumerEvent?, KafkaError>, Never>?
        var pollThreadWaitsForSpace = false
        var finished = false
        var failure: KafkaError?
        var detached = false
        var iteratorClaimed = false
    }

    let capacity: Int
    private let pipe: WakeupPipe
    private let state = Mutex(State())

    init(capacity: Int, pipe: WakeupPipe) {
        self.capacity = capacity
        self.pipe = pipe
    }

    var bufferedMessageCount: Int { state.withLock { $0.bufferedMessages } }

    /// Whether nobody is (or will be) reading the events any more.
    var isDetached: Bool { state.withLock { $0.detached } }

    func claimIterator() {
        state.withLock { state in
            precondition(!state.iteratorClaimed, "KafkaConsumer.events supports a single iterator")
            state.iteratorClaimed = true
        }
    }

    // MARK: Poll thread side

    /// True if the poll thread may take more messages; otherwise records that it waits for space.
    func reserveSpace() -> Bool {
        state.withLock { state in
            if state.bufferedMessages < capacity || state.detached && state.bufferedMessages < capacity * 2 {
                return true
            }
            state.pollThreadWaitsForSpace = true
            return false
        }
    }

    func append(_ event: KafkaConsumerEvent) {
        let count = if case .messages(let batch) = event { batch.count } else { 0 }
        let waiter = state.withLock { state -> CheckedContinuation<Result<KafkaConsumerEvent?, KafkaError>, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.events.append(event)
            state.bufferedMessages += count
            return nil
        }
        waiter?.resume(returning: .success(event))
    }

    /// Drops buffered, undelivered messages of `partitions` (revoked or re-positioned by a seek).
    func purge(_ partitions: Set<TopicPartition>) {
        guard !partitions.isEmpty else { return }
        state.withLock { state in
            var kept = Deque<KafkaConsumerEvent>()
            var count = 0
            for event in state.events {
                guard case .messages(let batch) = event else {
                    kept.append(event)
                    continue
                }
                let remaining = batch.filter { !partitions.contains(TopicPartition($0.topic, $0.partition)) }
                if !remaining.isEmpty {
                    kept.append(.messages(remaining))
                    count += remaining.count
                }
            }
            state.events = kept
            state.bufferedMessages = count
        }
    }

    /// Ends the sequence after the buffered events (with `failure`, if any, thrown after them).
    func finish(failure: KafkaError?) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<KafkaConsumerEvent?, KafkaError>, Never>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            defer { state.waiter = nil }
            return state.waiter
        }
        if let failure {
            waiter?.resume(returning: .failure(failure))
        } else {
            waiter?.resume(returning: .success(nil))
        }
    }

    // MARK: Consumer side

    func next() async throws -> KafkaConsumerEvent? {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enum Immediate {
                    case value(Result<KafkaConsumerEvent?, KafkaError>)
                    case wait
                }
                var wakePollThread = false
                let immediate = state.withLock { state -> Immediate in
                    if let event = state.events.popFirst() {
                        if case .messages(let batch) = event { state.bufferedMessages -= batch.count }
                        if state.pollThreadWaitsForSpace && state.bufferedMessages <= capacity / 2 {
                            state.pollThreadWaitsForSpace = false
                            wakePollThread = true
                        }
                        return .value(.success(event))
                    }
                    if state.finished {
                        if let failure = state.failure {
                            state.failure = nil
                            return .value(.failure(failure))
                        }
                        return .value(.success(nil))
                    }
                    if Task.isCancelled {
                        state.detached = true
                        return .value(.success(nil))
                    }
                    if state.pollThreadWaitsForSpace {
                        state.pollThreadWaitsForSpace = false
                        wakePollThread = true
                    }
                    state.waiter = continuation
                    return .wait
                }
                if wakePollThread { pipe.wake() }
                if case .value(let value) = immediate { continuation.resume(returning: value) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.detached = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: .success(nil))
            pipe.wake()
        }
        return try result.get()
    }

    func detach() {
        state.withLock { $0.detached = true }
        pipe.wake()
    }
}
