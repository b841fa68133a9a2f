import Foundation
import KafkaClient

/// Everything `toxd` can be told, with the defaults of DESIGN.md.
///
/// Sources, later ones winning: built-in defaults, the YAML file (`--config`), `TOXD_*` environment
/// variables, command-line flags. Keys (YAML name / environment variable):
/// - `brokers` / `TOXD_BROKERS` (string, required): bootstrap servers `HOST:PORT[,…]`.
/// - `group` / `TOXD_GROUP` (string, default `toxd`): consumer group id.
/// - `httpPort` / `TOXD_HTTP_PORT` (int, default 9464, 0 picks a free port): `/metrics` and `/health`.
/// - `httpHost` / `TOXD_HTTP_HOST` (string, default `0.0.0.0`; `::` for IPv6).
/// - `processingGuarantee` / `TOXD_PROCESSING_GUARANTEE` (`exactly-once` default, or `transactions`).
/// - `lateEventWindowHours` / `TOXD_LATE_EVENT_WINDOW_HOURS` (number, default 6): how late an event
///   may arrive and still re-evaluate its patient.
/// - `maxBatchSize` / `TOXD_MAX_BATCH_SIZE` (int, default 2000): inputs per partition batch.
/// - `partitionBufferSize` / `TOXD_PARTITION_BUFFER_SIZE` (int, default 10000): messages queued per
///   partition before fetching from it pauses.
/// - `punctuationIntervalSeconds` / `TOXD_PUNCTUATION_INTERVAL_SECONDS` (number, default 30): how often
///   time-driven rules (dose due, taper step) are checked.
/// - `defaultProtocol` / `TOXD_DEFAULT_PROTOCOL` (protocol id, optional): for patients whose admission
///   names none.
/// - `protocolsDirectory` / `TOXD_PROTOCOLS_DIR` (path, optional): site protocol files added to the
///   shipped ones.
/// - `shutdownGraceSeconds` / `TOXD_SHUTDOWN_GRACE_SECONDS` (number, default 30, 1–600): how long
///   SIGTERM/SIGINT waits for the in-flight batches before `toxd` exits anyway (status 130).
/// - `stallTimeoutSeconds` / `TOXD_STALL_TIMEOUT_SECONDS` (number, default 120, 1–86400): an owned
///   partition with lag and no progress for this long is stalled, and `/health` reports not ready.
/// - `maxClockSkewSeconds` / `TOXD_MAX_CLOCK_SKEW_SECONDS` (number, default 3600, 0–604800): how far an
///   event's `occurredAt` may lie ahead of its Kafka record's timestamp; a later one is dead-lettered
///   (`invalid-timestamp`) and never moves partition time.
/// - `shortageHoldHours` / `TOXD_SHORTAGE_HOLD_HOURS` (number, default 12, 0–168): how long a patient's
///   need for a short drug must stay absent before the worker publishes that it is no longer needed
///   (the end of the anakinra course ends it at once).
/// - `evaluationGraceSeconds` / `TOXD_EVALUATION_GRACE_SECONDS` (number, default 2, 0–60): how long an
///   event instant waits after its last record arrived before it is evaluated, so that the events of
///   one instant (and an inventory change of that instant) are evaluated together; 0 evaluates at once.
/// - `maxInputBytes` / `TOXD_MAX_INPUT_BYTES` (int, default 1048576, 1024–104857600): a larger input
///   record is dead-lettered with its size and digest instead of its bytes.
/// - `producerLingerMilliseconds`, `producerBatchMessages`, `fetchWaitMilliseconds`, `fetchMinBytes`,
///   `fetchQueueKilobytes`: how the Kafka clients batch and fetch (``KafkaPipelineSettings``).
/// - `kafka` (map) / `TOXD_KAFKA_<PROPERTY>` (e.g. `TOXD_KAFKA_SECURITY_PROTOCOL=SASL_SSL`): librdkafka
///   properties passed through unchanged (secrets such as `sasl.password` are never logged).
package struct WorkerConfiguration: Sendable, Equatable {
    /// How the worker makes each input's effect happen exactly once.
    package enum ProcessingGuarantee: String, Sendable, CaseIterable {
        /// Idempotent outputs reconciled with the log; works on every broker (DESIGN.md §2).
        case exactlyOnce = "exactly-once"
        /// One Kafka transaction per batch; needs a broker that implements transactions.
        case transactions
    }

    package var brokers: String
    package var group: String = "toxd"
    package var httpHost: String = "0.0.0.0"
    package var httpPort: Int = 9464
    package var processingGuarantee: ProcessingGuarantee = .exactlyOnce
    package var lateEventWindow: Duration = .seconds(6 * 3600)
    package var maxBatchSize: Int = 2000
    package var partitionBufferSize: Int = 10_000
    package var punctuationInterval: Duration = .seconds(30)
    package var defaultProtocol: String?
    package var protocolsDirectory: String?
    package var shutdownGrace: Duration = .seconds(30)
    package var stallTimeout: Duration = .seconds(120)
    package var maxClockSkew: Duration = .seconds(3600)
    package var maxInputBytes: Int = 1 << 20
    package var shortageHold: Duration = Self.defaultShortageHold
    /// Shortage advice ends 12 hours after the need was last seen (issue 12).
    package static let defaultShortageHold: Duration = .seconds(12 * 3600)
    /// How long an instant waits after its last record arrived (``EvaluationGate``).
    package var evaluationGrace: Duration = .seconds(2)
    /// How the Kafka clients batch and fetch; `kafka` properties of the same name win.
    package var pipeline = KafkaPipelineSettings()
    /// librdkafka properties passed through unchanged.
    package var kafka: [String: String] = [:]

    package init(brokers: String) {
        self.brokers = brokers
    }

    /// A one-line description for the start-up log, with secrets redacted.
    package var redactedSummary: String {
        let kafkaKeys = KafkaPropertyRedaction.describe(kafka)
        return "brokers=\(brokers) group=\(group) guarantee=\(processingGuarantee.rawValue) "
            + "http=\(httpHost):\(httpPort) kafka=[\(kafkaKeys.joined(separator: ","))]"
    }
}

