import Foundation
import KafkaClient
import ToxWatchContract

/// Everything `toxd ingest` can be told.
///
/// Sources, later ones winning: defaults, the YAML file (`--config`), `TOXD_*` environment
/// variables, flags. Keys (flag / environment variable; the YAML key is the camel-cased name:
/// `hl7Topic`, `maxBatchSize`, and `kafka:` a mapping of librdkafka properties):
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
    package var brokerList: [String] { KafkaClients.brokerList(brokers) }

    /// The ingest stage's Kafka clients' settings.
    package var clients: KafkaClients { KafkaClients(brokers: brokers, properties: kafka) }

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
        /// A YAML file with the keys of ``environmentNames`` and a `kafka` mapping.
        package var config: String?

        package init() {}
    }

    /// The keys of the YAML file and their environment variables (`brokers` is shared with the worker).
    static let environmentNames: [String: String] = [
        "TOXD_BROKERS": "brokers", "TOXD_INGEST_GROUP": "group", "TOXD_INGEST_HL7_TOPIC": "hl7Topic",
        "TOXD_INGEST_FHIR_TOPIC": "fhirTopic", "TOXD_INGEST_HTTP_PORT": "httpPort",
        "TOXD_INGEST_ASSUME_OFFSET": "assumeOffset", "TOXD_INGEST_MAX_BATCH_SIZE": "maxBatchSize",
        "TOXD_INGEST_MAX_INPUT_BYTES": "maxInputBytes",
    ]

    /// Builds the configuration from the YAML file (`--config`), the environment and the flags,
    /// in that order (``LayeredSettings``), validating every value.
    /// - Throws: ``ConfigurationError`` naming the file key, flag or variable.
    package static func load(flags: Flags, environment: [String: String]) throws(ConfigurationError)
        -> IngestConfiguration
    {
        var settings = LayeredSettings()
        if let path = flags.config { try settings.addYAMLFile(path) }
        settings.addEnvironment(environment) { environmentNames[$0] }
        settings.add("brokers", flags.brokers, flag: "--brokers")
        settings.add("group", flags.group, flag: "--group")
        settings.add("hl7Topic", flags.hl7Topic, flag: "--hl7-topic")
        settings.add("fhirTopic", flags.fhirTopic, flag: "--fhir-topic")
        settings.add("httpPort", flags.httpPort.map(String.init), flag: "--http-port")
        settings.add("assumeOffset", flags.assumeOffset, flag: "--assume-offset")
        settings.add("maxBatchSize", flags.maxBatchSize.map(String.init), flag: "--max-batch-size")
        try settings.addKafkaProperties(flags.kafkaProperties)
        try settings.rejectUnknownKeys(Set(environmentNames.values))

        guard let brokers = settings["brokers"]?.value, !brokers.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigurationError(
                "brokers: required (flag --brokers, environment TOXD_BROKERS or 'brokers:' in the file)")
        }
        var configuration = IngestConfiguration(brokers: brokers)
        configuration.group = try settings.nonEmpty("group") ?? configuration.group
        configuration.hl7Topic = try settings.nonEmpty("hl7Topic") ?? configuration.hl7Topic
        configuration.fhirTopic = try settings.nonEmpty("fhirTopic") ?? configuration.fhirTopic
        guard configuration.hl7Topic != configuration.fhirTopic else {
            throw ConfigurationError("--hl7-topic and --fhir-topic must differ (the topic says how to decode a record)")
        }
        let patientTopics = Set(ToxWatchTopics.patientInputs + [ToxWatchTopics.deadLetters, ToxWatchTopics.inventory])
        for topic in [configuration.hl7Topic, configuration.fhirTopic] where patientTopics.contains(topic) {
            throw ConfigurationError("\(topic) is an output of the ingest stage and cannot be one of its inputs")
        }
        configuration.httpPort = try settings.integer("httpPort", in: 0...65535) ?? configuration.httpPort
        if let entry = settings["assumeOffset"] {
            guard let seconds = utcOffsetSeconds(entry.value) else {
                throw ConfigurationError("\(entry.origin): '\(entry.value)' is not Z, +hh:mm or -hh:mm")
            }
            configuration.defaultUTCOffsetSeconds = seconds
        }
        configuration.maxBatchSize = try settings.integer("maxBatchSize", in: 1...100_000) ?? configuration.maxBatchSize
        configuration.maxInputBytes =
            try settings.integer("maxInputBytes", in: 1024...104_857_600) ?? configuration.maxInputBytes
        configuration.kafka = settings.kafka
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
