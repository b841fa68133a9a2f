import ArgumentParser
import Foundation
import ToxWorker

/// `toxctl`: the ToxWatch operations command line.
@main
struct Toxctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toxctl",
        abstract: "Operate ToxWatch: evaluate patients offline, watch consumer lag, manage topics and dead letters.",
        discussion: """
            Commands that talk to Kafka take --brokers HOST:PORT[,…] (or $TOXCTL_BROKERS). Exit status: 0 when \
            all is well, 1 when a command found problems, 2 for bad usage or unreachable brokers. Colour only on \
            a terminal, never with NO_COLOR.

            Examples:
              toxctl dev-broker &
              toxctl lag --brokers 127.0.0.1:40155 --watch 10
              toxctl dlq list --brokers 127.0.0.1:40155 --since 6h
            """,
        version: ToxWatchVersion.line(command: "toxctl"),
        subcommands: [
            DevBrokerCommand.self, DecodeCommand.self, EvaluateCommand.self, ProtocolsCommand.self, LagCommand.self,
            TopicsCommand.self, DeadLetterCommand.self, LoadCommand.self, ShortageCommand.self, ChartCommand.self,
            PharmacyCommand.self,
        ]
    )

    /// ArgumentParser's `main`, except that bad usage exits with status 2 (not EX_USAGE, 64), the
    /// status every toxctl command documents for usage errors.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
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
