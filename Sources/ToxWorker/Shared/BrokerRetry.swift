import KafkaClient
package import Logging
import ServiceLifecycle

/// Start-up against brokers that may not be reachable yet (a Kafka outage, a worker booted before
/// the cluster): the attempt is repeated with back-off (1 s doubling to 30 s) while the process
/// keeps serving `/health` as not ready. Only a failure that a person has to fix (bad settings,
/// missing or mismatched topics, an incompatible broker) ends the process, with status 2.
package enum BrokerRetry {
    /// Whether a start-up failure means the brokers could not be reached (so trying again can help).
    package static func isUnreachable(_ error: any Error) -> Bool {
        guard let error = error as? KafkaError else { return false }
        if error.code == .brokerProtocolIncompatible || error.code == .authentication
            || error.code == .invalidConfiguration
        {
            return false
        }
        return error.isRetriable
            || [.transport, .timedOut, .coordinatorUnavailable, .leaderNotAvailable].contains(error.code)
    }

    /// Runs `attempt` until it succeeds or fails for a reason other than unreachable brokers.
    /// - Returns: nil when a graceful shutdown began while waiting to try again.
    package static func untilReachable<T: Sendable>(
        logger: Logger, _ attempt: () async throws -> T
    ) async throws -> T? {
        var failures = 0
        while true {
            do {
                return try await attempt()
            } catch  where isUnreachable(error) {
                failures += 1
                let delay = RetryPolicy.brokers.delay(afterFailures: failures)
                logger.warning(
                    "brokers unreachable; not ready, trying again",
                    metadata: [
                        "error": "\(error)", "attempt": "\(failures)", "retry.seconds": "\(delay.components.seconds)",
                    ])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                if Task.isShuttingDownGracefully || Task.isCancelled { return nil }
            }
        }
    }
}
