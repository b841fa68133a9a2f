#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
package import Logging
import ServiceLifecycle
import Synchronization

/// A minimal HTTP/1.1 responder for the worker's operational endpoints (`/metrics`, `/health`).
///
/// Ops endpoints see a scrape every few seconds, so one dedicated thread that accepts and answers
/// connections one at a time is enough, and keeps the worker free of a networking framework. The
/// thread blocks in `accept(2)`, never on Swift's cooperative pool.
///
/// - Important: call ``bind()`` before ``run()`` so that the chosen port (for example with port 0)
///   is known before the service group starts.
package final class OpsHTTPServer: Service {
    /// An HTTP response produced by the route handler.
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

    /// Answers a request for a path (query string removed). Called on the server's own thread.
    package typealias Handler = @Sendable (_ method: String, _ path: String) -> Response

    private let host: String
    private let requestedPort: Int
    private let handler: Handler
    private let logger: Logger
    /// The listening socket, or -1 before ``bind()`` and after shutdown.
    private let listeningSocket = Mutex<Int32>(-1)

    /// - Parameters:
    ///   - host: address to listen on, `0.0.0.0` for all IPv4 interfaces.
    ///   - port: TCP port; `0` picks a free port (read it from ``bind()``).
    ///   - handler: answers each request.
    package init(host: String = "0.0.0.0", port: Int, logger: Logger, handler: @escaping Handler) {
        self.host = host
        self.requestedPort = port
        self.handler = handler
        self.logger = logger
    }

    /// Opens the listening socket and returns the bound port.
    /// - Throws: ``OpsHTTPServerError`` when the address is invalid or the port is taken.
    @discardableResult
    package func bind() throws(OpsHTTPServerError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno: errno) }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: requestedPort).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw .invalidHost(host)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .bind(port: requestedPort, errno: code)
        }
        guard listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw .socket(errno: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        listeningSocket.withLock { $0 = fd }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Serves requests until graceful shutdown or cancellation.
    package func run() async throws {
        if listeningSocket.withLock({ $0 }) < 0 { try bind() }
        let fd = listeningSocket.withLock { $0 }
        let handler = self.handler
        let logger = self.logger
        let thread = Thread {
            Self.acceptLoop(listeningSocket: fd, handler: handler, logger: logger)
        }
        thread.name = "toxd-http"
        thread.start()
        // Wait for shutdown; an error here only means the task was cancelled, which ends us too.
        try? await gracefulShutdown()
        stop()
    }

    /// Closes the listening socket, which wakes the accept loop and ends it.
    package func stop() {
        listeningSocket.withLock { fd in
            guard fd >= 0 else { return }
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            fd = -1
        }
    }

    private static func acceptLoop(listeningSocket: Int32, handler: Handler, logger: Logger) {
        while true {
            let connection = accept(listeningSocket, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return  // the socket was shut down
            }
            serve(connection: connection, handler: handler)
            close(connection)
        }
    }

    /// Reads one request head (up to 8 KiB, 2 s timeout), answers it, and returns.
    private static func serve(connection: Int32, handler: Handler) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192, !isHeadComplete(request) {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            request.append(contentsOf: chunk[0..<count])
        }
        let response: Response
        if let (method, path) = parseRequestLine(request) {
            response = handler(method, path)
        } else {
            response = .text(400, "bad request\n")
        }
        write(response, to: connection)
    }

    /// Whether the bytes hold a whole request head (ended by an empty line).
    private static func isHeadComplete(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return false }
        for index in 1..<bytes.count where bytes[index] == 10 {
            if bytes[index - 1] == 10 { return true }
            if index >= 3, bytes[index - 1] == 13, bytes[index - 2] == 10 { return true }
        }
        return false
    }

    /// Returns the method and the path (without query) of `GET /path?x HTTP/1.1`.
    static func parseRequestLine(_ request: [UInt8]) -> (String, String)? {
        guard let lineEnd = request.firstIndex(of: 13) ?? request.firstIndex(of: 10) else { return nil }
        let parts = request[..<lineEnd].split(separator: 32)
        guard parts.count == 3 else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        var target = String(decoding: parts[1], as: UTF8.self)
        if let query = target.firstIndex(of: "?") { target = String(target[..<query]) }
        guard target.hasPrefix("/") else { return nil }
        return (method, target)
    }

    private static func write(_ response: Response, to connection: Int32) {
        let reason =
            switch response.status {
            case 200: "OK"
            case 400: "Bad Request"
            case 404: "Not Found"
            case 405: "Method Not Allowed"
            case 503: "Service Unavailable"
            default: "Status"
            }
        let head =
            "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\n"
            + "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }
}

/// Why the ops HTTP server could not start.
package enum OpsHTTPServerError: Error, CustomStringConvertible {
    case socket(errno: Int32)
    case invalidHost(String)
    case bind(port: Int, errno: Int32)

    package var description: String {
        switch self {
        case .socket(let code): "cannot open the HTTP socket: \(String(cString: strerror(code)))"
        case .invalidHost(let host): "'\(host)' is not an IPv4 address to listen on"
        case .bind(let port, let code): "cannot listen on port \(port): \(String(cString: strerror(code)))"
        }
    }
}
