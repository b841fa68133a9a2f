import ArgumentParser
import Foundation
import KafkaClient
import ToxOps
import ToxWatchContract

/// `toxctl pharmacy`: the pharmacy's live worklist of anakinra doses and short-drug stock.
struct PharmacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pharmacy",
        abstract:
            "Show the pharmacy's worklist: each active patient's anakinra dose and when it is due, and short-drug stock.",
        discussion: """
            Built from \(ToxWatchTopics.anakinraRecommendations) (the latest recommendation per patient), \
            \(ToxWatchTopics.shortageAlternatives) and \(ToxWatchTopics.inventory) (the next-24-hour need of short \
            drugs against stock, totalled as `toxctl shortage` does), and, from \(ToxWatchTopics.patient), only each \
            patient's site.

            One line per active patient (latest action start, continue, escalate, taper or hold, or a stop in the \
            last 24 hours): the patient id, the action, the dose (mg and mg/kg), route, frequency, daily total, the \
            next dose due, when ToxWatch advised it, the warnings and alerts, and whether a clinician has verified it \
            (ToxWatch records no verification yet: always "unverified"). Overdue doses come first (most overdue \
            first), then by due time. A start's first dose is due from the recommendation's time. The next dose due \
            is the one the latest recommendation states: the worker publishes a new recommendation when the action \
            or the dose changes, not after each dose, so check the administration record before preparing. Then, per \
            site and short drug: patients, doses, mg, units needed, on hand and the shortfall. Patient ids only: no \
            names and no clinical data beyond the dose.

            --watch SECONDS reads the topics again every SECONDS: on a terminal the screen is redrawn in place; with \
            --json one JSON document is printed per refresh (one line each). --samples N stops after N refreshes.

            Exit status: 0 when the worklist was shown; 2 for bad usage, a missing topic or unreachable brokers.

            Examples:
              toxctl pharmacy --brokers kafka-1:9092 --site main
              toxctl pharmacy --brokers 127.0.0.1:40155 --site main --watch 30
              toxctl pharmacy --brokers kafka-1:9092 --json | jq '.patients[] | select(.due == "overdue")'
              toxctl pharmacy --brokers 127.0.0.1:40155 --at 2026-03-04T06:00:00Z
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(
        help: "Only this site's patients and stock (the site of the admission events and inventory keys site/drug).")
    var site: String?

    @Option(help: ArgumentHelp("Read the topics again every SECONDS and redraw.", valueName: "seconds"))
    var watch: Double?

    @Option(
        help: ArgumentHelp(
            "With --watch: stop after this many refreshes (default: until interrupted).", valueName: "count"))
    var samples: Int?

    @Flag(help: "Print each worklist as one line of JSON.")
    var json = false

    @Option(
        help:
            "Show the worklist as it was at this instant (ISO-8601 with a UTC offset): later records are left out and due times are judged against it. For replayed courses."
    )
    var at: String?

    func validate() throws {
        if let site, site.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--site must not be empty")
        }
        if let watch, !(watch > 0) { throw ValidationError("--watch needs a positive number of seconds") }
        if let samples {
            guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
            guard watch != nil else { throw ValidationError("--samples needs --watch SECONDS") }
        }
        if let at, EvaluateCommand.parseInstant(at) == nil {
            throw ValidationError("--at must be an ISO-8601 date-time with a UTC offset (e.g. 2026-03-03T18:00:00Z)")
        }
    }

    func run() async throws {
        try await CLI.run("pharmacy") {
            let connection = try self.connection.connection()
            let logger = self.connection.logger("toxctl.pharmacy")
            let admin = try connection.makeAdmin(logger: logger)
            let metadata = try await connection.checkReachable(admin)
            await admin.close()
            let missing = PharmacyCollector.topics.filter { metadata.topic($0) == nil }
            if !missing.isEmpty {
                throw OpsError.usage(
                    "no topic \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)")
            }
            let collector = PharmacyCollector(reader: TopicReader(connection: connection, logger: logger))
            let fixedInstant = at.flatMap(EvaluateCommand.parseInstant)
            let palette = CLI.stdoutPalette
            let redraw = watch != nil && !json && CLI.stdoutIsTerminal
            let clock = ContinuousClock()
            var shown = 0
            while true {
                let started = clock.now
                let worklist = try await collector.collect(site: site, at: fixedInstant ?? Date(), asOf: fixedInstant)
                shown += 1
                if json {
                    do {
                        CLI.out(try worklist.renderJSON())
                    } catch {
                        throw OpsError.problems("cannot encode the worklist: \(error)")
                    }
                } else {
                    CLI.out(
                        (redraw ? "\u{1B}[H\u{1B}[2J" : (shown > 1 ? "\n" : "")) + worklist.render(palette: palette))
                }
                guard let watch, samples.map({ shown < $0 }) ?? true else { break }
                let next = started + .milliseconds(Int64(watch * 1000))
                if next > clock.now { try await Task.sleep(until: next, clock: clock) }
            }
        }
    }
}
