import ArgumentParser
import Foundation
import KafkaClient
import Logging
import ToxOps

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the operations commands reach Kafka: `--brokers`, `--kafka KEY=VALUE`, `--timeout`, `--verbose`.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Kafka bootstrap servers, HOST:PORT[,HOST:PORT…] (default: $TOXCTL_BROKERS).", valueName: "servers"))
    var brokers: String?

    @Option(
        name: .customLong("kafka"),
        help: ArgumentHelp(
            "A librdkafka property for the connection (repeatable), e.g. --kafka security.protocol=SASL_SSL.",
            valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(
        help: ArgumentHelp("Seconds to wait for the brokers before reporting them unreachable.", valueName: "seconds"))
    var timeout: Double = 5

    @Flag(help: "Log the Kafka client's messages to standard error.")
    var verbose = false

    func connection() throws(OpsError) -> BrokerConnection {
        guard let text = brokers ?? ProcessInfo.processInfo.environment["TOXCTL_BROKERS"], !text.isEmpty else {
            throw .usage("--brokers HOST:PORT is required (or set TOXCTL_BROKERS)")
        }
        guard timeout > 0, timeout <= 600 else { throw .usage("--timeout must be between 0 and 600 seconds") }
        let connection = BrokerConnection(
            bootstrapServers: try BrokerConnection.parseServers(text),
            requestTimeout: .milliseconds(Int64(timeout * 1000)),
            additionalConfig: try BrokerConnection.parseProperties(kafkaProperties))
        if verbose {
            // Only harmless property values are printed; every other one is <redacted>.
            var properties = connection.additionalConfig
            properties["bootstrap.servers"] = connection.bootstrapServers.joined(separator: ",")
            CLI.err("toxctl: kafka " + KafkaPropertyRedaction.describe(properties).joined(separator: " "))
        }
        return connection
    }

    /// librdkafka's own log lines go to standard error only with `--verbose`.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }
}

/// Terminal handling, errors and exit statuses shared by the operations commands.
enum CLI {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Colours for standard output: only on a terminal, never with NO_COLOR.
    static var stdoutPalette: Palette {
        Palette(isEnabled: Palette.colorEnabled(isTerminal: isatty(STDOUT_FILENO) == 1, environment: environment))
    }

    /// Colours for standard error.
    static var stderrPalette: Palette {
        Palette(isEnabled: Palette.colorEnabled(isTerminal: isatty(STDERR_FILENO) == 1, environment: environment))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes a line to standard output at once (unbuffered, so pipes see progress).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes a line to standard error.
    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Runs a command body, turning ``OpsError`` into a message on standard error and its exit status
    /// (1 problems found, 2 usage or connection).
    static func run(_ command: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as OpsError {
            let label = error.kind == .problems ? "toxctl \(command): " : "toxctl \(command): error: "
            err(stderrPalette.apply(.red, label) + error.message)
            throw ExitCode(error.exitStatus)
        }
    }

    /// Splits repeatable, comma-separated values (`--topics a,b --topics c`).
    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }
}
