/// Waits for a condition instead of sleeping for a fixed time: polls `probe` every `interval` until
/// it returns a value, and throws ``ConditionTimeout`` naming `what` once `timeout` has passed. The
/// timeout is an upper bound for a failing test, never the time a passing one waits, so no test
/// depends on the machine's speed. `probe` may throw to give up early (a process that exited).
@discardableResult
public func eventually<Value>(
    _ what: @autoclosure () -> String, timeout: Duration, every interval: Duration = .milliseconds(50),
    _ probe: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw ConditionTimeout(what: what(), timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// ``eventually(_:timeout:every:_:)`` for a condition without a value.
public func eventually(
    _ what: @autoclosure () -> String, timeout: Duration, every interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    try await eventually(what(), timeout: timeout, every: interval) { try await condition() ? () : nil }
}

/// A condition that did not hold within its timeout.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "not within \(timeout): \(what)" }
}