/// Collects `toxd`'s settings from a YAML document, the environment and flags, in that order
/// (``LayeredSettings``), and validates them.
package struct WorkerConfigurationLoader {
    private var settings = LayeredSettings()

    package init() {}

    /// Adds the keys of a YAML document (later sources override it).
    package mutating func addYAML(_ text: String, origin: String) throws(ConfigurationError) {
        try settings.addYAML(text, origin: origin)
    }

    /// Reads the YAML file given with `--config` and adds its keys.
    package mutating func addYAMLFile(_ path: String) throws(ConfigurationError) {
        try settings.addYAMLFile(path)
    }

    /// Adds `TOXD_*` variables: `TOXD_HTTP_PORT` → `httpPort`, `TOXD_KAFKA_SASL_USERNAME` → `kafka.sasl.username`.
    package mutating func addEnvironment(_ environment: [String: String]) {
        settings.addEnvironment(environment) { name in
            let key = LayeredSettings.camelCaseKey(name, prefix: "TOXD_")
            return key == "protocolsDir" ? "protocolsDirectory" : key
        }
    }

    /// Adds one value given on the command line.
    package mutating func add(_ key: String, _ value: String?, flag: String) {
        settings.add(key, value, flag: flag)
    }

    /// Adds `--kafka key=value` pairs.
    package mutating func addKafkaProperties(_ pairs: [String]) throws(ConfigurationError) {
        try settings.addKafkaProperties(pairs)
    }

    private static let knownKeys = Set([
        "brokers", "group", "httpHost", "httpPort", "processingGuarantee", "lateEventWindowHours", "shortageHoldHours",
        "maxBatchSize",
        "partitionBufferSize", "punctuationIntervalSeconds", "defaultProtocol", "protocolsDirectory",
        "shutdownGraceSeconds", "stallTimeoutSeconds", "maxClockSkewSeconds", "maxInputBytes", "evaluationGraceSeconds",
    ]).union(KafkaPipelineSettings.keys)

    /// Validates every value and builds the configuration.
    package func configuration() throws(ConfigurationError) -> WorkerConfiguration {
        try settings.rejectUnknownKeys(Self.knownKeys)
        guard let brokers = settings["brokers"]?.value, !brokers.isEmpty else {
            throw ConfigurationError(
                "brokers: required (flag --brokers, environment TOXD_BROKERS or 'brokers:' in the file)")
        }
        var configuration = WorkerConfiguration(brokers: brokers)
        configuration.group = try settings.nonEmpty("group") ?? configuration.group
        configuration.httpHost = settings["httpHost"]?.value ?? configuration.httpHost
        configuration.httpPort = try settings.integer("httpPort", in: 0...65535) ?? configuration.httpPort
        configuration.processingGuarantee =
            try settings.choice("processingGuarantee", of: WorkerConfiguration.ProcessingGuarantee.self)
            ?? configuration.processingGuarantee
        if let hours = try settings.number("lateEventWindowHours", in: 0...168) {
            configuration.lateEventWindow = .seconds(hours * 3600)
        }
        if let hours = try settings.number("shortageHoldHours", in: 0...168) {
            configuration.shortageHold = .seconds(hours * 3600)
        }
        if let seconds = try settings.number("evaluationGraceSeconds", in: 0...60) {
            configuration.evaluationGrace = .milliseconds(Int((seconds * 1000).rounded()))
        }
        configuration.maxBatchSize = try settings.integer("maxBatchSize", in: 1...100_000) ?? configuration.maxBatchSize
        configuration.partitionBufferSize =
            try settings.integer("partitionBufferSize", in: 100...1_000_000) ?? configuration.partitionBufferSize
        if let seconds = try settings.number("punctuationIntervalSeconds", in: 1...3600) {
            configuration.punctuationInterval = .seconds(seconds)
        }
        if let grace = try settings.number("shutdownGraceSeconds", in: 1...600) {
            configuration.shutdownGrace = .seconds(grace)
        }
        if let seconds = try settings.number("stallTimeoutSeconds", in: 1...86_400) {
            configuration.stallTimeout = .seconds(seconds)
        }
        if let seconds = try settings.number("maxClockSkewSeconds", in: 0...604_800) {
            configuration.maxClockSkew = .seconds(seconds)
        }
        configuration.maxInputBytes =
            try settings.integer("maxInputBytes", in: 1024...104_857_600) ?? configuration.maxInputBytes
        configuration.defaultProtocol = settings["defaultProtocol"]?.value
        configuration.protocolsDirectory = settings["protocolsDirectory"]?.value
        try configuration.pipeline.load(from: settings)
        configuration.kafka = settings.kafka
        return configuration
    }
}
