internal import CRdKafka

/// The librdkafka the process is linked with (Debian bookworm: 2.0.2).
package enum Librdkafka {
    /// Its version, as librdkafka reports it (`2.0.2`).
    package static var version: String { String(cString: rd_kafka_version_str()) }
}
