import Logging
import ServiceLifecycle
import Synchronization

/// Runs a pipeline as a service of the group until it ends, or until the group cancels it: a
/// second SIGTERM/SIGINT (the group's cancellation signals) or a graceful shutdown outlasting
/// `shutdownGraceSeconds` (its `maximumGracefulShutdownDuration`). Cancelled, it returns at once and
/// abandons the in-flight batches (their inputs are not committed, so the partitions' next owners
/// process them): a drain blocked on an unresponsive broker, in librdkafka calls that do not observe
/// cancellation, cannot hold the process.
final class AbandonableService<Pipeline: Service>: Service {
    private let pipeline: Pipeline
    private let shutdownGrace: Duration?
    private let logger: Logger
    private struct State {
        var gracefulShutdownAt: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, any Error>?
        var outcome: Result<Void, any Error>?
        var abandoned = false
    }
    private let state = Mutex(State())

    init(_ pipeline: Pipeline, shutdownGrace: Duration?, logger: Logger) {
        self.pipeline = pipeline
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    /// Whether the pipeline was abandoned (the process then exits with status 130).
    var wasAbandoned: Bool { state.withLock { $0.abandoned } }

    func run() async throws {
        // The pipeline runs in a task of its own (it inherits the graceful-shutdown context, not
        // the cancellation), so that this service can return while it is still draining.
        let pipeline = self.pipeline
        let work = Task { try await pipeline.run() }
        Task { [self] in
            let outcome: Result<Void, any Error>
            do {
                try await work.value
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                state.outcome = outcome
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: outcome)
        }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let outcome = state.withLock { state -> Result<Void, any Error>? in
                        if state.outcome == nil && !state.abandoned { state.waiter = continuation }
                        return state.abandoned ? .failure(CancellationError()) : state.outcome
                    }
                    if let outcome { continuation.resume(with: outcome) }
                }
            } onCancel: {
                abandon()
            }
        } onGracefulShutdown: { [self] in
            state.withLock { $0.gracefulShutdownAt = .now }
        }
    }

    private func abandon() {
        let (waiter, since) = state.withLock {
            state -> (CheckedContinuation<Void, any Error>?, ContinuousClock.Instant?) in
            guard state.outcome == nil, !state.abandoned else { return (nil, nil) }
            state.abandoned = true
            defer { state.waiter = nil }
            return (state.waiter, state.gracefulShutdownAt)
        }
        guard let since else {
            // Cancelled for another reason (another service of the group failed): nothing to tell.
            waiter?.resume(throwing: CancellationError())
            return
        }
        if let shutdownGrace, ContinuousClock.now - since >= shutdownGrace {
            logger.warning(
                "graceful shutdown still running after shutdownGraceSeconds: exiting without waiting for in-flight batches",
                metadata: ["shutdown.grace": "\(shutdownGrace)"])
        } else {
            logger.warning("second signal received: exiting without waiting for in-flight batches")
        }
        waiter?.resume(throwing: CancellationError())
    }
}
