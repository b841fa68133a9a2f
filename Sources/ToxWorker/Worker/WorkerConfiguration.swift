import Foundation
import KafkaClient
import Yams

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
///   event instant waits for every patient topic of its partition to pass it before it is evaluated
///   anyway, so that the events of one instant are evaluated together; 0 evaluates at once.
/// - `maxInputBytes` / `TOXD_MAX_INPUT_BYTES` (int, default 1048576, 1024–104857600): a larger input
///   record is dead-lettered with its size and digest instead of its bytes.
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
    /// How long an instant waits for the partition's watermark (``EvaluationGate``).
    package var evaluationGrace: Duration = .seconds(2)
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

/// A configuration value that cannot be used, naming where it came from.
package struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Collects configuration from a YAML document, the environment and flags, in that order.
package struct WorkerConfigurationLoader {
    /// Values as strings keyed by YAML key name; `kafka.<property>` for librdkafka properties.
    private var values: [String: (value: String, origin: String)] = [:]

    package init() {}

    /// Adds the keys of a YAML document (later sources override it).
    package mutating func addYAML(_ text: String, origin: String) throws(ConfigurationError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(origin): not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(origin): the top level must be a mapping of keys to values")
        }
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { continue }
            if key == "kafka" {
                guard let kafkaMapping = valueNode.mapping else {
                    throw ConfigurationError("\(origin): kafka: must be a mapping of librdkafka properties")
                }
                for (propertyNode, propertyValue) in kafkaMapping {
                    guard let property = propertyNode.string, let value = propertyValue.scalar?.string else {
                        throw ConfigurationError("\(origin): kafka: every property needs a scalar value")
                    }
                    values["kafka.\(property)"] = (value, "\(origin): kafka.\(property)")
                }
            } else {
                guard let scalar = valueNode.scalar?.string else {
                    throw ConfigurationError("\(origin): \(key): expected a single value")
                }
                values[key] = (scalar, "\(origin): \(key)")
            }
        }
    }

    /// Adds `TOXD_*` variables: `TOXD_HTTP_PORT` → `httpPort`, `TOXD_KAFKA_SASL_USERNAME` → `kafka.sasl.username`.
    package mutating func addEnvironment(_ environment: [String: String]) {
        for (name, value) in environment where name.hasPrefix("TOXD_") {
            let rest = name.dropFirst("TOXD_".count)
            if rest.hasPrefix("KAFKA_") {
                let property = rest.dropFirst("KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
                values["kafka.\(property)"] = (value, "environment \(name)")
            } else {
                let words = rest.lowercased().split(separator: "_")
                guard let first = words.first else { continue }
                var key = String(first)
                for word in words.dropFirst() { key += word.prefix(1).uppercased() + word.dropFirst() }
                if key == "protocolsDir" { key = "protocolsDirectory" }
                values[key] = (value, "environment \(name)")
            }
        }
    }

    /// Adds one value given on the command line.
    package mutating func add(_ key: String, _ value: String?, flag: String) {
        guard let value else { return }
        values[key] = (value, "flag \(flag)")
    }

    /// Adds `--kafka key=value` pairs.
    package mutating func addKafkaProperties(_ pairs: [String]) throws(ConfigurationError) {
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ConfigurationError("flag --kafka: '\(pair)' is not key=value")
            }
            let key = String(pair[..<equals])
            values["kafka.\(key)"] = (String(pair[pair.index(after: equals)...]), "flag --kafka \(key)")
        }
    }

    private static let knownKeys: Set<String> = [
        "brokers", "group", "httpHost", "httpPort", "processingGuarantee", "lateEventWindowHours", "shortageHoldHours", "maxBatchSize",
        "partitionBufferSize", "punctuationIntervalSeconds", "defaultProtocol", "protocolsDirectory",
        "shutdownGraceSeconds", "stallTimeoutSeconds", "maxClockSkewSeconds", "maxInputBytes", "evaluationGraceSeconds",
    ]

    /// Validates every value and builds the configuration.
    package func configuration() throws(ConfigurationError) -> WorkerConfiguration {
        for (key, entry) in values where !key.hasPrefix("kafka.") && !Self.knownKeys.contains(key) {
            throw ConfigurationError(
                "\(entry.origin): unknown key '\(key)'; known keys: \(Self.knownKeys.sorted().joined(separator: ", "))")
        }
        guard let brokers = values["brokers"], !brokers.value.isEmpty else {
            throw ConfigurationError("brokers: required (flag --brokers, environment TOXD_BROKERS or 'brokers:' in the file)")
        }
        var configuration = WorkerConfiguration(brokers: brokers.value)
        if let group = values["group"] {
            guard !group.value.isEmpty else { throw ConfigurationError("\(group.origin): must not be empty") }
            configuration.group = group.value
        }
        if let host = values["httpHost"] { configuration.httpHost = host.value }
        configuration.httpPort = try integer("httpPort", in: 0...65535) ?? configuration.httpPort
        if let guarantee = values["processingGuarantee"] {
            guard let parsed = WorkerConfiguration.ProcessingGuarantee(rawValue: guarantee.value) else {
                throw ConfigurationError(
                    "\(guarantee.origin): '\(guarantee.value)' is not one of exactly-once, transactions")
            }
            configuration.processingGuarantee = parsed
        }
        if let hours = try number("lateEventWindowHours", in: 0...168) {
            configuration.lateEventWindow = .seconds(hours * 3600)
        }
        if let hours = try number("shortageHoldHours", in: 0...168) {
            configuration.shortageHold = .seconds(hours * 3600)
        }
        if let seconds = try number("evaluationGraceSeconds", in: 0...60) {
            configuration.evaluationGrace = .milliseconds(Int((seconds * 1000).rounded()))
        }
        configuration.maxBatchSize = try integer("maxBatchSize", in: 1...100_000) ?? configuration.maxBatchSize
        configuration.partitionBufferSize =
            try integer("partitionBufferSize", in: 100...1_000_000) ?? configuration.partitionBufferSize
        if let seconds = try number("punctuationIntervalSeconds", in: 1...3600) {
            configuration.punctuationInterval = .seconds(seconds)
        }
        if let grace = try number("shutdownGraceSeconds", in: 1...600) {
            configuration.shutdownGrace = .seconds(grace)
        }
        if let seconds = try number("stallTimeoutSeconds", in: 1...86_400) {
            configuration.stallTimeout = .seconds(seconds)
        }
        if let seconds = try number("maxClockSkewSeconds", in: 0...604_800) {
            configuration.maxClockSkew = .seconds(seconds)
        }
        configuration.maxInputBytes = try integer("maxInputBytes", in: 1024...104_857_600) ?? configuration.maxInputBytes
        configuration.defaultProtocol = values["defaultProtocol"]?.value
        configuration.protocolsDirectory = values["protocolsDirectory"]?.value
        for (key, entry) in values where key.hasPrefix("kafka.") {
            configuration.kafka[String(key.dropFirst("kafka.".count))] = entry.value
        }
        return configuration
    }

    private func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let entry = values[key] else { return nil }
        guard let value = Int(entry.value), range.contains(value) else {
            throw ConfigurationError(
                "\(entry.origin): '\(entry.value)' must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    private func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let entry = values[key] else { return nil }
        guard let value = Double(entry.value), range.contains(value) else {
            throw ConfigurationError(
                "\(entry.origin): '\(entry.value)' must be a number in \(range.lowerBound.formatted())…\(range.upperBound.formatted())")
        }
        return value
    }
}
