import ArgumentParser
import Foundation
import KafkaClient
import ToxOps
import ToxWatchContract

/// `toxctl lag`: a consumer group's lag per partition, with Burrow's statuses and limits for alerting.
struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Show a consumer group's lag per partition, its Burrow status and time behind; exit 1 over limits.",
        discussion: """
            Reads the group's committed offsets (without joining the group), the log end offsets and, when the \
            broker describes groups, which member owns each partition. Lag = log end − committed offset; a \
            partition where the group committed nothing counts from the log start (where toxd, with \
            auto.offset.reset=earliest, would begin) and shows '-' as its committed offset. Time behind = now − \
            the timestamp of the next message the group has to process. Totals per topic and for the group \
            follow the partitions. The librdkafka 2.0.2 mock (`toxctl dev-broker`) does not describe groups: \
            owners then show as 'unknown' and nothing else changes.

            Status (LinkedIn Burrow's rules, over each partition's last 10 samples):
              OK      lag is 0 now or in some sample of the window (rule 1), or
                      none of the rules below applies
              REWIND  the committed offset went down between two samples (rule 2)
              STOP    the time since the last observed commit is longer than the
                      time between the first and the last observed commits of
                      the window (rule 3): the consumer stopped committing
              STALL   the committed offset is the same in every sample while a
                      live member owns the partition (rule 4): present, stuck
              WARN    the committed offset moves but the lag never decreased
                      between two samples (rule 5): the consumer is too slow
            With --stall-seconds S (default 120), a partition whose committed offset has not moved \
            for S seconds of samples while it had lag is STALL whatever the window says. When the broker \
            describes the group and its state is PreparingRebalance or CompletingRebalance, a partition \
            that would be STOP or STALL is REBALANCING instead, and so is the group (a rebalance holds \
            every partition still for a moment; a stall does not end by itself). The librdkafka 2.0.2 mock \
            does not describe groups: there a rebalance cannot be told from a stall.
            Rules 2-5 apply in that order, only while the lag is above 0 in every sample. \
            Burrow sees every commit with its time; OffsetFetch gives no times, so a sample counts as an \
            observed commit when the offset changed since the previous sample or a live member owns the \
            partition; the first sample counts too. Without group descriptions an offset that never moves is \
            therefore STOP rather than STALL. The group status is the worst partition status, with STOP, \
            STALL and REWIND reported as ERR; NOTFOUND when the group committed nothing on these topics. \
            Without --watch the status is evaluated on one sample: OK when the lag is 0, WARN otherwise (the \
            report says so).

            Exit status: 0 within the limits; 1 when the total lag exceeds --max-lag or some partition is more \
            than --max-lag-seconds behind (with --watch: in the last sample); 2 for bad usage, a missing topic, a \
            group without committed offsets (NOTFOUND) or unreachable brokers (reported within --timeout seconds).

            Examples:
              toxctl lag --brokers kafka-1:9092 --group toxd
              toxctl lag --brokers 127.0.0.1:40155 --watch 10 --samples 6 \\
                --max-lag 5000 --max-lag-seconds 300
              toxctl lag --brokers kafka-1:9092 --json | jq .totalLag
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The consumer group.")
    var group = "toxd"

    @Option(
        help: ArgumentHelp(
            "Topics to look at, comma-separated or repeated (default: the five patient input topics).",
            valueName: "topics"))
    var topics: [String] = []

    @Option(
        help: ArgumentHelp("Take a sample every SECONDS and print a refreshed report each time.", valueName: "seconds"))
    var watch: Double?

    @Option(
        help: ArgumentHelp(
            "With --watch: stop after this many samples (default: until interrupted).", valueName: "count"))
    var samples: Int?

    @Flag(help: "Print each report as one line of JSON.")
    var json = false

    @Option(
        name: .customLong("stall-seconds"),
        help: ArgumentHelp(
            "With --watch: a partition with lag whose committed offset has not moved for S seconds is STALL.",
            valueName: "s"))
    var stallSeconds: Double = 120

    @Option(
        name: .customLong("max-lag"),
        help: ArgumentHelp("Exit 1 when the group's total lag is above N.", valueName: "n"))
    var maxLag: Int64?

    @Option(
        name: .customLong("max-lag-seconds"),
        help: ArgumentHelp("Exit 1 when a partition is more than S seconds behind.", valueName: "s"))
    var maxLagSeconds: Double?

    func validate() throws {
        if let watch, !(watch > 0) { throw ValidationError("--watch needs a positive number of seconds") }
        if let samples {
            guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
            guard watch != nil else { throw ValidationError("--samples needs --watch SECONDS") }
        }
        if let maxLag, maxLag < 0 { throw ValidationError("--max-lag must not be negative") }
        if let maxLagSeconds, !(maxLagSeconds >= 0) { throw ValidationError("--max-lag-seconds must not be negative") }
        if group.isEmpty { throw ValidationError("--group must not be empty") }
        if !(stallSeconds > 0) { throw ValidationError("--stall-seconds needs a positive number of seconds") }
    }

    func run() async throws {
        try await CLI.run("lag") {
            let connection = try self.connection.connection()
            let admin = try connection.makeAdmin(logger: self.connection.logger("toxctl.lag"))
            let topicList = CLI.list(topics).isEmpty ? ToxWatchTopics.patientInputs : CLI.list(topics)
            let sampler = await LagSampler.make(admin: admin, connection: connection, group: group, topics: topicList)
            let partitions = try await sampler.partitions()
            var tracker = LagTracker(
                limits: LagLimits(maxLag: maxLag, maxLagSeconds: maxLagSeconds), stallSeconds: stallSeconds)
            let palette = CLI.stdoutPalette
            let clearScreen = watch != nil && !json && CLI.stdoutIsTerminal
            var taken = 0
            var last: LagReport?
            let clock = ContinuousClock()
            while true {
                let started = clock.now
                let report = tracker.add(try await sampler.sample(partitions: partitions))
                taken += 1
                last = report
                if json {
                    do {
                        CLI.out(try report.renderJSON())
                    } catch {
                        throw OpsError.problems("cannot encode the report: \(error)")
                    }
                } else {
                    CLI.out(
                        (clearScreen ? "\u{1B}[H\u{1B}[2J" : (taken > 1 ? "\n" : ""))
                            + report.renderTable(palette: palette))
                }
                guard let watch, samples.map({ taken < $0 }) ?? true else { break }
                let next = started + .milliseconds(Int64(watch * 1000))
                if next > clock.now { try await Task.sleep(until: next, clock: clock) }
            }
            await admin.close()
            if let last, last.status == .notFound {
                throw OpsError.usage("group \(group) has committed no offset on these topics (NOTFOUND)")
            }
            if let last, last.exceedsLimits {
                throw OpsError.problems(last.limitViolations.joined(separator: "; "))
            }
        }
    }
}
