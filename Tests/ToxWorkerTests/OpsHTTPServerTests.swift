import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import ToxWorker

#if canImport(Glibc)
import Glibc
#endif

/// A client socket to a numeric host (`127.0.0.1`, `::1`) for raw HTTP/1.1 exchanges.
private final class RawConnection: Sendable {
    let fd: Int32

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let address = info else {
            throw RawConnectionError(operation: "getaddrinfo \(host)", code: errno)
        }
        defer { freeaddrinfo(info) }
        fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, 0)
        guard connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw RawConnectionError(operation: "connect \(host):\(port)", code: code)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads one response: the head, then `Content-Length` bytes of body (none after `HEAD`), waiting
    /// at most `timeout` seconds for each read. The blocking reads run on a thread of their own, never
    /// on the cooperative pool that the server's handlers need.
    func readResponse(afterHead: Bool = false, timeout: Int = 10) async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(afterHead: afterHead, timeout: timeout)) }.start()
        }
    }

    private func blockingRead(afterHead: Bool, timeout: Int) -> String {
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let length = text.firstMatch(of: /(?i)content-length: (\d+)/).flatMap { Int($0.1) } ?? 0
                if afterHead || text[end.upperBound...].utf8.count >= length { return text }
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return text }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    /// Whether the server has closed the connection (a read sees end of file), without waiting.
    var isClosedByServer: Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK)) == 0
    }
}

private struct RawConnectionError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

@Suite("Ops HTTP server")
struct OpsHTTPServerTests {
    static let routes: [String: OpsHTTPServer.Route] = [
        "/health": { .text(503, "restoring\n") },
        "/metrics": { .text(200, "toxd_ready 0\n") },
    ]

    /// Runs a server in a service group, gives `body` its port, then shuts it down gracefully (as
    /// `toxd` does on SIGTERM) and waits for it to stop.
    private func withServer(
        host: String = "127.0.0.1", idleTimeout: Duration = .seconds(10),
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let server = OpsHTTPServer(
            host: host, port: 0, idleTimeout: idleTimeout, logger: Logger(label: "test"), routes: Self.routes)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let port = try await server.listeningPort()
                #expect(port > 0)
                try await body(port)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await #expect(throws: OpsHTTPServerError.self) { try await server.listeningPort() }
    }

    @Test("answers routes, strips the query string, 404 for an unknown path, 400 for a malformed request")
    func servesRoutes() async throws {
        try await withServer { port in
            let health = try RawConnection(host: "127.0.0.1", port: port)
            health.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await health.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
            #expect(answer.hasSuffix("\r\n\r\nrestoring\n"))
            // Keep-alive: the same connection answers again.
            health.send("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let metrics = await health.readResponse()
            #expect(metrics.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(metrics.lowercased().contains("content-length: 13\r\n"))
            #expect(metrics.hasSuffix("\r\n\r\ntoxd_ready 0\n"))
            let unknown = try RawConnection(host: "127.0.0.1", port: port)
            unknown.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            let notFound = await unknown.readResponse()
            #expect(notFound.hasPrefix("HTTP/1.1 404"))
            #expect(notFound.hasSuffix("not found: try /health, /metrics\n"))
            let malformed = try RawConnection(host: "127.0.0.1", port: port)
            malformed.send("garbage\r\n\r\n")
            #expect(await malformed.readResponse().hasPrefix("HTTP/1.1 400"))
        }
    }

    @Test("HEAD answers like GET without the body; another method is 405 with Allow")
    func head() async throws {
        // Before: HEAD was 405 (only GET was served).
        try await withServer { port in
            let connection = try RawConnection(host: "127.0.0.1", port: port)
            connection.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = await connection.readResponse(afterHead: true)
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(head.lowercased().contains("content-length: 13\r\n"))
            #expect(head.hasSuffix("\r\n\r\n"))
            // No body followed the head: the next answer on the connection starts with its status line.
            connection.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let post = await connection.readResponse()
            #expect(post.hasPrefix("HTTP/1.1 405"))
            #expect(post.lowercased().contains("allow: get, head\r\n"))
        }
    }

    @Test("idle and slow clients holding connections do not delay a probe, and stay open meanwhile")
    func idleClientsDoNotBlockAProbe() async throws {
        // Before: one connection at a time, each idle one held for its 2 s read timeout and then
        // answered 400 and closed; the probe came after 6.05 s with three idle connections open.
        try await withServer { port in
            let idle = try (0..<3).map { _ in try RawConnection(host: "127.0.0.1", port: port) }
            let slow = try RawConnection(host: "127.0.0.1", port: port)
            slow.send("GET /metrics HTTP/1.1\r\n")  // a request head that never ends
            let started = ContinuousClock.now
            let probe = try RawConnection(host: "127.0.0.1", port: port)
            probe.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = await probe.readResponse(timeout: 5)
            let elapsed = ContinuousClock.now - started
            #expect(answer.hasPrefix("HTTP/1.1 503"), "no answer within 5 s (took \(elapsed))")
            // The probe did not wait for the server to give up on the others.
            for connection in idle { #expect(!connection.isClosedByServer) }
            #expect(!slow.isClosedByServer)
            print("probe answered in \(elapsed) with 4 idle or slow connections open")
        }
    }

    @Test("a connection idle past the idle timeout is closed by the server")
    func idleTimeout() async throws {
        try await withServer(idleTimeout: .milliseconds(200)) { port in
            let idle = try RawConnection(host: "127.0.0.1", port: port)
            // A read returns end of file once the server closes (or times out after 10 s).
            #expect(await idle.readResponse(timeout: 10) == "")
            #expect(idle.isClosedByServer)
        }
    }

    @Test("listening on :: answers IPv6 and, where the system maps it, IPv4")
    func ipv6() async throws {
        // Before: '::' was refused at start ("not an IPv4 address to listen on").
        try await withServer(host: "::") { port in
            for host in ["::1", "127.0.0.1"] {
                let connection = try RawConnection(host: host, port: port)
                connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"), "via \(host)")
            }
        }
    }

    @Test("graceful shutdown with idle and slow connections open ends the server (no crash, no hang)")
    func gracefulShutdownWithIdleConnections() async throws {
        let server = OpsHTTPServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test"), routes: Self.routes)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let port = try await server.listeningPort()
                let idle = try RawConnection(host: "127.0.0.1", port: port)
                let slow = try RawConnection(host: "127.0.0.1", port: port)
                slow.send("GET /metrics HTTP/1.1\r\n")
                let probe = try RawConnection(host: "127.0.0.1", port: port)
                probe.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await probe.readResponse().hasPrefix("HTTP/1.1 503"))
                // Shut down while all three are still open: run() returns, and the idle one is closed.
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
                #expect(await idle.readResponse(timeout: 10) == "")
                _ = slow
            }
        }
    }

    @Test("an address that cannot be listened on fails run() and listeningPort() with the address named")
    func cannotListen() async throws {
        let server = OpsHTTPServer(host: "192.0.2.1", port: 0, logger: Logger(label: "test"), routes: Self.routes)
        await #expect(throws: OpsHTTPServerError.self) { try await server.run() }
        let error = await #expect(throws: OpsHTTPServerError.self) { try await server.listeningPort() }
        #expect(error?.description.contains("192.0.2.1") == true)
    }
}
