import Foundation
package import KafkaClient
package import Logging

/// How the operations commands reach the brokers: bootstrap servers, a bound on every request,
/// and librdkafka properties passed through (`--kafka security.protocol=SASL_SSL` …).
package struct BrokerConnection: Sendable {
    package var bootstrapServers: [String]
    /// Every admin request fails after this long, so an unreachable broker is reported within seconds.
    package var requestTimeout: Duration
    package var additionalConfig: [String: String]

    package init(
        bootstrapServers: [String], requestTimeout: Duration = .seconds(5), additionalConfig: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.requestTimeout = requestTimeout
        self.additionalConfig = additionalConfig
    }

    /// Parses `HOST:PORT[,HOST:PORT…]`.
    package static func parseServers(_ text: String) throws(OpsError) -> [String] {
        let servers = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !servers.isEmpty else { throw .usage("--brokers needs HOST:PORT[,HOST:PORT…]") }
        for server in servers {
            guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]),
                (1...65535).contains(port), colon != server.startIndex
            else {
                throw .usage("--brokers: '\(server)' is not HOST:PORT")
            }
        }
        return servers
    }

    /// Parses `KEY=VALUE` librdkafka properties.
    package static func parseProperties(_ pairs: [String]) throws(OpsError) -> [String: String] {
        var properties: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw .usage("--kafka: '\(pair)' is not KEY=VALUE")
            }
            properties[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return properties
    }

    package var serversDescription: String { bootstrapServers.joined(separator: ",") }

    package func makeAdmin(logger: Logger) throws(OpsError) -> KafkaAdminClient {
        var configuration = KafkaAdminConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = "toxctl"
        configuration.requestTimeout = requestTimeout
        configuration.additionalConfig = additionalConfig
        do {
            return try KafkaAdminClient(configuration: configuration, logger: logger)
        } catch {
            throw .usage("cannot configure the Kafka client: \(error.message)")
        }
    }

    package func makeProducer(logger: Logger, tune: (inout KafkaProducerConfiguration) -> Void = { _ in })
        throws(OpsError)
        -> KafkaProducer
    {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = "toxctl"
        configuration.additionalConfig = additionalConfig
        tune(&configuration)
        do {
            return try KafkaProducer(configuration: configuration, logger: logger)
        } catch {
            throw .usage("cannot configure the Kafka producer: \(error.message)")
        }
    }

    package func makeReader(_ strategy: KafkaConsumerConfiguration.ConsumptionStrategy, logger: Logger) throws(OpsError)
        -> KafkaConsumer
    {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, strategy: strategy)
        configuration.clientID = "toxctl"
        configuration.isolationLevel = .readUncommitted
        configuration.additionalConfig = additionalConfig
        do {
            return try KafkaConsumer(configuration: configuration, logger: logger)
        } catch {
            throw .usage("cannot configure the Kafka consumer: \(error.message)")
        }
    }

    /// Sorts a Kafka failure into the exit statuses: everything from the brokers is a connection problem (2).
    package func failure(_ error: KafkaError, while doing: String) -> OpsError {
        switch error.code {
        case .transport, .timedOut:
            return .connection(
                "cannot reach the brokers at \(serversDescription) (\(doing)): \(error.message). "
                    + "Check --brokers and that the brokers are running.")
        case .brokerProtocolIncompatible:
            return .connection(
                "the brokers at \(serversDescription) speak a protocol librdkafka 2.0.2 cannot parse: \(error.message)")
        case .authentication:
            return .connection(
                "the brokers at \(serversDescription) refused the credentials (\(doing)): \(error.message)")
        default:
            return .connection("\(doing) failed at \(serversDescription): \(error.message)")
        }
    }

    /// Fails fast with a clear message when the brokers cannot be reached at all.
    package func checkReachable(_ admin: KafkaAdminClient) async throws(OpsError) -> KafkaClusterMetadata {
        do {
            return try await admin.metadata()
        } catch {
            throw failure(error, while: "reading the cluster metadata")
        }
    }
}
