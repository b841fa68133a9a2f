import ArgumentParser
import Foundation
import KafkaClient
import ToxOps
import ToxWatchContract

/// The dead-letter filters shared by `dlq list` and `dlq redrive`.
struct DeadLetterFilterOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Only dead letters written since then: a duration back from now (90s, 45m, 6h, 7d, 1h30m) or an ISO-8601 time.",
            valueName: "duration|iso8601"))
    var since: String?

    @Option(
        help: ArgumentHelp(
            "Only these reasons, comma-separated or repeated: \(DeadLetterReason.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "reason"))
    var reason: [String] = []

    @Option(
        name: .customLong("source-topic"),
        help: ArgumentHelp("Only dead letters from these topics.", valueName: "topic"))
    var sourceTopic: [String] = []

    @Option(
        help: ArgumentHelp(
            "Only these dead letters: their id SOURCE-TOPIC/PARTITION/OFFSET, or their DLQ coordinates cart.dlq.v1/PARTITION/OFFSET.",
            valueName: "id"))
    var id: [String] = []

    func filter(now: Date) throws(OpsError) -> DeadLetterFilter {
        DeadLetterFilter(
            reasons: try DeadLetterFilter.parseReasons(CLI.list(reason)), sourceTopics: Set(CLI.list(sourceTopic)),
            ids: Set(CLI.list(id)), since: try since.map { text throws(OpsError) in try parseSince(text, now: now) })
    }
}

/// `toxctl dlq list|redrive`: the dead-letter topic.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List and re-drive dead letters (\(DeadLetterRecord.topic)).",
        discussion: """
            toxd sends every input it cannot decode or validate to \(DeadLetterRecord.topic) with the original bytes \
            and headers, the source topic/partition/offset and a reason naming the field. These commands read \
            it; they never delete or change a dead letter.

            Examples:
              toxctl dlq list --brokers kafka-1:9092 --since 6h --reason unknown-unit
              toxctl dlq redrive --brokers kafka-1:9092 --reason unknown-unit \\
                --since 2026-03-02T06:00:00Z --dry-run
            """,
        subcommands: [List.self, Redrive.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show dead letters with their reasons and source coordinates.",
            discussion: """
                Filters combine with AND; repeated values of one filter with OR. --since compares with the time \
                toxd dead-lettered the record. Keys are patient identifiers and are shown as digests (key:1f3a9c2e) \
                unless --show-keys; payloads are never printed (--json gives the stored record without its \
                payload, with originalValueBytes and originalKeyDigest beside it).

                Exit status: 0 (also when nothing matches); 2 for bad usage or unreachable brokers.

                Examples:
                  toxctl dlq list --brokers kafka-1:9092 --since 24h
                  toxctl dlq list --brokers kafka-1:9092 --source-topic cart.labs.v1 --json \\
                    | jq -r .record.error.message
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var filters: DeadLetterFilterOptions

        @Flag(
            help:
                "Print one JSON document per dead letter: {dlq: {topic, partition, offset, timestamp}, problem, record (without the payload), originalKeyDigest, originalValueBytes}."
        )
        var json = false

        @Flag(name: .customLong("show-keys"), help: "Print the original record keys (patient ids) instead of digests.")
        var showKeys = false

        func run() async throws {
            try await CLI.run("dlq list") {
                let connection = try self.connection.connection()
                let filter = try filters.filter(now: Date())
                let admin = try connection.makeAdmin(logger: self.connection.logger("toxctl.dlq"))
                let queue = DeadLetterQueue(
                    connection: connection, admin: admin, logger: self.connection.logger("toxctl.dlq"))
                let (letters, _) = try await queue.readAll()
                await admin.close()
                let matching = letters.filter(filter.matches)
                if json {
                    for letter in matching { CLI.out(letter.jsonLine(showKeys: showKeys)) }
                } else {
                    CLI.out(
                        DeadLetterRendering.list(
                            matching, scanned: letters.count, showKeys: showKeys, palette: CLI.stdoutPalette))
                }
            }
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-send chosen dead letters to their source topic (original key, value and headers).",
            discussion: """
                Each chosen dead letter is produced again to its source topic and original partition (by key if \
                the topic now has fewer partitions) with its original key, value and headers, plus \
                \(ToxOps.Redrive.fromHeader) (the DLQ coordinates), \(ToxOps.Redrive.originalHeader) (the original \
                topic/partition/offset) and \(ToxOps.Redrive.atHeader). The DLQ record stays where it is. Choose \
                records with the filters; without any, --all is required. Every run sends again.

                When to re-drive: toxd skips inputs at offsets it already handled, but a re-driven record is a \
                new record at a new offset, so it is processed again. Re-drive dead letters whose cause was fixed \
                in the worker (e.g. a unit the decoder now accepts). When the feed itself sent bad data, have it \
                send corrected data instead: re-driving would only replay the same bad bytes.

                Exit status: 0 when every chosen record was sent (or --dry-run); 1 when some could not be sent \
                or were skipped; 2 for bad usage or unreachable brokers.

                Examples:
                  toxctl dlq redrive --brokers kafka-1:9092 --reason unknown-unit \\
                    --since 24h --dry-run
                  toxctl dlq redrive --brokers kafka-1:9092 --id cart.labs.v1/3/1187
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var filters: DeadLetterFilterOptions

        @Flag(name: .customLong("dry-run"), help: "Print what would be sent, send nothing.")
        var dryRun = false

        @Flag(help: "Re-drive every dead letter (required when no filter is given).")
        var all = false

        func run() async throws {
            try await CLI.run("dlq redrive") {
                let connection = try self.connection.connection()
                let now = Date()
                let filter = try filters.filter(now: now)
                if filter.isEmpty, !all {
                    throw OpsError.usage(
                        "choose dead letters with --reason, --source-topic, --id or --since, or pass --all")
                }
                let logger = self.connection.logger("toxctl.dlq")
                let admin = try connection.makeAdmin(logger: logger)
                let queue = DeadLetterQueue(connection: connection, admin: admin, logger: logger)
                let (letters, partitionCounts) = try await queue.readAll()
                await admin.close()
                let (items, skipped) = ToxOps.Redrive.plan(
                    letters, filter: filter, partitionCounts: partitionCounts, now: now)
                let palette = CLI.stdoutPalette
                if items.isEmpty, skipped.isEmpty {
                    CLI.out("No dead letter matches (\(letters.count) scanned); nothing to re-drive.")
                    return
                }
                if dryRun {
                    CLI.out(DeadLetterRendering.redrivePlan(items, skipped: skipped, results: nil, palette: palette))
                    return
                }
                let results = try await queue.send(items)
                CLI.out(DeadLetterRendering.redrivePlan(items, skipped: skipped, results: results, palette: palette))
                let failed = results.filter { $0.error != nil }.count
                if failed > 0 || !skipped.isEmpty {
                    throw OpsError.problems("\(failed) record(s) not sent, \(skipped.count) skipped")
                }
            }
        }
    }
}
