import Foundation
import Hummingbird
package import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The worker's operational endpoints (`/metrics`, `/health`, …) served by Hummingbird.
///
/// Each connection is served on its own (an idle or slow client never delays a probe), connections
/// idle for ``idleTimeout`` are closed, `HEAD` answers like `GET` without the body, and the host may
/// be IPv4 (`0.0.0.0`) or IPv6 (`::`, which also accepts IPv4 where the system maps it).
///
/// Run it as a service of a `ServiceGroup` and stop it by graceful shutdown (the group's signals):
/// the server then stops accepting, lets answers in flight finish and closes idle connections.
/// Cancelling it while connections are open can crash in SwiftNIO (apple/swift-nio#3481).
package final class OpsHTTPServer: Service {
    /// An HTTP response produced by a route.
    package struct Response: Sendable {
        package var status: Int
        package var contentType: String
        package var body: [UInt8]

        package init(status: Int, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        package static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
        }
    }

    /// Answers `GET` (and `HEAD`) of one path.
    package typealias Route = @Sendable () -> Response

    private let host: String
    private let requestedPort: Int
    private let routes: [String: Route]
    private let idleTimeout: Duration
    private let logger: Logger
    private let state = Mutex(ListeningState.starting(waiters: []))

    private enum ListeningState {
        case starting(waiters: [CheckedContinuation<Int, any Error>])
        case listening(port: Int)
        case ended(OpsHTTPServerError)
    }

    /// - Parameters:
    ///   - host: address to listen on: `0.0.0.0` for every IPv4 interface, `::` for every IPv6 one.
    ///   - port: TCP port; `0` picks a free port (read it from ``listeningPort()``).
    ///   - idleTimeout: how long a connection may stay without a request before it is closed.
    ///   - routes: what each path answers (query strings are ignored).
    package init(
        host: String = "0.0.0.0", port: Int, idleTimeout: Duration = .seconds(10), logger: Logger,
        routes: [String: Route]
    ) {
        self.host = host
        self.requestedPort = port
        self.idleTimeout = idleTimeout
        self.routes = routes
        self.logger = logger
    }

    /// The port the server listens on, once it does (the chosen one for port 0).
    /// - Throws: ``OpsHTTPServerError`` when the server could not listen or has stopped.
    package func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { state in
                switch state {
                case .starting(var waiters):
                    waiters.append(continuation)
                    state = .starting(waiters: waiters)
                case .listening(let port): continuation.resume(returning: port)
                case .ended(let error): continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Serves requests until graceful shutdown.
    /// - Throws: ``OpsHTTPServerError/listen(host:port:reason:)`` when the address cannot be used.
    package func run() async throws {
        let application = Application(
            responder: OpsResponder(routes: routes),
            server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: requestedPort)),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? requestedPort
                logger.info("serving /metrics and /health", metadata: ["http.port": "\(port)", "http.host": "\(host)"])
                resumeWaiters(with: .listening(port: port))
            },
            logger: logger
        )
        do {
            try await application.run()
            resumeWaiters(with: .ended(.stopped))
        } catch {
            let failure = OpsHTTPServerError.listen(host: host, port: requestedPort, reason: "\(error)")
            resumeWaiters(with: .ended(failure))
            throw failure
        }
    }

    private func resumeWaiters(with new: ListeningState) {
        let waiters = state.withLock { state in
            defer { state = new }
            guard case .starting(let waiters) = state else { return [CheckedContinuation<Int, any Error>]() }
            return waiters
        }
        for waiter in waiters {
            switch new {
            case .listening(let port): waiter.resume(returning: port)
            case .ended(let error): waiter.resume(throwing: error)
            case .starting: break
            }
        }
    }
}

/// Routes by path: `GET` and `HEAD` answer, another method is 405 (with `Allow`), an unknown path 404.
private struct OpsResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let routes: [String: OpsHTTPServer.Route]

    func respond(to request: Request, context: Context) async throws -> Hummingbird.Response {
        guard let route = routes[request.uri.path] else {
            let known = routes.keys.sorted().joined(separator: ", ")
            return Self.response(.text(404, "not found: try \(known)\n"))
        }
        switch request.method {
        case .get: return Self.response(route())
        case .head: return Self.response(route()).createHeadResponse()
        default:
            var response = Self.response(.text(405, "only GET and HEAD\n"))
            response.headers[.allow] = "GET, HEAD"
            return response
        }
    }

    private static func response(_ response: OpsHTTPServer.Response) -> Hummingbird.Response {
        Hummingbird.Response(
            status: .init(code: response.status),
            headers: [.contentType: response.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: response.body))
        )
    }
}

/// Why the ops HTTP server is not serving.
package enum OpsHTTPServerError: Error, CustomStringConvertible {
    /// The address could not be listened on (taken, not local, not an address).
    case listen(host: String, port: Int, reason: String)
    /// The server has stopped.
    case stopped

    package var description: String {
        switch self {
        case .listen(let host, let port, let reason): "cannot listen on \(host) port \(port): \(reason)"
        case .stopped: "the HTTP server has stopped"
        }
    }
}
