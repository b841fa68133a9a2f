import Foundation
import KafkaClient
import ToxWatchContract

/// Everything `toxd ingest` can be told.
///
/// Sources, later ones winning: defaults, `TOXD_*` environment variables, flags. Keys (flag /
/// environment variable):
/// - `--brokers` / `TOXD_BROKERS` (string, required): bootstrap servers `HOST:PORT[,…]`.
/// - `--group` / `TOXD_INGEST_GROUP` (string, default `toxd-ingest`): consumer group of the raw topics.
/// - `--hl7-topic` / `TOXD_INGEST_HL7_TOPIC` (default `hl7.inbound.v1`): one HL7 v2 message per record
///   (MLLP framing and several messages per record are accepted).
/// - `--fhir-topic` / `TOXD_INGEST_FHIR_TOPIC` (default `fhir.inbound.v1`): one FHIR R4 JSON resource or
///   Bundle per record.
/// - `--http-port` / `TOXD_INGEST_HTTP_PORT` (int, default 9465; 0 picks a free port): `/metrics`, `/health`.
/// - `--assume-offset` / `TOXD_INGEST_ASSUME_OFFSET` (`Z`, `+hh:mm`, `-hh:mm`, optional): UTC offset of
///   HL7 timestamps that carry none when MSH-7 carries none either (otherwise such an observation is
///   rejected, never guessed).
/// - `--max-batch-size` / `TOXD_INGEST_MAX_BATCH_SIZE` (int, default 500, 1–100,000): raw records per
///   produce-then-commit cycle.
/// - `TOXD_INGEST_MAX_INPUT_BYTES` (int, default 1048576, 1024–104857600): a larger raw record is
///   dead-lettered at once with its size and SHA-256 instead of its bytes.
/// - `--kafka key=value` / `TOXD_KAFKA_<PROPERTY>`: librdkafka properties for both clients, as for the
///   worker (secrets such as `sasl.password` are never logged). `partitioner` cannot be overridden: the
///   ingest producer always uses `murmur2_random` (Java's default), so that a patient lands in the
///   same partition of every patient topic whichever client wrote it.
package struct IngestConfiguration: Sendable, Equatable {
    package var brokers: String
    package var group = "toxd-ingest"
    package var hl7Topic = ToxWatchTopics.hl7Inbound
    package var fhirTopic = ToxWatchTopics.fhirInbound
    package var httpHost = "0.0.0.0"
    package var httpPort = 9465
    package var defaultUTCOffsetSeconds: Int?
    package var maxBatchSize = 500
    package var maxInputBytes = 1 << 20
    package var kafka: [String: String] = [:]

    package init(brokers: String) {
        self.brokers = brokers
    }

    /// The bootstrap servers as a list.
    package var brokerList: [String] {
        brokers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The partitioner every producer to the patient topics must use (librdkafka's name for the Java
    /// client's default murmur2 partitioner).
    package static let partitioner = "murmur2_random"

    /// A one-line description for the start-up log, with secrets redacted.
    package var redactedSummary: String {
        let kafkaKeys = KafkaPropertyRedaction.describe(kafka)
        return "brokers=\(brokers) group=\(group) hl7=\(hl7Topic) fhir=\(fhirTopic) http=\(httpHost):\(httpPort) "
            + "kafka=[\(kafkaKeys.joined(separator: ","))]"
    }

    /// Flag values of `toxd ingest` (nil: not given).
    package struct Flags: Sendable {
        package var brokers: String?
        package var group: String?
        package var hl7Topic: String?
        package var fhirTopic: String?
        package var httpPort: Int?
        package var assumeOffset: String?
        package var maxBatchSize: Int?
        package var kafkaProperties: [String] = []

        package init() {}
    }

    /// Builds the configuration from the environment and the flags, validating every value.
    /// - Throws: ``ConfigurationError`` naming the flag or variable.
    package static func load(flags: Flags, environment: [String: String]) throws(ConfigurationError)
        -> IngestConfiguration
    {
        func value(_ flag: String?, _ variable: String) -> (String, String)? {
            if let flag { return (flag, "flag") }
            if let env = environment[variable] { return (env, "environment \(variable)") }
            return nil
        }
        guard let (brokers, _) = value(flags.brokers, "TOXD_BROKERS"),
            !brokers.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw ConfigurationError("brokers: required (flag --brokers or environment TOXD_BROKERS)")
        }
        var configuration = IngestConfiguration(brokers: brokers)
        if let (group, origin) = value(flags.group, "TOXD_INGEST_GROUP") {
            guard !group.isEmpty else { throw ConfigurationError("\(origin) group: must not be empty") }
            configuration.group = group
        }
        if let (topic, origin) = value(flags.hl7Topic, "TOXD_INGEST_HL7_TOPIC") {
            guard !topic.isEmpty else { throw ConfigurationError("\(origin) hl7-topic: must not be empty") }
            configuration.hl7Topic = topic
        }
        if let (topic, origin) = value(flags.fhirTopic, "TOXD_INGEST_FHIR_TOPIC") {
            guard !topic.isEmpty else { throw ConfigurationError("\(origin) fhir-topic: must not be empty") }
            configuration.fhirTopic = topic
        }
        guard configuration.hl7Topic != configuration.fhirTopic else {
            throw ConfigurationError("--hl7-topic and --fhir-topic must differ (the topic says how to decode a record)")
        }
        let patientTopics = Set(ToxWatchTopics.patientInputs + [ToxWatchTopics.deadLetters, ToxWatchTopics.inventory])
        for topic in [configuration.hl7Topic, configuration.fhirTopic] where patientTopics.contains(topic) {
            throw ConfigurationError("\(topic) is an output of the ingest stage and cannot be one of its inputs")
        }
        if let port = flags.httpPort {
            guard (0...65535).contains(port) else {
                throw ConfigurationError("flag --http-port: \(port) is not 0-65535")
            }
            configuration.httpPort = port
        } else if let text = environment["TOXD_INGEST_HTTP_PORT"] {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationError("environment TOXD_INGEST_HTTP_PORT: '\(text)' is not 0-65535")
            }
            configuration.httpPort = port
        }
        if let (text, origin) = value(flags.assumeOffset, "TOXD_INGEST_ASSUME_OFFSET") {
            guard let seconds = utcOffsetSeconds(text) else {
                throw ConfigurationError("\(origin) assume-offset: '\(text)' is not Z, +hh:mm or -hh:mm")
            }
            configuration.defaultUTCOffsetSeconds = seconds
        }
        if let size = flags.maxBatchSize {
            guard (1...100_000).contains(size) else {
                throw ConfigurationError("flag --max-batch-size: \(size) is not 1-100000")
            }
            configuration.maxBatchSize = size
        } else if let text = environment["TOXD_INGEST_MAX_BATCH_SIZE"] {
            guard let size = Int(text), (1...100_000).contains(size) else {
                throw ConfigurationError("environment TOXD_INGEST_MAX_BATCH_SIZE: '\(text)' is not 1-100000")
            }
            configuration.maxBatchSize = size
        }
        if let text = environment["TOXD_INGEST_MAX_INPUT_BYTES"] {
            guard let bytes = Int(text), (1024...104_857_600).contains(bytes) else {
                throw ConfigurationError("environment TOXD_INGEST_MAX_INPUT_BYTES: '\(text)' is not 1024-104857600")
            }
            configuration.maxInputBytes = bytes
        }
        // librdkafka properties: environment first, flags win.
        for (name, value) in environment where name.hasPrefix("TOXD_KAFKA_") {
            let property = name.dropFirst("TOXD_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            configuration.kafka[property] = value
        }
        for pair in flags.kafkaProperties {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ConfigurationError("flag --kafka: '\(pair)' is not key=value")
            }
            configuration.kafka[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        if let partitioner = configuration.kafka["partitioner"], partitioner != Self.partitioner {
            throw ConfigurationError(
                "kafka partitioner: '\(partitioner)' cannot be used: every producer to the patient topics must use "
                    + "\(Self.partitioner) (Java's murmur2) so that a patient lands in the same partition of every topic"
            )
        }
        return configuration
    }

    /// `Z`, `+hh:mm` or `-hh:mm` in seconds east of UTC.
    package static func utcOffsetSeconds(_ text: String) -> Int? {
        if text == "Z" || text == "z" { return 0 }
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
            bytes[3] == UInt8(ascii: ":"),
            let hours = Int(String(decoding: bytes[1..<3], as: UTF8.self)),
            let minutes = Int(String(decoding: bytes[4..<6], as: UTF8.self)),
            (0...23).contains(hours), (0...59).contains(minutes)
        else { return nil }
        return (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }
}
