import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ToxWorker
import UnixSignals

/// What `toxd`'s commands share: logging, the operational endpoints, the service group, signals
/// and exit statuses (2 for anything a person has to fix before a restart can help).
enum ServiceRunner {
    /// Prints `message` to standard error and returns exit status 2.
    static func usageFailure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(2)
    }

    /// Parses `--log-level` and bootstraps logging to standard error.
    static func bootstrapLogging(_ level: String, command: String) throws {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw usageFailure(
                "\(command): --log-level: '\(level)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }

    /// Serves `/metrics`, `/health` (200 once `isReady`, else 503, with `healthFields` in the JSON
    /// body) and `/health/live` (GET and HEAD), and runs `pipeline` until SIGTERM/SIGINT, which
    /// shut both down gracefully (the pipeline first, the HTTP server last). A second signal, or
    /// `shutdownGrace` passing first (the group's `maximumGracefulShutdownDuration`), cancels the group: the pipeline is abandoned
    /// (``AbandonableService``) and the process exits with status 130. A ``WorkerStartupError``,
    /// ``ConfigurationError`` or an address the HTTP server cannot listen on exits with status 2.
    static func run(
        _ command: String, pipeline: some Service, host: String, port: Int, shutdownGrace: Duration? = nil,
        logger: Logger, metrics: @escaping @Sendable () -> [UInt8], health: @escaping @Sendable () -> HealthReport
    ) async throws {
        let http = OpsHTTPServer(
            host: host, port: port, logger: logger,
            routes: [
                "/metrics": {
                    OpsHTTPServer.Response(
                        status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics())
                },
                "/health": {
                    let report = health()
                    return OpsHTTPServer.Response(
                        status: report.ready ? 200 : 503, contentType: "application/json", body: report.json())
                },
                "/health/live": { .text(200, "alive\n") },
            ])
        let abandonable = AbandonableService(pipeline, shutdownGrace: shutdownGrace, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: http),
                .init(
                    service: abandonable, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownGrace
        // The pipeline returns at once when cancelled; this bounds the HTTP server's cancellation.
        configuration.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        do {
            // ServiceLifecycle refuses one signal as both a graceful-shutdown and a cancellation
            // signal, so the second SIGTERM/SIGINT cancels the group by cancelling its task.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask { await secondSignal() }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch let error as WorkerStartupError {
            throw usageFailure("\(command): \(error)")
        } catch let error as ConfigurationError {
            throw usageFailure("\(command): \(error)")
        } catch let error as OpsHTTPServerError {
            throw usageFailure("\(command): \(error)")
        } catch  where abandonable.wasAbandoned {
            // The pipeline's cancellation, reported by the group: handled below.
        }
        if abandonable.wasAbandoned { throw ExitCode(130) }
    }

    /// Returns when a second SIGTERM/SIGINT arrives (the first starts the group's graceful shutdown).
    private static func secondSignal() async {
        var seen = 0
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            seen += 1
            if seen >= 2 { return }
        }
    }
}
