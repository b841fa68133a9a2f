import Foundation
package import KafkaClient

/// Where generated messages go.
package protocol LoadSink: Sendable {
    /// Sends a batch; returns how many messages of it failed.
    func send(_ batch: [GeneratedMessage]) async throws(OpsError) -> Int
    /// Flushes and closes.
    func finish() async throws(OpsError)
    /// For the summary: `the brokers at …` or `file.jsonl`.
    var destination: String { get }
}

/// Produces to Kafka (idempotent producer, keyed by patient id, partitioned by key).
package struct KafkaLoadSink: LoadSink {
    package let producer: KafkaProducer
    package let destination: String

    package init(producer: KafkaProducer, destination: String) {
        self.producer = producer
        self.destination = destination
    }

    package func send(_ batch: [GeneratedMessage]) async throws(OpsError) -> Int {
        let records = batch.map { ProducerRecord(topic: $0.topic, key: Array($0.key.utf8), value: $0.value) }
        do {
            return try await producer.produce(records).filter { !$0.isSuccess }.count
        } catch {
            throw .connection("producing failed: \(error.message)")
        }
    }

    package func finish() async throws(OpsError) {
        await producer.close()
    }
}

/// Writes JSON lines `{"topic": …, "key": …, "value": "<the message text>"}` instead of producing.
package struct JSONLinesLoadSink: LoadSink {
    private let handle: FileHandle
    private let closeAtEnd: Bool
    package let destination: String

    /// - Parameter path: a file to create (or truncate), or `-` for standard output.
    package init(path: String) throws(OpsError) {
        if path == "-" {
            handle = FileHandle.standardOutput
            closeAtEnd = false
            destination = "standard output"
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw .usage("--output: cannot create \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw .usage("--output: cannot write \(path)") }
        self.handle = handle
        closeAtEnd = true
        destination = path
    }

    package func send(_ batch: [GeneratedMessage]) async throws(OpsError) -> Int {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.count * 400)
        for message in batch { Self.appendLine(message, to: &bytes) }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw .problems("--output: writing \(destination) failed: \(error.localizedDescription)")
        }
        return 0
    }

    package func finish() async throws(OpsError) {
        if closeAtEnd { try? handle.close() }
    }

    /// One JSON line; the value (any bytes, malformed ones included) becomes a JSON string.
    static func appendLine(_ message: GeneratedMessage, to bytes: inout [UInt8]) {
        var line = JSONBytes(appendingTo: bytes)
        bytes = []  // `line` owns the buffer now: no copy on write
        line.open()
        line.string("topic", message.topic)
        line.string("key", message.key)
        line.valueString("value", message.value)
        line.close()
        line.bytes.append(UInt8(ascii: "\n"))
        bytes = line.bytes
    }
}

/// How far a load run is.
package struct LoadProgress: Sendable, Hashable {
    package var generated: Int
    package var acknowledged: Int
    package var failed: Int
    package var total: Int
    package var elapsed: Duration

    package var fraction: Double { total == 0 ? 1 : Double(acknowledged + failed) / Double(total) }

    package var rate: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(acknowledged + failed) / seconds : 0
    }

    /// A one-line bar for a terminal: `[#########...........]  45%  4,500/10,000  998/s  ETA 5 s`.
    package func bar(width: Int = 30) -> String {
        let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = Int((fraction * 100).rounded(.down))
        var text = "[\(bar)] \(percent)%  \(acknowledged + failed)/\(total)  \(Int(rate.rounded()))/s"
        if rate > 0, fraction < 1 {
            text += "  ETA \(formatDuration(Double(total - acknowledged - failed) / rate))"
        }
        if failed > 0 { text += "  \(failed) failed" }
        return text
    }

    /// A plain line for logs and pipes.
    package var line: String {
        "load: \(acknowledged + failed)/\(total) done (\(Int((fraction * 100).rounded(.down)))%), \(failed) failed, \(Int(rate.rounded())) events/s"
    }
}

/// The result of a load run.
package struct LoadSummary: Sendable, Hashable {
    package var generated: Int
    package var malformed: Int
    package var failed: Int
    package var elapsed: Duration
    package var targetRate: Double?
    package var perTopic: [String: Int]
    package var patients: Int
    package var patientsWithCRS: Int
    package var patientsWithICANS: Int
    package var destination: String

    package var sent: Int { generated - failed }
    package var achievedRate: Double { elapsed.seconds > 0 ? Double(sent) / elapsed.seconds : 0 }

    package func render() -> String {
        var lines = [
            "Sent \(sent) of \(generated) events to \(destination) in \(String(format: "%.2f", elapsed.seconds)) s: "
                + "\(Int(achievedRate.rounded())) events/s"
                + (targetRate.map { " (target \(formatNumber($0))/s)" } ?? ""),
            "  valid \(generated - malformed), malformed \(malformed), failed \(failed)",
            "  patients \(patients) (CRS \(patientsWithCRS), ICANS \(patientsWithICANS))",
            "  by topic: "
                + perTopic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
        ]
        if failed > 0 { lines.append("  \(failed) message(s) were not delivered") }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Runs a load: generates, paces to `rate` (unpaced when nil), keeps a few batches in flight, reports progress.
package struct LoadRunner: Sendable {
    package var rate: Double?
    package var maxInFlight: Int

    package init(rate: Double?, maxInFlight: Int = 8) {
        self.rate = rate
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Batch size: about 10 ms of events when paced, large batches when not.
    var batchSize: Int {
        guard let rate else { return 4096 }
        return max(1, min(5000, Int(rate / 100)))
    }

    package func run(
        _ generator: inout LoadGenerator, into sink: some LoadSink, progress: @Sendable (LoadProgress) -> Void
    ) async throws(OpsError) -> LoadSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let total = generator.profile.totalEvents
        var acknowledged = 0
        var failed = 0
        var state = generator
        let size = batchSize
        let rate = self.rate
        let maxInFlight = self.maxInFlight
        do {
            try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                var inFlight = 0
                func collect() async throws {
                    guard let (count, failures) = try await group.next() else { return }
                    inFlight -= 1
                    acknowledged += count - failures
                    failed += failures
                    progress(
                        LoadProgress(
                            generated: state.generated, acknowledged: acknowledged, failed: failed, total: total,
                            elapsed: clock.now - start))
                }
                while true {
                    if let rate {
                        let due = start + .nanoseconds(Int64(Double(state.generated) / rate * 1e9))
                        if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                    }
                    var batch: [GeneratedMessage] = []
                    batch.reserveCapacity(size)
                    while batch.count < size, let message = state.next() { batch.append(message) }
                    if batch.isEmpty { break }
                    while inFlight >= maxInFlight { try await collect() }
                    let count = batch.count
                    group.addTask { (count, try await sink.send(batch)) }
                    inFlight += 1
                }
                while inFlight > 0 { try await collect() }
            }
        } catch let error as OpsError {
            generator = state
            throw error
        } catch {
            generator = state
            throw .problems("load interrupted: \(error)")
        }
        try await sink.finish()
        generator = state
        let counts = state.scenarioCounts
        return LoadSummary(
            generated: state.generated, malformed: state.malformed, failed: failed, elapsed: clock.now - start,
            targetRate: rate, perTopic: state.perTopic, patients: state.profile.patients, patientsWithCRS: counts.crs,
            patientsWithICANS: counts.icans, destination: sink.destination)
    }
}
