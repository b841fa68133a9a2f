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
                "\(command): --log-level: '\(level)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }

    /// Serves `/metrics`, `/health` (200 once `isReady`, else 503, with `healthFields` in the JSON
    /// body) and `/health/live` (GET and HEAD), and runs `pipeline` until SIGTERM/SIGINT, which
    /// shut both down gracefully (the pipeline first, the HTTP server last); a second signal exits
    /// at once. A ``WorkerStartupError``, ``ConfigurationError`` or an address the HTTP server cannot
    /// listen on exits with status 2.
    /// With `shutdownGrace`, a graceful shutdown that has not finished that long after the first
    /// signal exits at once too (status 130), before a supervisor's kill would.
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
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: http),
                    .init(
                        service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask { await exitOnSecondSignal(shutdownGrace: shutdownGrace, logger: logger) }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch let error as WorkerStartupError {
            throw usageFailure("\(command): \(error)")
        } catch let error as ConfigurationError {
            throw usageFailure("\(command): \(error)")
        } catch let error as OpsHTTPServerError {
            throw usageFailure("\(command): \(error)")
        }
    }

    /// The first SIGTERM/SIGINT starts a graceful shutdown (the service group's); a second one
    /// means the operator does not want to wait, and so does `shutdownGrace` passing without the
    /// shutdown having finished (the in-flight batches are abandoned: their inputs are not
    /// committed, so the partitions' next owners process them).
    private static func exitOnSecondSignal(shutdownGrace: Duration?, logger: Logger) async {
        await withTaskGroup(of: Void.self) { tasks in
            var seen = 0
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                seen += 1
                if seen == 1, let shutdownGrace {
                    tasks.addTask {
                        guard (try? await Task.sleep(for: shutdownGrace)) != nil else { return }
                        logger.warning(
                            "graceful shutdown still running after shutdownGraceSeconds: exiting without waiting for in-flight batches",
                            metadata: ["shutdown.grace": "\(shutdownGrace)"])
                        Foundation.exit(130)
                    }
                }
                if seen >= 2 {
                    logger.warning("second \(signal) received: exiting without waiting for in-flight batches")
                    Foundation.exit(130)
                }
            }
        }
    }
}
