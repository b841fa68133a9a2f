import Foundation
import KafkaClient
import Logging

/// Reads given partitions from given offsets up to their end offsets at the time of the call,
/// without a consumer group (restore and output-tail scans).
enum PartitionReader {
    static func read(
        _ starts: [TopicPartitionOffset], configuration: WorkerConfiguration, logger: Logger,
        _ handle: (KafkaMessage) throws -> Void
    ) async throws {
        var consumerConfiguration = configuration.clients.consumer(.partitions(starts))
        consumerConfiguration.isolationLevel =
            configuration.processingGuarantee == .transactions ? .readCommitted : .readUncommitted
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        do {
            loop: for try await event in consumer.events {
                switch event {
                case .messages(let batch):
                    for message in batch { try handle(message) }
                case .caughtUp:
                    break loop
                case .rebalance:
                    continue
                }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }
}

extension WorkerConfiguration {
    /// The bootstrap servers as a list.
    package var brokerList: [String] { KafkaClients.brokerList(brokers) }

    /// The worker's Kafka clients' settings.
    package var clients: KafkaClients { KafkaClients(brokers: brokers, properties: kafka, pipeline: pipeline) }
}
