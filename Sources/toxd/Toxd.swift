import ArgumentParser

/// `toxd`: the ToxWatch worker.
@main
struct Toxd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toxd",
        abstract: "The ToxWatch worker: grades CRS, ICANS and IEC-HS from Kafka events and publishes recommendations."
    )
}
