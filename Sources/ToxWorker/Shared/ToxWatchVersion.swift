import KafkaClient

/// The version `toxd --version` and `toxctl --version` print.
package enum ToxWatchVersion {
    /// The ToxWatch package version.
    package static let package = "0.1.0"

    /// `toxctl 0.1.0 (librdkafka 2.0.2)`: the command, the package version and the librdkafka in use.
    package static func line(command: String) -> String {
        "\(command) \(package) (librdkafka \(Librdkafka.version))"
    }
}
