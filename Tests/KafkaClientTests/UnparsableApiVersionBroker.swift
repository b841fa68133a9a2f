import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP "broker" that answers every request with a well-framed response whose body stops
/// short: librdkafka reads the error code and the ApiKeys array length, then runs out of bytes — the
/// same "Read underflow" in the ApiVersion exchange that librdkafka 2.0.2 hits with brokers sending
/// non-default tagged fields (Tansu).
final class UnparsableApiVersionBroker: @unchecked Sendable {
    // `listener` is immutable; `stopped` is atomic; each connection is owned by its thread.
    let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func readFully(_ descriptor: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, count - done) }
            if result <= 0 { return nil }
            done += result
        }
        return buffer
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        while !stopped.load(ordering: .acquiring) {
            guard let header = readFully(connection, 4) else { return }
            let size = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard size >= 8, let request = readFully(connection, size) else { return }
            let correlationID = Array(request[4..<8])
            // ErrorCode 0, then an ApiKeys array announcing 2 entries (compact and classic encodings
            // both read a length), then nothing.
            let body: [UInt8] = correlationID + [0, 0, 3]
            let frame = withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body
            _ = frame.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
        }
    }
}
