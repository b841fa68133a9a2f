import ArgumentParser
import KafkaClient
import ToxOps
import ToxWatchContract

/// `toxctl topics create|verify`: the DESIGN.md §1 topics on a cluster.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create or verify the ToxWatch topics (DESIGN.md §1) on a cluster.",
        discussion: """
            Topics: \(ToxWatchTopics.all.map(\.name).joined(separator: ", ")).

            Exit status: 0 when all is well; 1 when problems were found (missing topics, partition counts that \
            break co-partitioning, wrong compaction or retention, topics that could not be created); 2 for bad \
            usage or unreachable brokers.

            Examples:
              toxctl topics create --brokers kafka-1:9092 --partitions 24 --replication 3
              toxctl topics verify --brokers kafka-1:9092
            """,
        subcommands: [Create.self, Verify.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the missing ToxWatch topics with their configs; existing topics are left alone.",
            discussion: """
                Patient-keyed topics (inputs, outputs, changelog, dead letters) get --partitions partitions, so \
                they are co-partitioned; \(ToxWatchTopics.inventory) gets at most \(ToxWatchTopics.globalTablePartitions). \
                \(ToxWatchTopics.patientStateChangelog) and \(ToxWatchTopics.inventory) are compacted \
                (cleanup.policy=compact); \(ToxWatchTopics.deadLetters) keeps records 30 days (retention.ms=2592000000). \
                A topic that exists with another partition count is reported (exit 1), never changed.

                The librdkafka 2.0.2 mock cluster (`toxctl dev-broker`) cannot create topics through the API; \
                dev-broker creates them all when it starts, so `create` against it reports that they exist.

                Example:
                  toxctl topics create --brokers kafka-1:9092,kafka-2:9092 \\
                    --partitions 24 --replication 3
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(
            help: ArgumentHelp(
                "Partitions of every patient-keyed (co-partitioned) topic (default: as the existing ones, else \(ToxWatchTopics.defaultPartitions)).",
                valueName: "p"))
        var partitions: Int?

        @Option(
            help: ArgumentHelp("Replication factor (default: 3, or the number of brokers if fewer).", valueName: "r"))
        var replication: Int?

        func validate() throws {
            if let partitions, !(1...10_000).contains(partitions) {
                throw ValidationError("--partitions must be between 1 and 10000")
            }
            if let replication, !(1...32).contains(replication) {
                throw ValidationError("--replication must be between 1 and 32")
            }
        }

        func run() async throws {
            try await CLI.run("topics create") {
                let connection = try self.connection.connection()
                let admin = try connection.makeAdmin(logger: self.connection.logger("toxctl.topics"))
                let report = try await TopicManager(admin: admin, connection: connection)
                    .create(partitions: partitions, replication: replication)
                await admin.close()
                CLI.out(report.render(palette: CLI.stdoutPalette))
                if report.hasProblems { throw OpsError.problems("problems found (see above)") }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every ToxWatch topic exists, is co-partitioned and has the right configs.",
            discussion: """
                Checks: every topic exists; co-partitioned topics all have the same partition count (--partitions, \
                else that of \(ToxWatchTopics.patient)); with --replication, the replication factor; partitions \
                have a leader and all their replicas in sync; \(ToxWatchTopics.patientStateChangelog) and \
                \(ToxWatchTopics.inventory) are compacted and no other ToxWatch topic is; \(ToxWatchTopics.deadLetters) \
                keeps at least 30 days. A broker that does not report configs (the librdkafka 2.0.2 mock) gets \
                "configs not reported by this broker" instead of compaction and retention checks.

                Example:
                  toxctl topics verify --brokers kafka-1:9092 --partitions 24 --replication 3
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("The partition count co-partitioned topics must have.", valueName: "p"))
        var partitions: Int?

        @Option(help: ArgumentHelp("The replication factor every topic must have.", valueName: "r"))
        var replication: Int?

        func validate() throws {
            if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
            if let replication, replication < 1 { throw ValidationError("--replication must be at least 1") }
        }

        func run() async throws {
            try await CLI.run("topics verify") {
                let connection = try self.connection.connection()
                let admin = try connection.makeAdmin(logger: self.connection.logger("toxctl.topics"))
                let report = try await TopicManager(admin: admin, connection: connection)
                    .verify(expectedPartitions: partitions, expectedReplication: replication)
                await admin.close()
                CLI.out(report.render(palette: CLI.stdoutPalette))
                if report.hasProblems { throw OpsError.problems("\(report.problemCount) problem(s) found") }
            }
        }
    }
}
