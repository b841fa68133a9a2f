import ArgumentParser

/// `toxctl`: the ToxWatch operations command line.
@main
struct Toxctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toxctl",
        abstract: "Operate ToxWatch: evaluate patients offline, watch consumer lag, manage topics and dead letters.",
        subcommands: [DevBrokerCommand.self, DecodeCommand.self, EvaluateCommand.self, ProtocolsCommand.self]
    )
}
