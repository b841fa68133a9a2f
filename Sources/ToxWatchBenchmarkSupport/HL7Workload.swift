import ToxWatchContract

/// Large HL7 v2 messages for the HL7 decoder's throughput in `Scripts/bench` (the benchmark
/// package cannot see `package` declarations). Not used by the service.
///
/// The shapes that made decoding quadratic before it was made linear: one field with many
/// repetitions (PID-3), and one ORU^R01 with many observations (one vitals group per OBX time).
public struct HL7Workload: Sendable {
    /// `repetitions`: PID-3 repeated `size` times (the MR identifier last); `observations`: `size`
    /// temperature OBX, each at its own minute.
    public enum Shape: String, Sendable, CaseIterable {
        case repetitions, observations
    }

    /// The message, ER7 with `\r` segment endings.
    public let message: [UInt8]
    private let options: HL7DecodingOptions

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(shape: Shape, size: Int) throws {
        var text = "MSH|^~\\&|BENCH|CNH|TOXWATCH|CNH|20260302060000+0000||ORU^R01|BENCH-\(size)|P|2.5.1\r"
        switch shape {
        case .repetitions:
            let identifiers = (0..<max(0, size - 1)).map { "ID\($0)^^^HOSP^XX" } + ["MRN00123^^^HOSP^MR"]
            text += "PID|1||" + identifiers.joined(separator: "~") + "||DOE^JANE||20150630|F\r"
            text += "OBR|1|||85353-1^Vitals^LN|||20260302060000+0000\r"
            text += "OBX|1|NM|8310-5^Body temperature^LN||38.5|Cel|||||F|||20260302060000+0000\r"
        case .observations:
            text += "PID|1||MRN00123^^^HOSP^MR||DOE^JANE||20150630|F\rOBR|1|||85353-1^Vitals^LN\r"
            for index in 0..<size {
                let minute = 360 + index
                let stamp = format2(minute / 60 % 24) + format2(minute % 60)
                let day = 2 + minute / 1440
                text +=
                    "OBX|\(index + 1)|NM|8310-5^Body temperature^LN||38.\(index % 10)|Cel|||||F|||202603"
                    + format2(day) + stamp + "00+0000\r"
            }
        }
        message = Array(text.utf8)
        // Bounds above the message, so that the decoding itself is measured.
        options = HL7DecodingOptions(
            limits: HL7Limits(maxSegments: size + 10, maxRepetitions: size + 1, maxFieldBytes: message.count))
        guard (try? decode()) ?? 0 > 0 else { throw Failure(description: "the \(shape) message does not decode") }
    }

    /// Decodes the message once; returns the number of events (a sink for the optimiser).
    public func decode() throws -> Int {
        try HL7Adapter.decode(message: message, options: options).events.count
    }
}

private func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
