import ArgumentParser
import Foundation
import KafkaClient
import ProtocolCatalog
import Synchronization
import ToxOps
import ToxWatchContract
import ToxicityRules

/// `toxctl load`: a load generator of realistic patient courses.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Generate realistic CAR T-cell patient courses (and some malformed messages) at a given rate.",
        discussion: """
            Sends RATE × DURATION events, paced at RATE events per second, keyed by patient id, each to the topic \
            of its type: first an admission per patient (age or birth date, weight, height, allergies, infusion, \
            protocol, site, baseline ferritin), then vitals, neurological assessments, labs and medications over \
            event time. About half the patients develop CRS (grade 1–4) and some ICANS, with labs and treatments \
            to match. Every valid event passes the strict decoder. --malformed F replaces that fraction of the \
            messages by malformed ones (broken JSON, a missing field, an unknown unit, an out-of-range value, a \
            bad timestamp, an unknown value, a wrong type) that toxd must dead-letter. If the brokers cannot keep \
            up, the run takes longer and the summary shows the rate achieved.

            --output FILE writes JSON lines {"topic", "key", "value"} (value: the message text) instead of \
            producing, as fast as possible (no pacing); `-` is standard output. With --seed and --start the \
            output is identical on every run. Progress goes to standard error: a bar on a terminal, a line \
            every 5 seconds otherwise. The summary (sent, failed, malformed, achieved rate) goes to standard \
            output (standard error with --output -).

            Exit status: 0 when every message was delivered; 1 when some were not; 2 for bad usage or \
            unreachable brokers.

            Examples:
              toxctl load --brokers 127.0.0.1:40155 --patients 200 --rate 2000 \\
                --duration 60 --malformed 0.01
              toxctl load --patients 1000 --rate 100000 --duration 10 --seed 7 \\
                --start 2026-03-01T00:00:00Z --output load.jsonl
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Number of patients.")
    var patients: Int

    @Option(help: ArgumentHelp("Events per second.", valueName: "events-per-s"))
    var rate: Double

    @Option(help: ArgumentHelp("Seconds at that rate (RATE × DURATION events in all).", valueName: "s"))
    var duration: Double

    @Option(help: ArgumentHelp("Fraction of malformed messages, 0…1.", valueName: "fraction"))
    var malformed: Double = 0

    @Option(help: "Random seed (same seed, same courses).")
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "Event time of the first infusion (ISO-8601); default: courses end about now.", valueName: "iso8601"))
    var start: String?

    @Option(
        help: ArgumentHelp(
            "Write JSON lines to FILE (or - for standard output) instead of producing.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard patients >= 1, patients <= 10_000_000 else {
            throw ValidationError("--patients must be between 1 and 10000000")
        }
        guard rate > 0, rate.isFinite else {
            throw ValidationError("--rate must be a positive number of events per second")
        }
        guard duration > 0, duration.isFinite else {
            throw ValidationError("--duration must be a positive number of seconds")
        }
        guard rate * duration <= 2_000_000_000 else { throw ValidationError("--rate × --duration is too many events") }
        guard (0...1).contains(malformed) else { throw ValidationError("--malformed must be between 0 and 1") }
        if let start, case .failure(let problem) = ISO8601Timestamp.parse(start) {
            throw ValidationError("--start '\(start)' \(problem)")
        }
    }

    func run() async throws {
        try await CLI.run("load") {
            var startDate: Date?
            if let start, case .success(let date) = ISO8601Timestamp.parse(start) { startDate = date }
            let protocolIds: [String]
            do {
                protocolIds = try AnakinraProtocolCatalog.load().protocols.filter { $0.kind == .institutional }.map(
                    \.id)
            } catch {
                throw OpsError.usage("cannot load the protocol catalogue: \(error)")
            }
            let profile = LoadProfile(
                patients: patients, totalEvents: Int((rate * duration).rounded()), malformedFraction: malformed,
                seed: seed,
                start: startDate, protocolIds: protocolIds)
            var generator = LoadGenerator(profile: profile)
            let sink: any LoadSink
            let paced: Double?
            if let output {
                sink = try JSONLinesLoadSink(path: output)
                paced = nil
            } else {
                let connection = try self.connection.connection()
                let logger = self.connection.logger("toxctl.load")
                let admin = try connection.makeAdmin(logger: logger)
                let metadata = try await connection.checkReachable(admin)
                await admin.close()
                let missing = ToxWatchTopics.patientInputs.filter { metadata.topic($0) == nil }
                if !missing.isEmpty {
                    throw OpsError.usage(
                        "no topic \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)")
                }
                let producer = try connection.makeProducer(logger: logger) { configuration in
                    configuration.linger = .milliseconds(10)
                    configuration.maxQueuedMessages = 1_000_000
                    configuration.deliveryTimeout = .seconds(60)
                }
                sink = KafkaLoadSink(producer: producer, destination: "the brokers at \(connection.serversDescription)")
                paced = rate
            }
            let reporter = ProgressReporter(isTerminal: CLI.stderrIsTerminal)
            let summary = try await LoadRunner(rate: paced).run(&generator, into: sink) { reporter.report($0) }
            reporter.finish()
            if output == "-" { CLI.err(summary.render()) } else { CLI.out(summary.render()) }
            if summary.failed > 0 { throw OpsError.problems("\(summary.failed) message(s) were not delivered") }
        }
    }
}

/// Progress on standard error: a redrawn bar on a terminal (at most 10 times a second), a plain
/// line every 5 seconds otherwise.
final class ProgressReporter: Sendable {
    private let isTerminal: Bool
    private let state = Mutex<(last: ContinuousClock.Instant?, drawn: Bool)>((nil, false))

    init(isTerminal: Bool) {
        self.isTerminal = isTerminal
    }

    func report(_ progress: LoadProgress) {
        let now = ContinuousClock.now
        let interval: Duration = isTerminal ? .milliseconds(100) : .seconds(5)
        let due = state.withLock { state -> Bool in
            if let last = state.last, now - last < interval, progress.fraction < 1 { return false }
            state.last = now
            state.drawn = true
            return true
        }
        guard due else { return }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + progress.bar()).utf8))
        } else {
            CLI.err(progress.line)
        }
    }

    func finish() {
        if isTerminal, state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
