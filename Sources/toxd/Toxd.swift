import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ToxWorker

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
        version: ToxWatchVersion.line(command: "toxd"),
        subcommands: [WorkerCommand.self, IngestCommand.self],
        defaultSubcommand: WorkerCommand.self
    )

    /// Runs the command; a usage error (unknown flag, bad value) exits with status 2 like every
    /// other error a person has to fix (ArgumentParser's own code for it is 64), so that systemd's
    /// `RestartPreventExitStatus=2` never restart-loops a misconfigured worker.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
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
          shutdownGraceSeconds (30), stallTimeoutSeconds (120), maxClockSkewSeconds (3600),
          maxInputBytes (1048576), evaluationGraceSeconds (2), producerLingerMilliseconds (5),
          producerBatchMessages (10000), fetchWaitMilliseconds (100), fetchMinBytes (1),
          fetchQueueKilobytes (16384), kafka: {librdkafka property: value}
        e.g. TOXD_BROKERS=kafka:9092, TOXD_KAFKA_SASL_PASSWORD=… for kafka sasl.password.

        SIGTERM or SIGINT finishes the in-flight batches, commits and leaves the group; a second \
        signal exits at once. /health answers 200 once the assigned partitions are restored and \
        none is stalled (503 while starting, waiting for unreachable brokers, restoring or stalled); \
        /metrics serves Prometheus series. Exit status 2: settings, flags or topics a person must fix; \
        unreachable brokers are retried, not an exit.

        Example:
          toxd --brokers localhost:9092 --http-port 9464 \\
            --kafka security.protocol=SASL_SSL
        """

    /// The worker's flags, for the root command's help (`toxd --help`).
    static var optionSummary: String {
        let help = WorkerCommand.helpMessage(columns: 78)
        guard let range = help.range(of: "OPTIONS:") else { return "" }
        return "WORKER OPTIONS (toxd [worker] …):"
            + help[range.upperBound...].trimmingCharacters(in: .newlines)
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

    @Option(help: "Inputs per partition batch (default 2000).")
    var maxBatchSize: Int?

    @Option(help: "The producer's linger.ms: how long it waits to fill a batch (default 5).")
    var producerLingerMilliseconds: Int?

    @Option(help: "The producer's batch.num.messages: records per request and partition (default 10000).")
    var producerBatchMessages: Int?

    @Option(help: "The consumer's fetch.wait.max.ms: how long the broker may hold a fetch (default 100).")
    var fetchWaitMilliseconds: Int?

    @Option(help: "The consumer's fetch.min.bytes: the bytes a fetch waits for (default 1).")
    var fetchMinBytes: Int?

    @Option(help: "The consumer's queued.max.messages.kbytes: its prefetch bound (default 16384).")
    var fetchQueueKilobytes: Int?

    @Option(
        name: .customLong("kafka"),
        help: ArgumentHelp(
            "A librdkafka property, key=value (repeatable), e.g. security.protocol=SASL_SSL.", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String = "info"

    func run() async throws {
        let configuration: WorkerConfiguration
        let evaluator: PatientEvaluator
        do {
            configuration = try loadConfiguration()
            evaluator = try PatientEvaluator.load(configuration: configuration)
        } catch {
            throw ServiceRunner.usageFailure("toxd: \(error)")
        }
        try ServiceRunner.bootstrapLogging(logLevel, command: "toxd")
        let logger = Logger(label: "toxd")
        let registry = PrometheusCollectorRegistry()
        let factory = WorkerMetrics.prometheusFactory(registry)
        MetricsSystem.bootstrap(factory)
        let metrics = WorkerMetrics(factory: factory, exposing: registry)
        let pipeline = WorkerPipeline(
            configuration: configuration, evaluator: evaluator, metrics: metrics, logger: logger)
        try await ServiceRunner.run(
            "toxd", pipeline: pipeline, host: configuration.httpHost, port: configuration.httpPort,
            shutdownGrace: configuration.shutdownGrace, logger: logger,
            metrics: { metrics.exposition() }, health: { pipeline.health() })
    }

    private func loadConfiguration() throws -> WorkerConfiguration {
        var loader = WorkerConfigurationLoader()
        if let config { try loader.addYAMLFile(config) }
        loader.addEnvironment(ProcessInfo.processInfo.environment)
        loader.add("brokers", brokers, flag: "--brokers")
        loader.add("group", group, flag: "--group")
        loader.add("httpPort", httpPort.map(String.init), flag: "--http-port")
        loader.add("processingGuarantee", processingGuarantee, flag: "--processing-guarantee")
        loader.add("defaultProtocol", defaultProtocol, flag: "--default-protocol")
        loader.add("protocolsDirectory", protocolsDir, flag: "--protocols-dir")
        loader.add("maxBatchSize", maxBatchSize.map(String.init), flag: "--max-batch-size")
        loader.add(
            "producerLingerMilliseconds", producerLingerMilliseconds.map(String.init),
            flag: "--producer-linger-milliseconds")
        loader.add("producerBatchMessages", producerBatchMessages.map(String.init), flag: "--producer-batch-messages")
        loader.add("fetchWaitMilliseconds", fetchWaitMilliseconds.map(String.init), flag: "--fetch-wait-milliseconds")
        loader.add("fetchMinBytes", fetchMinBytes.map(String.init), flag: "--fetch-min-bytes")
        loader.add("fetchQueueKilobytes", fetchQueueKilobytes.map(String.init), flag: "--fetch-queue-kilobytes")
        try loader.addKafkaProperties(kafkaProperties)
        return try loader.configuration()
    }
}
