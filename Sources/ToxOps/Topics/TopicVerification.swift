import Foundation
package import KafkaClient
package import ToxWatchContract

/// A topic as the cluster describes it.
package struct ObservedTopic: Sendable, Hashable {
    package var name: String
    package var partitions: Int
    /// The smallest replica count over the partitions.
    package var replicationFactor: Int
    /// Partitions whose in-sync replicas are fewer than their replicas.
    package var underReplicated: [Int]
    /// Partitions without a leader.
    package var leaderless: [Int]

    package init(
        name: String, partitions: Int, replicationFactor: Int, underReplicated: [Int] = [], leaderless: [Int] = []
    ) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.underReplicated = underReplicated
        self.leaderless = leaderless
    }

    package init(_ metadata: KafkaTopicMetadata) {
        self.init(
            name: metadata.name, partitions: metadata.partitionCount,
            replicationFactor: metadata.partitions.map(\.replicas.count).min() ?? 0,
            underReplicated: metadata.partitions.filter { $0.inSyncReplicas.count < $0.replicas.count }.map(\.id),
            leaderless: metadata.partitions.filter { $0.leader < 0 }.map(\.id))
    }
}

/// Topic configs as the cluster reported them, or why it did not.
package enum ReportedConfigs: Sendable, Hashable {
    case reported([String: [String: String]])
    case notReported(reason: String)
}

/// What `toxctl topics verify` found about one topic.
package struct TopicCheck: Sendable, Hashable {
    package enum Outcome: String, Sendable, Hashable {
        case ok = "OK"
        case missing = "MISSING"
        case problem = "PROBLEM"
    }

    package var topic: String
    package var role: ToxWatchTopics.Role
    package var observed: ObservedTopic?
    /// Partitions the topic should have, when that is fixed (co-partitioned topics).
    package var expectedPartitions: Int?
    package var problems: [String]
    /// The configs checked and found right (`cleanup.policy=compact` …), for the report.
    package var configSummary: String

    package var outcome: Outcome {
        if observed == nil { return .missing }
        return problems.isEmpty ? .ok : .problem
    }
}

/// The result of checking a cluster against DESIGN.md §1 (``ToxWatchTopics/all``).
package struct TopicVerificationReport: Sendable, Hashable {
    package var checks: [TopicCheck]
    /// The partition count co-partitioned topics must share, and where it comes from.
    package var coPartitionCount: Int?
    package var coPartitionSource: String
    package var configs: ReportedConfigs
    package var notes: [String]

    package var problemCount: Int { checks.reduce(0) { $0 + $1.problems.count } }
    package var hasProblems: Bool { problemCount > 0 }
}

