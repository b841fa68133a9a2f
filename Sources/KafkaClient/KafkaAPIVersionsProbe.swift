import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks a broker which protocol APIs it implements (an ApiVersions v0 request on a plaintext
/// connection of its own, outside librdkafka).
///
/// librdkafka 2.0.2 does not expose a broker's ApiVersions, and some of its AdminAPI requests
/// misbehave against brokers that lack them: DescribeConsumerGroups against the 2.0.2 mock cluster
/// fails with `_UNSUPPORTED_FEATURE` and later aborts the process (`rd_kafka_enq_once_del_source_return:
/// Assertion eonce->refcnt > 0 failed`), CreateTopics, ListGroups and DescribeConfigs wait for the
/// whole request timeout. Callers ask first and skip what the broker does not advertise.
package enum KafkaAPIVersionsProbe {
    /// The API keys (with their version ranges) the first reachable server advertises, or nil if
    /// none answered a plaintext ApiVersions request within `timeout` (e.g. TLS or SASL listeners).
    package static func advertisedAPIs(
        servers: [String], timeout: Duration
    ) -> [KafkaAPIKey: ClosedRange<Int16>]? {
        for server in servers {
            guard let colon = server.lastIndex(of: ":"), let port = UInt16(server[server.index(after: colon)...]) else {
                continue
            }
            var host = String(server[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if let answer = probe(host: host, port: port, timeout: timeout) { return answer }
        }
        return nil
    }

    private static func probe(host: String, port: UInt16, timeout: Duration) -> [KafkaAPIKey: ClosedRange<Int16>]? {
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            if connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS, wait(descriptor, for: Int16(POLLOUT), until: deadline) else { continue }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else { continue }
            }
            if let answer = exchange(descriptor, until: deadline) { return answer }
        }
        return nil
    }

    /// Sends ApiVersions v0 and parses the answer.
    private static func exchange(_ descriptor: Int32, until deadline: ContinuousClock.Instant) -> [KafkaAPIKey:
        ClosedRange<Int16>]?
    {
        let clientID = Array("toxwatch-probe".utf8)
        var body: [UInt8] = []
        append(&body, Int16(18))  // ApiVersions
        append(&body, Int16(0))  // version 0
        append(&body, Int32(0x7478))  // correlation id
        append(&body, Int16(clientID.count))
        body += clientID
        var request: [UInt8] = []
        append(&request, Int32(body.count))
        request += body
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                guard wait(descriptor, for: Int16(POLLOUT), until: deadline) else { return nil }
            } else {
                return nil
            }
        }
        guard let sizeBytes = receive(descriptor, 4, until: deadline) else { return nil }
        let size = Int(readInt32(sizeBytes, 0))
        guard size >= 10, size < 1_000_000, let response = receive(descriptor, size, until: deadline) else {
            return nil
        }
        guard readInt32(response, 0) == 0x7478, readInt16(response, 4) == 0 else { return nil }
        let count = Int(readInt32(response, 6))
        guard count >= 0, 10 + count * 6 <= response.count else { return nil }
        var apis: [KafkaAPIKey: ClosedRange<Int16>] = [:]
        for index in 0..<count {
            let offset = 10 + index * 6
            let minimum = readInt16(response, offset + 2)
            let maximum = readInt16(response, offset + 4)
            guard minimum <= maximum else { continue }
            apis[KafkaAPIKey(rawValue: readInt16(response, offset))] = minimum...maximum
        }
        return apis
    }

    private static func receive(_ descriptor: Int32, _ count: Int, until deadline: ContinuousClock.Instant) -> [UInt8]?
    {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = buffer[received...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got > 0 {
                received += got
            } else if got < 0, errno == EAGAIN || errno == EINTR {
                guard wait(descriptor, for: Int16(POLLIN), until: deadline) else { return nil }
            } else {
                return nil
            }
        }
        return buffer
    }

    private static func wait(_ descriptor: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return false }
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        let milliseconds = Int32(max(1, remaining.kafkaMilliseconds))
        return poll(&entry, 1, milliseconds) == 1 && entry.revents & events != 0
    }

    private static func append(_ bytes: inout [UInt8], _ value: Int16) {
        bytes += [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    private static func append(_ bytes: inout [UInt8], _ value: Int32) {
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
    }

    private static func readInt16(_ bytes: [UInt8], _ offset: Int) -> Int16 {
        Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
    }

    private static func readInt32(_ bytes: [UInt8], _ offset: Int) -> Int32 {
        Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) })
    }
}

extension KafkaAPIKey {
    /// DescribeConfigs, for ``KafkaAPIVersionsProbe``.
    package static let describeConfigs = KafkaAPIKey(rawValue: 32)
}

extension KafkaAdminClient {
    /// The APIs the brokers advertise (ApiVersions), or nil when they cannot be asked over plaintext
    /// (TLS or SASL configured, or no answer within the request timeout). Runs off the cooperative pool.
    ///
    /// Ask before ``describeGroups(_:)``, ``listGroups()``, ``createTopics(_:)`` or
    /// ``describeTopicConfigs(_:)``: librdkafka 2.0.2 can abort the process when DescribeGroups is sent
    /// to a broker without it (the 2.0.2 mock cluster), and the others wait for the request timeout.
    package func advertisedAPIs() async -> [KafkaAPIKey: ClosedRange<Int16>]? {
        let properties = configuration.librdkafkaProperties()
        let protocolName = (properties["security.protocol"] ?? "plaintext").lowercased()
        guard protocolName == "plaintext" else { return nil }
        let servers = configuration.bootstrapServers
        let timeout = configuration.requestTimeout
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: KafkaAPIVersionsProbe.advertisedAPIs(servers: servers, timeout: timeout))
            }
        }
    }
}
