import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ToxWorker

/// `toxd ingest`: HL7 v2 and FHIR R4 from the integration bus → the contract's events.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Decode raw HL7 v2 and FHIR R4 records into ToxWatch events on the patient topics.",
        discussion: """
            Consumes the raw topics (one HL7 v2 message or one FHIR resource/Bundle per record, any key; \
            the integration engine usually keys by MSH-10), decodes them (Docs/HL7-FHIR.md) and publishes \
            each event to its cart.* topic keyed by patient id (PID-3 / the Patient reference), with the \
            source message id (header toxwatch-source-message-id) and the raw record's topic, partition and \
            offset in headers. What cannot be used goes to cart.dlq.v1 with its reason, the original bytes \
            and an id made of the raw record's coordinates.

            Offsets are committed only after every event of a batch is acknowledged. A replay (a crash, a \
            reset group) yields the same eventIds (MSH-10, MSH-10#n, FHIR resource ids), which the worker \
            drops. The producer partitions with murmur2_random (Java's default): every producer to the \
            patient topics must use murmur2 so that a patient lands in the same partition on every topic.

            Settings come from --config (YAML), then the environment, then flags. Environment: TOXD_BROKERS, TOXD_INGEST_GROUP, TOXD_INGEST_HL7_TOPIC, TOXD_INGEST_FHIR_TOPIC, \
            TOXD_INGEST_HTTP_PORT, TOXD_INGEST_ASSUME_OFFSET, TOXD_INGEST_MAX_BATCH_SIZE, TOXD_KAFKA_<PROPERTY>; \
            flags win. SIGTERM or SIGINT finishes the in-flight batch, commits and leaves the group; a \
            second signal exits at once. /health and /metrics on --http-port.

            Example:
              toxd ingest --brokers localhost:9092 \\
                --hl7-topic hl7.inbound.v1 --fhir-topic fhir.inbound.v1
            """
    )

    @Option(help: "Bootstrap servers, HOST:PORT[,HOST:PORT…].")
    var brokers: String?

    @Option(help: "Consumer group id of the raw topics (default toxd-ingest).")
    var group: String?

    @Option(name: .customLong("hl7-topic"), help: "Raw HL7 v2 topic (default hl7.inbound.v1).")
    var hl7Topic: String?

    @Option(name: .customLong("fhir-topic"), help: "Raw FHIR R4 topic (default fhir.inbound.v1).")
    var fhirTopic: String?

    @Option(help: "Port of /metrics and /health (default 9465; 0 picks a free port and logs it).")
    var httpPort: Int?

    @Option(
        name: .customLong("assume-offset"),
        parsing: .unconditional,
        help: "UTC offset (Z, +hh:mm, -hh:mm) for HL7 timestamps that carry none when MSH-7 carries none either."
    )
    var assumeOffset: String?

    @Option(help: "Raw records per produce-then-commit batch (default 500).")
    var maxBatchSize: Int?

    @Option(
        help:
            "A YAML file with these settings (brokers, group, hl7Topic, fhirTopic, httpPort, assumeOffset, maxBatchSize, maxInputBytes, kafka: {property: value})."
    )
    var config: String?

    @Option(
        name: .customLong("kafka"),
        help: ArgumentHelp(
            "A librdkafka property, key=value (repeatable), e.g. security.protocol=SASL_SSL.",
            valueName: "key=value"
        )
    )
    var kafkaProperties: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String = "info"

    func run() async throws {
        var flags = IngestConfiguration.Flags()
        flags.brokers = brokers
        flags.group = group
        flags.hl7Topic = hl7Topic
        flags.fhirTopic = fhirTopic
        flags.httpPort = httpPort
        flags.assumeOffset = assumeOffset
        flags.maxBatchSize = maxBatchSize
        flags.kafkaProperties = kafkaProperties
        flags.config = config
        let configuration: IngestConfiguration
        do {
            configuration = try IngestConfiguration.load(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ServiceRunner.usageFailure("toxd ingest: \(error)")
        }
        try ServiceRunner.bootstrapLogging(logLevel, command: "toxd ingest")
        let logger = Logger(label: "toxd-ingest")
        let registry = PrometheusCollectorRegistry()
        let factory = IngestMetrics.prometheusFactory(registry)
        MetricsSystem.bootstrap(factory)
        let metrics = IngestMetrics(factory: factory, exposing: registry)
        let pipeline = IngestPipeline(configuration: configuration, metrics: metrics, logger: logger)
        try await ServiceRunner.run(
            "toxd ingest", pipeline: pipeline, host: configuration.httpHost, port: configuration.httpPort,
            logger: logger,
            metrics: { metrics.exposition() }, health: { pipeline.health() })
    }

}
