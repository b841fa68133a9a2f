import Foundation
package import KafkaClient
package import Logging

/// Reads whole topics once, from the beginning to the end offsets that existed when reading started,
/// without joining a group and without committing anything.
package struct TopicReader: Sendable {
    package let connection: BrokerConnection
    package let logger: Logger
    /// Fails with a connection error if the topics are not read by then (brokers gone mid-way).
    package var deadline: Duration

    package init(connection: BrokerConnection, logger: Logger, deadline: Duration = .seconds(120)) {
        self.connection = connection
        self.logger = logger
        self.deadline = deadline
    }

    /// Folds every message of `topics` into `state`, in offset order per partition.
    package func read<State: Sendable>(
        _ topics: [String], into state: State, _ fold: @escaping @Sendable (inout State, KafkaMessage) -> Void
    ) async throws(OpsError) -> State {
        let consumer = try connection.makeReader(.allPartitions(topics: topics), logger: logger)
        let limit = deadline
        let outcome: State?
        do {
            outcome = try await withThrowingTaskGroup(of: State?.self) { group in
                group.addTask {
                    var state = state
                    for try await event in consumer.events {
                        switch event {
                        case .messages(let batch): for message in batch { fold(&state, message) }
                        case .caughtUp: return state
                        case .rebalance: break
                        }
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                let first = try await group.next() ?? nil
                consumer.shutdown()
                group.cancelAll()
                return first
            }
        } catch let error as KafkaError {
            await consumer.close()
            throw connection.failure(error, while: "reading \(topics.joined(separator: ", "))")
        } catch {
            await consumer.close()
            throw OpsError.connection("reading \(topics.joined(separator: ", ")) failed: \(error)")
        }
        await consumer.close()
        guard let outcome else {
            throw OpsError.connection(
                "could not read \(topics.joined(separator: ", ")) to its end within \(limit) from \(connection.serversDescription)"
            )
        }
        return outcome
    }
}
