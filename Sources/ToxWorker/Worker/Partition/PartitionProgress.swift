import Synchronization

/// Whether an owned partition is being served: the last time its task finished work on its
/// inputs, and since when it has had lag without any such progress.
///
/// The partition task calls ``noteProgress()`` after each batch of inputs it made durable; the
/// worker's progress watch calls ``observe(lag:now:stallTimeout:)`` with the partition's lag
/// (records fetched but not processed, plus records not fetched yet). A partition with lag and no
/// progress for longer than the stall timeout is stalled: `/health` then reports the worker not
/// ready, so a supervisor can act on a partition that is owned but never served.
package final class PartitionProgress: Sendable {
    private struct State {
        var lastProgress = ContinuousClock.now
        var lag: Int64 = 0
        var stalled = false
    }

    private let state = Mutex(State())

    package init() {}

    /// The task made inputs durable (or finished restoring).
    package func noteProgress() {
        state.withLock { state in
            state.lastProgress = .now
            state.stalled = false
        }
    }

    /// Records the partition's lag now and returns whether it is stalled: lag above zero and no
    /// progress for longer than `stallTimeout`. A partition without lag is idle, never stalled.
    @discardableResult
    package func observe(lag: Int64, now: ContinuousClock.Instant = .now, stallTimeout: Duration) -> Bool {
        state.withLock { state in
            state.lag = lag
            if lag <= 0 {
                state.lastProgress = now
                state.stalled = false
            } else {
                state.stalled = now - state.lastProgress > stallTimeout
            }
            return state.stalled
        }
    }

    /// Whether the last observation found the partition stalled.
    package var isStalled: Bool { state.withLock { $0.stalled } }

    /// The lag of the last observation.
    package var lag: Int64 { state.withLock { $0.lag } }

    /// How long ago the task last made progress.
    package func sinceLastProgress(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { now - $0.lastProgress }
    }
}
