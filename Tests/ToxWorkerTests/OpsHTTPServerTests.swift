import Foundation
import Logging
import Testing

@testable import ToxWorker

#if canImport(Glibc)
import Glibc
#endif

@Suite("Ops HTTP server")
struct OpsHTTPServerTests {
    /// Sends one raw request to localhost and returns the whole response as text.
    private func request(_ raw: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        _ = Array(raw.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("answers routes, strips the query string, and rejects a malformed request line")
    func servesRoutes() async throws {
        let server = OpsHTTPServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test")) { method, path in
            switch (method, path) {
            case ("GET", "/health"): .text(503, "restoring\n")
            case ("GET", "/metrics"): .text(200, "toxd_ready 0\n")
            default: .text(404, "no route\n")
            }
        }
        let port = try server.bind()
        #expect(port > 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let health = try request("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
            #expect(health.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
            #expect(health.hasSuffix("\r\n\r\nrestoring\n"))
            let metrics = try request("GET /metrics?x=1 HTTP/1.1\r\n\r\n", port: port)
            #expect(metrics.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(metrics.contains("Content-Length: 13\r\n"))
            let unknown = try request("GET /nope HTTP/1.1\r\n\r\n", port: port)
            #expect(unknown.hasPrefix("HTTP/1.1 404"))
            let malformed = try request("garbage\r\n\r\n", port: port)
            #expect(malformed.hasPrefix("HTTP/1.1 400"))
            group.cancelAll()
        }
    }
}
