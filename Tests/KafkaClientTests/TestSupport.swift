import Foundation
import KafkaClient
import Logging
import Testing

/// Helpers shared by the KafkaClient tests. Every test runs its own in-process mock cluster.
enum TestSupport {
    /// A logger for the clients under test: errors to stderr (set KAFKA_TEST_LOG=debug for more).
    static func logger(_ label: String = "kafka-test") -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Consumer configuration tuned for fast group operations on the mock cluster.
    static func groupConsumer(
        _ cluster: EmbeddedKafkaCluster, group: String, topics: [String],
        assignment: KafkaConsumerConfiguration.AssignmentStrategy = .range
    ) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServerList, strategy: .group(id: group, topics: topics))
        configuration.assignmentStrategy = assignment
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .milliseconds(300)
        configuration.rebalanceAcknowledgementTimeout = .seconds(30)
        return configuration
    }

    static func producer(
        _ cluster: EmbeddedKafkaCluster, logger: Logger = logger(),
        configure: (inout KafkaProducerConfiguration) -> Void = { _ in }
    ) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        configuration.linger = .milliseconds(1)
        configure(&configuration)
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    static func record(
        _ topic: String, partition: Int? = nil, key: String?, value: String, headers: [KafkaHeader] = []
    ) -> ProducerRecord {
        ProducerRecord(
            topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: Array(value.utf8),
            headers: headers)
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing with `TimeoutError` after `seconds` (a generous guard, never an assertion on speed).
func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            // The deadline of a call that may hang: there is no condition to wait for, only time.
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TimeoutError(what: what)
        }
        group.cancelAll()
        return value
    }
}

extension KafkaMessage {
    var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// What a consumer saw.
struct Collected: Sendable {
    var messages: [KafkaMessage] = []
    var rebalances: [KafkaRebalanceEvent] = []
    var caughtUp = false
}

/// An events iterator that can be resumed across several `collect` calls.
final class EventReader: @unchecked Sendable {
    // Used by one test task at a time.
    private var iterator: KafkaConsumerEvents.AsyncIterator
    let consumer: KafkaConsumer

    init(_ consumer: KafkaConsumer) {
        self.consumer = consumer
        self.iterator = consumer.events.makeAsyncIterator()
    }

    /// Closes the consumer while still reading (and acknowledging) the final revocation, until the events end.
    func close(onRevoke: (@Sendable (KafkaRebalanceEvent, Collected) async throws -> Void)? = nil) async throws {
        consumer.shutdown()
        _ = try await collect(timeout: 30, "the consumer closes", onRevoke: onRevoke) { _ in false }
        await consumer.close()
    }

    /// Reads events, acknowledging revocations (after `onRevoke`), until `stop` holds or the events end.
    func collect(
        timeout: Double = 30, _ what: String = "messages",
        onRevoke: (@Sendable (KafkaRebalanceEvent, Collected) async throws -> Void)? = nil,
        until stop: @escaping @Sendable (Collected) -> Bool
    ) async throws -> Collected {
        try await withTimeout(timeout, what) {
            var seen = Collected()
            while !stop(seen) {
                guard let event = try await self.iterator.next() else { break }
                switch event {
                case .messages(let batch): seen.messages += batch
                case .rebalance(let change):
                    seen.rebalances.append(change)
                    if change.kind != .assigned {
                        try await onRevoke?(change, seen)
                        change.acknowledge()
                    }
                case .caughtUp: seen.caughtUp = true
                }
            }
            return seen
        }
    }
}
