import Foundation

/// Formats `toxctl decode` (and later the ingest stage) reads.
package enum InputFormat: String, Sendable, Hashable, CaseIterable {
    /// HL7 v2 ER7, one or more messages, MLLP-framed or not, batch envelopes allowed.
    case hl7
    /// FHIR R4 JSON: one resource or Bundle, or NDJSON (one resource per line, as `$export`
    /// writes it: decoded as one bundle per patient, ``FHIRBulkData``).
    case fhir
    /// Contract JSON events, one per line (validates what the bus produces).
    case json
    /// Detect from the first bytes: MLLP start, `MSH`/`FHS`/`BHS` → hl7; `{` with `resourceType` → fhir; other `{` → json.
    case auto
}

/// What a whole input (a file, stdin) decoded to.
package struct InputDecodingReport: Sendable {
    /// The format actually decoded (never `auto`).
    package var format: InputFormat
    /// Messages (HL7), documents (FHIR; the lines of NDJSON) or lines (JSON) found. NDJSON problems
    /// carry the line number in the file (a patient group's, its first line's).
    package var units = 0
    package var events: [EventEnvelope] = []
    /// What was skipped, with the 1-based number of its message or document.
    package var skipped: [(unit: Int, note: AdapterNote)] = []
    /// Observations or resources rejected on their own, with the number of their message or document.
    package var rejected: [(unit: Int, error: EventDecodingError)] = []
    /// Whole messages, documents or lines that could not be decoded, with their 1-based number.
    package var failed: [(unit: Int, error: EventDecodingError)] = []

    mutating func add(_ result: AdapterResult, unit: Int) {
        events += result.events
        skipped += result.skipped.map { (unit, $0) }
        rejected += result.rejected.map { (unit, $0) }
    }
}

/// Why an input cannot be decoded at all.
package enum InputError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    case undetectableFormat

    package var description: String {
        switch self {
        case .empty: "the input is empty"
        case .undetectableFormat:
            "cannot tell whether the input is HL7 v2, FHIR JSON or event JSON; say which with --from"
        }
    }
}

/// Decodes a whole input in any supported format into events.
package enum InputDecoder {
    package static func decode(
        _ bytes: [UInt8],
        format: InputFormat = .auto,
        hl7Options: HL7DecodingOptions = .init()
    ) throws(InputError) -> InputDecodingReport {
        // Nothing but white space is "empty" whatever the format, as `detect` says for `auto`.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        guard body.contains(where: { !isHL7Whitespace($0) }) else { throw .empty }
        let resolved = format == .auto ? try detect(bytes) : format
        var report = InputDecodingReport(format: resolved)
        switch resolved {
        case .hl7:
            let (messages, _) = HL7Framing.split(bytes)
            for (index, message) in messages.enumerated() {
                report.units += 1
                do throws(EventDecodingError) {
                    report.add(try HL7Adapter.decode(message: message, options: hl7Options), unit: index + 1)
                } catch {
                    report.failed.append((index + 1, error))
                }
            }
        case .fhir:
            let documents = jsonDocuments(bytes)
            if documents.count > 1 {
                let outcome = FHIRBulkData.decode(lines: numberedLines(bytes))
                report.units = documents.count
                report.failed = outcome.failed.map { ($0.line, $0.error) }
                for group in outcome.groups { report.add(group.result, unit: group.firstLine) }
                return report
            }
            for (index, document) in documents.enumerated() {
                report.units += 1
                do throws(EventDecodingError) {
                    report.add(try FHIRAdapter.decode(Data(document)), unit: index + 1)
                } catch {
                    report.failed.append((index + 1, error))
                }
            }
        case .json, .auto:
            for (index, line) in lines(bytes).enumerated() {
                report.units += 1
                do throws(EventDecodingError) {
                    report.events.append(try EventCodec.decode(line))
                } catch {
                    report.failed.append((index + 1, error))
                }
            }
        }
        return report
    }

    static func detect(_ bytes: [UInt8]) throws(InputError) -> InputFormat {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        body = body.drop { isHL7Whitespace($0) }
        guard let first = body.first else { throw .empty }
        if first == 0x0B || ["MSH", "FHS", "BHS"].contains(where: { body.starts(with: Array($0.utf8)) }) {
            return .hl7
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            let head = String(decoding: body.prefix(4096), as: UTF8.self)
            return head.contains("\"resourceType\"") ? .fhir : .json
        }
        throw .undetectableFormat
    }

    /// One JSON document, or NDJSON lines when the whole input is not one document.
    static func jsonDocuments(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let lines = lines(bytes)
        guard lines.count > 1, (try? JSONSerialization.jsonObject(with: Data(bytes))) == nil else {
            return [bytes[...]]
        }
        return lines
    }

    /// Non-blank lines.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(whereSeparator: isSegmentTerminator).filter { $0.contains { !isHL7Whitespace($0) } }
    }

    /// Non-blank lines with their 1-based line numbers (`\n` or `\r\n` endings).
    static func numberedLines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.contains { !isHL7Whitespace($0) } ? (index + 1, line) : nil
        }
    }
}