/// Checks topics against the ToxWatch catalogue: presence, co-partitioning, replication, compaction
/// and retention. Pure: the observations come from the brokers, the expectations from ``ToxWatchTopics``.
package enum TopicVerifier {
    /// - Parameters:
    ///   - observed: the topics the cluster has (any, ToxWatch's or not).
    ///   - configs: the configs of those topics, or why the broker did not report them.
    ///   - expectedPartitions: `--partitions`: the count every co-partitioned topic must have; when nil,
    ///     they must all have the count of `cart.patient.v1` (or the most common count).
    ///   - expectedReplication: `--replication`: the replication factor every topic must have.
    package static func verify(
        observed: [ObservedTopic], configs: ReportedConfigs, expectedPartitions: Int? = nil,
        expectedReplication: Int? = nil,
        catalogue: [ToxWatchTopics.Topic] = ToxWatchTopics.all
    ) -> TopicVerificationReport {
        let byName = Dictionary(observed.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let coPartitioned = catalogue.filter(\.isCoPartitioned).compactMap { byName[$0.name] }
        let reference: Int?
        let source: String
        if let expectedPartitions {
            reference = expectedPartitions
            source = "--partitions"
        } else if let patient = byName[ToxWatchTopics.patient] {
            reference = patient.partitions
            source = "as \(ToxWatchTopics.patient)"
        } else {
            let counts = Dictionary(grouping: coPartitioned, by: \.partitions)
            reference =
                counts.max { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.key > b.key }?
                .key
            source = "the most common count"
        }
        var checks: [TopicCheck] = []
        for topic in catalogue {
            var check = TopicCheck(
                topic: topic.name, role: topic.role, observed: byName[topic.name],
                expectedPartitions: topic.isCoPartitioned ? reference : nil, problems: [], configSummary: "")
            guard let present = check.observed else {
                check.problems.append("missing")
                checks.append(check)
                continue
            }
            if topic.isCoPartitioned, let reference, present.partitions != reference {
                check.problems.append(
                    "\(present.partitions) partitions; co-partitioned topics need \(reference) (\(source)), "
                        + "or a patient's events and outputs land on different workers")
            }
            if let expectedReplication, present.replicationFactor != expectedReplication {
                check.problems.append(
                    "replication factor \(present.replicationFactor), expected \(expectedReplication)")
            }
            if !present.leaderless.isEmpty {
                check.problems.append(
                    "no leader for partition(s) \(present.leaderless.map(String.init).joined(separator: ","))")
            }
            if !present.underReplicated.isEmpty {
                check.problems.append(
                    "under-replicated partition(s) \(present.underReplicated.map(String.init).joined(separator: ","))")
            }
            switch configs {
            case .notReported:
                check.configSummary = "not reported"
            case .reported(let all):
                let (problems, summary) = checkConfigs(topic, actual: all[topic.name] ?? [:])
                check.problems += problems
                check.configSummary = summary
            }
            checks.append(check)
        }
        var notes: [String] = []
        if case .notReported(let reason) = configs {
            notes.append("configs not reported by this broker (\(reason)): compaction and retention were not checked")
        }
        notes.append(
            "\(ToxWatchTopics.inventory) is read whole by every worker: any partition count works (toxctl creates \(ToxWatchTopics.globalTablePartitions) at most)"
        )
        return TopicVerificationReport(
            checks: checks, coPartitionCount: reference, coPartitionSource: source, configs: configs, notes: notes)
    }

    /// Compaction and retention: what the catalogue requires, and that topics whose every record
    /// matters (inputs, outputs, dead letters) are not compacted.
    static func checkConfigs(_ topic: ToxWatchTopics.Topic, actual: [String: String]) -> (
        problems: [String], summary: String
    ) {
        var problems: [String] = []
        var summary: [String] = []
        let policy = actual["cleanup.policy"] ?? "delete"
        let compacted = policy.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "compact" }
        if topic.config["cleanup.policy"] == "compact" {
            if compacted {
                summary.append("compacted")
            } else {
                problems.append("cleanup.policy=\(policy), must include compact")
            }
        } else if compacted {
            problems.append("cleanup.policy=\(policy): compaction would drop all but the last record of each key")
        }
        if let wanted = topic.config["retention.ms"].flatMap(Int64.init) {
            let retention = actual["retention.ms"].flatMap(Int64.init)
            if let retention, retention < 0 || retention >= wanted {
                summary.append(
                    retention < 0 ? "retention unlimited" : "retention \(formatDuration(Double(retention) / 1000))")
            } else {
                problems.append(
                    "retention.ms=\(actual["retention.ms"] ?? "unknown"), must be at least \(wanted) (\(formatDuration(Double(wanted) / 1000)))"
                )
            }
        }
        return (problems, summary.isEmpty ? "-" : summary.joined(separator: ", "))
    }
}

extension TopicVerificationReport {
    /// The readable report: a table of topics, then each problem and the notes.
    package func render(palette: Palette = .plain) -> String {
        var table = TextTable(columns: [
            .init("TOPIC"), .init("ROLE"), .init("PARTITIONS", .right), .init("REPLICATION", .right), .init("CONFIGS"),
            .init("STATUS"),
        ])
        for check in checks {
            let style: Palette.Style =
                switch check.outcome {
                case .ok: .green
                case .missing, .problem: .red
                }
            table.append([
                .init(check.topic), .init(check.role.rawValue),
                .init(check.observed.map { String($0.partitions) } ?? "-"),
                .init(check.observed.map { String($0.replicationFactor) } ?? "-"),
                .init(check.observed == nil ? "-" : check.configSummary),
                .init(check.outcome.rawValue, style: style),
            ])
        }
        var lines = [table.render(palette: palette)]
        if let coPartitionCount {
            lines.append("Co-partitioned topics: \(coPartitionCount) partitions each (\(coPartitionSource)).")
        }
        let problems = checks.flatMap { check in check.problems.map { "\(check.topic): \($0)" } }
        if problems.isEmpty {
            lines.append(palette.apply(.green, "No problems found."))
        } else {
            lines.append(palette.apply(.red, "\(problems.count) problem(s):"))
            lines += problems.map { "  " + $0 }
        }
        lines += notes.map { palette.apply(.dim, "Note: " + $0) }
        return lines.joined(separator: "\n")
    }
}
