import DequeModule
import Synchronization

/// The bounded hand-off between the poll loop and one partition task.
///
/// The poll loop never waits on it: ``deliver(_:)`` appends and reports whether the inbox has
/// reached its high-water mark, so the caller can pause fetching that partition in librdkafka
/// (which then stops delivering it, losing nothing). The partition task takes everything queued,
/// up to a batch size, with ``nextBatch(maxCount:)``; when that drains the inbox below the
/// low-water mark, ``resumeHandler`` is called once so fetching can resume.
package final class PartitionInbox<Element: Sendable>: Sendable {
    private struct State {
        var queue: Deque<Element> = []
        var waiter: CheckedContinuation<[Element]?, Never>?
        var waiterMaxCount = 0
        var paused = false
        var finished = false
    }

    private let state = Mutex(State())
    private let highWaterMark: Int
    private let lowWaterMark: Int
    private let resumeHandler: @Sendable () -> Void

    /// - Parameters:
    ///   - highWaterMark: queued elements at which ``deliver(_:)`` asks the caller to pause.
    ///   - lowWaterMark: queued elements below which a paused inbox calls `resumeHandler`.
    ///   - resumeHandler: called (on the partition task) when a paused inbox has drained.
    package init(highWaterMark: Int, lowWaterMark: Int, resumeHandler: @escaping @Sendable () -> Void) {
        precondition(lowWaterMark < highWaterMark, "the low-water mark must be below the high-water mark")
        self.highWaterMark = highWaterMark
        self.lowWaterMark = lowWaterMark
        self.resumeHandler = resumeHandler
    }

    /// Appends elements in order. Returns `true` when the caller should pause fetching (the inbox
    /// just reached its high-water mark); the inbox then counts as paused until it drains.
    @discardableResult
    package func deliver(_ elements: some Collection<Element>) -> Bool {
        guard !elements.isEmpty else { return false }
        var handOff: (waiter: CheckedContinuation<[Element]?, Never>, batch: [Element])?
        let shouldPause = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.queue.append(contentsOf: elements)
            if let waiter = state.waiter {
                state.waiter = nil
                handOff = (waiter, Self.take(&state.queue, max: state.waiterMaxCount))
            }
            guard !state.paused, state.queue.count >= highWaterMark else { return false }
            state.paused = true
            return true
        }
        if let handOff { handOff.waiter.resume(returning: handOff.batch) }
        return shouldPause
    }

    /// Waits for the next batch of up to `maxCount` elements; `nil` once ``finish()`` was called and
    /// everything delivered before it has been taken.
    package func nextBatch(maxCount: Int) async -> [Element]? {
        let (batch, resume) = state.withLock { state -> ([Element]?, Bool) in
            guard !state.queue.isEmpty else { return (nil, false) }
            let batch = Self.take(&state.queue, max: maxCount)
            return (batch, drained(&state))
        }
        if let batch {
            if resume { resumeHandler() }
            return batch
        }
        let received: [Element]? = await withCheckedContinuation { continuation in
            let immediate: [Element]?? = state.withLock { state in
                if !state.queue.isEmpty { return .some(Self.take(&state.queue, max: maxCount)) }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                state.waiterMaxCount = maxCount
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        if received != nil, state.withLock({ drained(&$0) }) { resumeHandler() }
        return received
    }

    /// Ends the inbox: queued and later deliveries are dropped (whoever owns the partition next
    /// reads them again from the committed offset), and a waiting task receives `nil`.
    /// - Returns: how many queued elements were dropped.
    @discardableResult
    package func finish() -> Int {
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<[Element]?, Never>?, Int) in
            state.finished = true
            let waiter = state.waiter
            state.waiter = nil
            let dropped = state.queue.count
            state.queue.removeAll()
            return (waiter, dropped)
        }
        waiter?.resume(returning: nil)
        return dropped
    }

    /// Number of queued elements.
    package var count: Int { state.withLock { $0.queue.count } }

    /// Whether ``finish()`` was called (the partition is being revoked).
    package var isFinished: Bool { state.withLock { $0.finished } }

    /// Whether the inbox asked its caller to pause and has not yet drained.
    package var isPaused: Bool { state.withLock { $0.paused } }

    private func drained(_ state: inout State) -> Bool {
        guard state.paused, state.queue.count < lowWaterMark else { return false }
        state.paused = false
        return true
    }

    private static func take(_ queue: inout Deque<Element>, max: Int) -> [Element] {
        let count = Swift.min(max, queue.count)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }
}
