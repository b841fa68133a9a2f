import Foundation
package import KafkaClient
package import Logging

/// How `toxd` and `toxd ingest` configure their Kafka clients, in one place: the bootstrap
/// servers, a client id, and the librdkafka properties of the settings passed through, less those
/// a client's role fixes (a group id for a reader without a group, the worker's assignor …), over
/// the batching and fetch settings (``KafkaPipelineSettings``).
package struct KafkaClients: Sendable {
    package var brokers: [String]
    /// librdkafka properties from the settings (`kafka:`, `TOXD_KAFKA_*`, `--kafka`).
    package var properties: [String: String]
    /// Batching and fetching, under `properties`.
    package var pipeline: KafkaPipelineSettings

    package init(brokers: String, properties: [String: String], pipeline: KafkaPipelineSettings = .init()) {
        self.brokers = Self.brokerList(brokers)
        self.properties = properties
        self.pipeline = pipeline
    }

    /// `HOST:PORT[,HOST:PORT…]` as a list.
    package static func brokerList(_ brokers: String) -> [String] {
        brokers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func passedThrough(excluding excluded: Set<String>) -> [String: String] {
        properties.filter { !excluded.contains($0.key) }
    }

    /// A consumer: of a group, or a reader of given partitions without one.
    package func consumer(
        _ strategy: KafkaConsumerConfiguration.ConsumptionStrategy, clientID: String? = nil,
        excluding excluded: Set<String> = []
    ) -> KafkaConsumerConfiguration {
        var consumer = KafkaConsumerConfiguration(bootstrapServers: brokers, strategy: strategy)
        if let clientID { consumer.clientID = clientID }
        pipeline.apply(to: &consumer, passedThrough: passedThrough(excluding: excluded))
        return consumer
    }

    /// A producer; `fixed` properties override the settings' ones.
    package func producer(
        clientID: String, excluding excluded: Set<String> = [], fixed: [String: String] = [:]
    ) -> KafkaProducerConfiguration {
        var producer = KafkaProducerConfiguration(bootstrapServers: brokers)
        producer.clientID = clientID
        pipeline.apply(
            to: &producer, passedThrough: passedThrough(excluding: excluded).merging(fixed) { _, fixed in fixed })
        return producer
    }

    /// The cluster's metadata, read with an admin client that is closed again.
    package func clusterMetadata(excluding excluded: Set<String> = [], logger: Logger) async throws
        -> KafkaClusterMetadata
    {
        var configuration = KafkaAdminConfiguration(bootstrapServers: brokers)
        configuration.additionalConfig = passedThrough(excluding: excluded)
        let admin = try KafkaAdminClient(configuration: configuration, logger: logger)
        do {
            let metadata = try await admin.metadata(topics: nil)
            await admin.close()
            return metadata
        } catch {
            await admin.close()
            throw error
        }
    }
}
