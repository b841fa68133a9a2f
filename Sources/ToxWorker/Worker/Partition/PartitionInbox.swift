import DequeModule
import Synchronization

/// The bounded hand-off between the poll loop and one partition task.
///
/// The poll loop never waits on it: ``deliver(_:)`` appends, and when the inbox reaches its
/// high-water mark it asks its ``FlowControl`` to pause fetching that partition in librdkafka
/// (which then stops delivering it, losing nothing). The partition task takes everything queued,
/// up to a batch size, with ``nextBatch(maxCount:)``; when that drains the inbox below the
/// low-water mark, the inbox asks to resume. ``finish()`` resumes a paused inbox too, so a
/// partition handed back to the group is never left paused.
///
/// Pause and resume requests are made while the inbox holds its lock: they reach librdkafka in the
/// order the inbox changed state, so a resume can never overtake the pause it answers.
package final class PartitionInbox<Element: Sendable>: Sendable {
    /// What the inbox asks of whoever fetches its partition.
    package enum FlowControl: Sendable, Equatable {
        case pause
        case resume
    }

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
    private let flowControl: @Sendable (FlowControl) -> Void

    /// - Parameters:
    ///   - highWaterMark: queued elements at which the inbox asks to pause.
    ///   - lowWaterMark: queued elements below which a paused inbox asks to resume.
    ///   - flowControl: pauses or resumes fetching; called with the inbox's lock held, so it must
    ///     return promptly and never call back into the inbox.
    package init(highWaterMark: Int, lowWaterMark: Int, flowControl: @escaping @Sendable (FlowControl) -> Void) {
        precondition(lowWaterMark < highWaterMark, "the low-water mark must be below the high-water mark")
        self.highWaterMark = highWaterMark
        self.lowWaterMark = lowWaterMark
        self.flowControl = flowControl
    }

    /// Appends elements in order. Returns `true` when this delivery paused the inbox (it just
    /// reached its high-water mark); the inbox then counts as paused until it drains or finishes.
    @discardableResult
    package func deliver(_ elements: some Collection<Element>) -> Bool {
        guard !elements.isEmpty else { return false }
        var handOff: (waiter: CheckedContinuation<[Element]?, Never>, batch: [Element])?
        let paused = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.queue.append(contentsOf: elements)
            if let waiter = state.waiter {
                state.waiter = nil
                handOff = (waiter, Self.take(&state.queue, max: state.waiterMaxCount))
            }
            guard !state.paused, state.queue.count >= highWaterMark else { return false }
            state.paused = true
            flowControl(.pause)
            return true
        }
        if let handOff { handOff.waiter.resume(returning: handOff.batch) }
        return paused
    }

    /// Waits for the next batch of up to `maxCount` elements; `nil` once ``finish()`` was called and
    /// everything delivered before it has been taken.
    package func nextBatch(maxCount: Int) async -> [Element]? {
        let batch = state.withLock { state -> [Element]? in
            guard !state.queue.isEmpty else { return nil }
            let batch = Self.take(&state.queue, max: maxCount)
            resumeIfDrained(&state)
            return batch
        }
        if let batch { return batch }
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
        if received != nil { state.withLock { resumeIfDrained(&$0) } }
        return received
    }

    /// Ends the inbox: queued and later deliveries are dropped (whoever owns the partition next
    /// reads them again from the committed offset), a waiting task receives `nil`, and a paused
    /// inbox asks to resume (a pause must not outlive the inbox that asked for it).
    /// - Returns: how many queued elements were dropped.
    @discardableResult
    package func finish() -> Int {
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<[Element]?, Never>?, Int) in
            state.finished = true
            if state.paused {
                state.paused = false
                flowControl(.resume)
            }
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

    private func resumeIfDrained(_ state: inout State) {
        guard state.paused, state.queue.count < lowWaterMark else { return }
        state.paused = false
        flowControl(.resume)
    }

    private static func take(_ queue: inout Deque<Element>, max: Int) -> [Element] {
        let count = Swift.min(max, queue.count)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }
}
