import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ToxWorker
import UnixSignals

/// `toxd`: the ToxWatch worker (the default subcommand, so `toxd --brokers …` runs it) and the
/// HL7 v2 / FHIR ingest stage (`toxd ingest`).
@main
struct Toxd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toxd",
        abstract: WorkerCommand.configuration.abstract,
        discussion: """
            \(WorkerCommand.discussion)

            `toxd [worker] …` runs the worker (the default: every worker flag works without the word \
            `worker`); `toxd ingest …` runs the HL7 v2 / FHIR ingest stage. `toxd worker --help` and \
            `toxd ingest --help` list each one's flags.

            \(WorkerCommand.optionSummary)
            """,
        subcommands: [WorkerCommand.self, IngestCommand.self],
        defaultSubcommand: WorkerCommand.self
    )
}

/// `toxd [worker]`: the worker.
struct WorkerCommand: AsyncParsableCommand {
    static let discussion = """
            Joins the consumer group, restores the patients of its partitions from toxd.patient-state.v1, \
            and publishes toxicity grades, anakinra recommendations, shortage alternatives and dead \
            letters. Run several with the same --group to spread the patients.

            Settings come from --config (YAML), then TOXD_* environment variables, then flags:
              brokers, group, httpPort, processingGuarantee (exactly-once | transactions),
              lateEventWindowHours, maxBatchSize, partitionBufferSize,
              punctuationIntervalSeconds, defaultProtocol, protocolsDirectory,
              shutdownGraceSeconds, kafka: {librdkafka property: value}
            e.g. TOXD_BROKERS=kafka:9092, TOXD_KAFKA_SASL_PASSWORD=… for kafka sasl.password.

            SIGTERM or SIGINT finishes the in-flight batches, commits and leaves the group; a second \
            signal exits at once. /health answers 200 once the assigned partitions are restored; \
            /metrics serves Prometheus series.

            Example:
              toxd --brokers localhost:9092 --http-port 9464 \\
                --kafka security.protocol=SASL_SSL
            """

    /// The worker's flags, for the root command's help (`toxd --help`).
    static var optionSummary: String {
        let help = WorkerCommand.helpMessage(columns: 78)
        guard let range = help.range(of: "OPTIONS:") else { return "" }
        return "WORKER OPTIONS (toxd [worker] …):" + help[range.upperBound...].trimmingCharacters(in: .newlines)
            .split(separator: "\n", omittingEmptySubsequences: false).map { "\n" + $0 }.joined()
    }

    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "The ToxWatch worker: grades CRS, ICANS and IEC-HS from Kafka events and publishes recommendations.",
        discussion: discussion
    )

    @Option(help: "Bootstrap servers, HOST:PORT[,HOST:PORT…].")
    var brokers: String?

    @Option(help: "Consumer group id (default toxd).")
    var group: String?

    @Option(help: "Port of /metrics and /health (default 9464; 0 picks a free port and logs it).")
    var httpPort: Int?

    @Option(help: "A YAML file with the settings listed above.")
    var config: String?

    @Option(help: "exactly-once (default, any broker) or transactions (needs a broker that implements them).")
    var processingGuarantee: String?

    @Option(help: "Protocol id for patients whose admission names none.")
    var defaultProtocol: String?

    @Option(help: "A directory of site protocol files added to the shipped ones.")
    var protocolsDir: String?

    @Option(
        name: .customLong("kafka"),
        help: ArgumentHelp("A librdkafka property, key=value (repeatable), e.g. security.protocol=SASL_SSL.", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String = "info"

    func run() async throws {
        let configuration: WorkerConfiguration
        do {
            configuration = try loadConfiguration()
        } catch {
            printError("toxd: \(error)")
            throw ExitCode(2)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            printError("toxd: --log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "toxd")
        let evaluator: PatientEvaluator
        do {
            evaluator = try PatientEvaluator.load(configuration: configuration)
        } catch {
            printError("toxd: \(error)")
            throw ExitCode(2)
        }
        let metrics = WorkerMetrics()
        let pipeline = WorkerPipeline(configuration: configuration, evaluator: evaluator, metrics: metrics, logger: logger)
        let http = OpsHTTPServer(host: configuration.httpHost, port: configuration.httpPort, logger: logger) { method, path in
            guard method == "GET" else { return .text(405, "only GET\n") }
            switch path {
            case "/metrics":
                return OpsHTTPServer.Response(
                    status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
            case "/health":
                let ready = pipeline.isReady
                let body = #"{"status":"\#(ready ? "ready" : "restoring")","partitions":[\#(pipeline.assignedPartitions.map(String.init).joined(separator: ","))]}"#
                return OpsHTTPServer.Response(
                    status: ready ? 200 : 503, contentType: "application/json", body: Array((body + "\n").utf8))
            case "/health/live":
                return .text(200, "alive\n")
            default:
                return .text(404, "not found: try /metrics, /health or /health/live\n")
            }
        }
        do {
            let port = try http.bind()
            logger.info("serving /metrics and /health", metadata: ["http.port": "\(port)"])
        } catch {
            printError("toxd: \(error)")
            throw ExitCode(2)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: http),
                    .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask { await Self.exitOnSecondSignal(logger: logger) }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch let error as WorkerStartupError {
            printError("toxd: \(error)")
            throw ExitCode(2)
        }
    }

    /// The first SIGTERM/SIGINT starts a graceful shutdown (the service group's); a second one
    /// means the operator does not want to wait.
    static func exitOnSecondSignal(logger: Logger) async {
        var seen = 0
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            seen += 1
            if seen >= 2 {
                logger.warning("second \(signal) received: exiting without waiting for in-flight batches")
                Foundation.exit(130)
            }
        }
    }

    private func loadConfiguration() throws -> WorkerConfiguration {
        var loader = WorkerConfigurationLoader()
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ConfigurationError("--config: cannot read \(config): \(error.localizedDescription)")
            }
            try loader.addYAML(text, origin: config)
        }
        loader.addEnvironment(ProcessInfo.processInfo.environment)
        loader.add("brokers", brokers, flag: "--brokers")
        loader.add("group", group, flag: "--group")
        loader.add("httpPort", httpPort.map(String.init), flag: "--http-port")
        loader.add("processingGuarantee", processingGuarantee, flag: "--processing-guarantee")
        loader.add("defaultProtocol", defaultProtocol, flag: "--default-protocol")
        loader.add("protocolsDirectory", protocolsDir, flag: "--protocols-dir")
        try loader.addKafkaProperties(kafkaProperties)
        return try loader.configuration()
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
