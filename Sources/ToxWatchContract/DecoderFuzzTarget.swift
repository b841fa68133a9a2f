import Foundation

/// One input through every decoder that reads bytes from Kafka, with the properties each must keep
/// whatever the bytes: the event contract's decoder (`toxd`), the HL7 v2 adapter with its framing
/// and the FHIR R4 adapter (`toxd ingest`), and the whole-input decoder (`toxctl decode`, NDJSON
/// included).
///
/// The properties: nothing traps (a trap would stop the caller, and in `toxd` every worker that
/// reads the record); the event codec reads what the reference reader (Foundation's `JSONDecoder`)
/// reads, with the same event or error; every event a decoder accepts or an adapter emits is valid contract JSON that
/// reads back to itself; every error names its problem in a sentence that quotes no control
/// character. Used by the libFuzzer target (`Fuzz/toxfuzz`, `Scripts/fuzz`) and by the seeded
/// mutation loop of the tests.
package enum DecoderFuzzTarget {
    /// Whether Foundation's `JSONDecoder` would read `bytes` as UTF-16 or UTF-32 (a byte-order
    /// mark, or a zero byte among the first two), which the contract (UTF-8) does not.
    package static func readsAsAnotherEncoding(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.prefix(2).contains(0)
    }

    /// The properties `bytes` broke, as sentences (empty when it broke none). A trap is not
    /// caught: it ends the process, which is what the fuzzer looks for.
    package static func violations(_ bytes: [UInt8]) -> [String] {
        var found: [String] = []
        func checkError(_ error: EventDecodingError, _ decoder: String) {
            let text = error.description
            if text.isEmpty { found.append("\(decoder): an error without a description") }
            if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                found.append("\(decoder): an error description with a control character (\(error.reason.rawValue))")
            }
        }
        func checkEvents(_ events: [EventEnvelope], _ decoder: String) {
            for envelope in events {
                do {
                    let decoded = try EventEnvelope.decode(envelope.encoded())
                    if decoded != envelope { found.append("\(decoder): an event that does not read back to itself") }
                } catch {
                    found.append(
                        "\(decoder): an event the contract refuses (\(error.reason.rawValue) at \(error.field ?? "-"))")
                }
            }
        }
        func checkResult(_ outcome: Result<AdapterResult, EventDecodingError>, _ decoder: String) {
            switch outcome {
            case .success(let result):
                checkEvents(result.events, decoder)
                for error in result.rejected { checkError(error, decoder) }
            case .failure(let error):
                checkError(error, decoder)
            }
        }

        let decoded = Result(catching: { () throws(EventDecodingError) in try EventCodec.decode(bytes) })
        switch decoded {
        case .success(let envelope): checkEvents([envelope], "event decoder")
        case .failure(let error): checkError(error, "event decoder")
        }
        if !readsAsAnotherEncoding(bytes),
            decoded
                != Result(catching: { () throws(EventDecodingError) in
                    try EventEnvelope.decodeWithFoundation(Data(bytes))
                })
        {
            found.append("event decoder: reads differently from the reference reader (Foundation's JSONDecoder)")
        }
        for message in HL7Framing.split(bytes).messages {
            checkResult(
                Result { () throws(EventDecodingError) in try HL7Adapter.decode(message: message) }, "HL7 adapter")
        }
        checkResult(Result { () throws(EventDecodingError) in try FHIRAdapter.decode(Data(bytes)) }, "FHIR adapter")
        for format in [InputFormat.auto, .fhir] {
            guard let report = try? InputDecoder.decode(bytes, format: format) else { continue }
            checkEvents(report.events, "input decoder (\(format.rawValue))")
            for (_, error) in report.failed + report.rejected {
                checkError(error, "input decoder (\(format.rawValue))")
            }
        }
        return found
    }
}
