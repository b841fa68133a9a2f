import Foundation
package import KafkaClient
import ToxWatchContract

/// What `toxctl topics create` did with one topic.
package struct TopicCreation: Sendable, Hashable {
    package enum Outcome: Sendable, Hashable {
        case created
        /// It existed already with these partitions (a problem when they differ from the wanted count).
        case existed(partitions: Int)
        case failed(String)
    }

    package var topic: String
    package var partitions: Int
    package var replicationFactor: Int
    package var config: [String: String]
    package var outcome: Outcome
    /// Why this topic needs attention, if it does.
    package var problem: String?
}

/// The result of `toxctl topics create`.
package struct TopicCreationReport: Sendable, Hashable {
    package var topics: [TopicCreation]
    /// Set when the broker cannot create topics through the API (the librdkafka 2.0.2 mock).
    package var brokerCannotCreate: String?

    package var hasProblems: Bool { topics.contains { $0.problem != nil } }

    package func render(palette: Palette = .plain) -> String {
        var table = TextTable(columns: [
            .init("TOPIC"), .init("PARTITIONS", .right), .init("REPLICATION", .right), .init("CONFIGS"),
            .init("RESULT"),
        ])
        for topic in topics {
            let result: TextTable.Cell =
                switch topic.outcome {
                case .created: .init("created", style: .green)
                case .existed: .init("exists", style: topic.problem == nil ? .green : .red)
                case .failed: .init("not created", style: .red)
                }
            let configs = topic.config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            table.append([
                .init(topic.topic), .init(String(topic.partitions)), .init(String(topic.replicationFactor)),
                .init(configs.isEmpty ? "-" : configs), result,
            ])
        }
        var lines = [table.render(palette: palette)]
        if let brokerCannotCreate {
            lines.append(palette.apply(.red, "This broker cannot create topics through the API: \(brokerCannotCreate)"))
            lines.append(
                "The development broker (`toxctl dev-broker`) creates every ToxWatch topic when it starts; on a real "
                    + "cluster, check that the brokers accept CreateTopics from this client.")
        }
        let problems = topics.compactMap { topic in topic.problem.map { "\(topic.topic): \($0)" } }
        if problems.isEmpty {
            let created = topics.filter { $0.outcome == .created }.count
            lines.append(
                palette.apply(
                    .green,
                    created == 0
                        ? "All \(topics.count) topics exist."
                        : "Created \(created) topic(s); all \(topics.count) exist."))
        } else {
            lines.append(palette.apply(.red, "\(problems.count) problem(s):"))
            lines += problems.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

/// Creates and verifies the ToxWatch topics on a cluster.
package struct TopicManager: Sendable {
    package let admin: KafkaAdminClient
    package let connection: BrokerConnection

    package init(admin: KafkaAdminClient, connection: BrokerConnection) {
        self.admin = admin
        self.connection = connection
    }

    /// The topics the cluster has, and the configs of the ToxWatch ones (when the broker reports configs).
    package func observe() async throws(OpsError) -> (metadata: KafkaClusterMetadata, configs: ReportedConfigs) {
        let metadata = try await connection.checkReachable(admin)
        let names = ToxWatchTopics.all.map(\.name).filter { metadata.topic($0) != nil }
        guard !names.isEmpty else { return (metadata, .notReported(reason: "no ToxWatch topic exists")) }
        if let apis = await admin.advertisedAPIs(), apis[.describeConfigs] == nil {
            return (metadata, .notReported(reason: "the brokers do not implement DescribeConfigs"))
        }
        do {
            switch try await admin.describeTopicConfigs(names) {
            case .described(let configs): return (metadata, .reported(configs))
            case .unsupportedByBroker(let error):
                return (metadata, .notReported(reason: "no DescribeConfigs: \(error.message)"))
            }
        } catch {
            throw connection.failure(error, while: "describing the topic configs")
        }
    }

    /// Checks the cluster against the catalogue.
    package func verify(expectedPartitions: Int?, expectedReplication: Int?) async throws(OpsError)
        -> TopicVerificationReport
    {
        let (metadata, configs) = try await observe()
        return TopicVerifier.verify(
            observed: metadata.topics.filter { $0.error == nil }.map(ObservedTopic.init), configs: configs,
            expectedPartitions: expectedPartitions, expectedReplication: expectedReplication)
    }

    /// The partition count the existing co-partitioned topics use: that of `cart.patient.v1`, else the most common.
    static func existingCoPartitionCount(_ metadata: KafkaClusterMetadata) -> Int? {
        if let patient = metadata.topic(ToxWatchTopics.patient), patient.error == nil { return patient.partitionCount }
        let counts = ToxWatchTopics.coPartitioned.compactMap { metadata.topic($0.name)?.partitionCount }
        let histogram = Dictionary(grouping: counts, by: { $0 })
        return histogram.max { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.key > b.key }?
            .key
    }

    /// Creates the missing ToxWatch topics: co-partitioned ones with `partitions`, the inventory with at
    /// most ``ToxWatchTopics/globalTablePartitions``, each with its configs. Existing topics are left alone
    /// (and reported when their partition count differs).
    ///
    /// - Parameter partitions: the co-partitioned count; nil: that of the existing co-partitioned topics
    ///   (``cart.patient.v1`` first), else ``ToxWatchTopics/defaultPartitions``.
    package func create(partitions requested: Int?, replication: Int?) async throws(OpsError) -> TopicCreationReport {
        let metadata = try await connection.checkReachable(admin)
        let replicationFactor = replication ?? min(3, max(1, metadata.brokers.count))
        let partitions = requested ?? Self.existingCoPartitionCount(metadata) ?? ToxWatchTopics.defaultPartitions
        var entries: [TopicCreation] = []
        var missing: [KafkaNewTopic] = []
        for topic in ToxWatchTopics.all {
            let wanted = topic.partitions(patientPartitions: partitions)
            var entry = TopicCreation(
                topic: topic.name, partitions: wanted, replicationFactor: replicationFactor, config: topic.config,
                outcome: .created)
            if let existing = metadata.topic(topic.name), existing.error == nil {
                entry.outcome = .existed(partitions: existing.partitionCount)
                entry.partitions = existing.partitionCount
                entry.replicationFactor = existing.partitions.map(\.replicas.count).min() ?? 0
                if topic.isCoPartitioned, existing.partitionCount != wanted {
                    entry.problem = "exists with \(existing.partitionCount) partitions, wanted \(wanted) (not changed)"
                }
            } else {
                missing.append(
                    KafkaNewTopic(
                        name: topic.name, partitions: wanted, replicationFactor: replicationFactor, config: topic.config
                    ))
            }
            entries.append(entry)
        }
        var report = TopicCreationReport(topics: entries, brokerCannotCreate: nil)
        guard !missing.isEmpty else { return report }
        let results: [KafkaTopicCreationResult]
        if let apis = await admin.advertisedAPIs(), apis[.createTopics] == nil {
            return Self.cannotCreate(report, missing: missing, because: "the brokers do not implement CreateTopics")
        }
        do {
            results = try await admin.createTopics(missing)
        } catch  where error.code == .unsupportedByBroker {
            return Self.cannotCreate(report, missing: missing, because: error.message)
        } catch {
            throw connection.failure(error, while: "creating topics")
        }
        for result in results {
            guard let index = report.topics.firstIndex(where: { $0.topic == result.name }) else { continue }
            if let error = result.error, error.code != .topicAlreadyExists {
                report.topics[index].outcome = .failed(error.message)
                report.topics[index].problem = "not created: \(error.message)"
            } else if result.error != nil {
                report.topics[index].outcome = .existed(partitions: report.topics[index].partitions)
            }
        }
        return report
    }

    private static func cannotCreate(_ report: TopicCreationReport, missing: [KafkaNewTopic], because reason: String)
        -> TopicCreationReport
    {
        var report = report
        report.brokerCannotCreate = reason
        for index in report.topics.indices where missing.contains(where: { $0.name == report.topics[index].topic }) {
            report.topics[index].outcome = .failed("the broker cannot create topics")
            report.topics[index].problem = "missing, and this broker cannot create it"
        }
        return report
    }
}
