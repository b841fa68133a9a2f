/// Exponential back-off between attempts of an operation that failed for a transient reason:
/// `first`, doubling after each further failure, never more than `maximum`.
package struct RetryPolicy: Sendable, Equatable {
    /// The delay after the first failure.
    package var first: Duration
    /// The longest delay.
    package var maximum: Duration

    package init(first: Duration, maximum: Duration) {
        self.first = first
        self.maximum = maximum
    }

    /// Writing a batch (worker phases 1–3, ingest's produce): 200 ms doubling to 5 s.
    package static let batch = RetryPolicy(first: .milliseconds(200), maximum: .seconds(5))
    /// Reaching the brokers at start-up: 1 s doubling to 30 s.
    package static let brokers = RetryPolicy(first: .seconds(1), maximum: .seconds(30))

    /// The delay after `failures` consecutive failures (1 for the first).
    package func delay(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 30)
        var delay = first
        for _ in 0..<doublings {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}
