import ArgumentParser
import Foundation
import ToxWatchContract

extension InputFormat: ExpressibleByArgument {}

/// `toxctl decode`: HL7 v2 or FHIR R4 → contract events, one JSON event per line.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode HL7 v2 or FHIR R4 into ToxWatch events, one JSON event per line.",
        discussion: """
            Reads HL7 v2 (ER7, with or without MLLP framing, one or more messages, batch files), FHIR R4 JSON \
            (a resource, a Bundle, or NDJSON) or contract event JSON (one per line) and prints each event it maps \
            as one line of JSON on standard output. Rejected observations and undecodable messages are printed \
            on standard error with the field and the reason. Docs/HL7-FHIR.md lists the supported shapes and codes.

            Examples:
              toxctl decode --summary oru-r01.hl7
              toxctl decode --from fhir - < bundle.json | jq .
              toxctl decode --from hl7 --assume-offset -05:00 feed.hl7

            Exit status: 0 when everything was mapped or knowingly skipped; 1 when a message, document or \
            observation was rejected (the other events are still printed); 2 when the input cannot be read or \
            its format cannot be told.
            """
    )

    @Option(name: .long, help: "Input format: hl7, fhir, json or auto (detect from the first bytes).")
    var from: InputFormat = .auto

    @Flag(name: .long, help: "Print what was mapped, skipped and rejected to standard error.")
    var summary = false

    @Option(
        name: .customLong("assume-offset"),
        parsing: .unconditional,
        help: "UTC offset (+hh:mm, -hh:mm or Z) for HL7 timestamps that carry none when MSH-7 carries none either."
    )
    var assumeOffset: String?

    @Argument(help: "The file to decode, or - for standard input.")
    var file: String

    func validate() throws {
        if let assumeOffset, Self.offsetSeconds(assumeOffset) == nil {
            throw ValidationError("--assume-offset '\(assumeOffset)' is not Z, +hh:mm or -hh:mm")
        }
    }

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes =
                try file == "-"
                ? Array(FileHandle.standardInput.readDataToEndOfFile())
                : Array(Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            Self.printError(
                "toxctl decode: cannot read \(file == "-" ? "standard input" : file): \(error.localizedDescription)"
            )
            throw ExitCode(2)
        }
        let options = HL7DecodingOptions(defaultUTCOffsetSeconds: assumeOffset.flatMap(Self.offsetSeconds))
        let report: InputDecodingReport
        do {
            report = try InputDecoder.decode(bytes, format: from, hl7Options: options)
        } catch {
            Self.printError("toxctl decode: \(file == "-" ? "standard input" : file): \(error)")
            throw ExitCode(2)
        }

        var output = ""
        for envelope in report.events {
            do {
                output += String(decoding: try envelope.encoded(), as: UTF8.self) + "\n"
            } catch {
                Self.printError("toxctl decode: event \(envelope.event.eventId) cannot be written: \(error)")
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))

        let unit = report.format == .hl7 ? "message" : report.format == .fhir ? "document" : "line"
        for (number, error) in report.failed { Self.printError("rejected \(unit) \(number): \(error)") }
        for (number, error) in report.rejected { Self.printError("rejected in \(unit) \(number): \(error)") }
        if summary { Self.printError(summaryText(report, unit: unit)) }
        if !report.failed.isEmpty || !report.rejected.isEmpty { throw ExitCode(1) }
    }

    func summaryText(_ report: InputDecodingReport, unit: String) -> String {
        var byType: [String: Int] = [:]
        for envelope in report.events { byType[envelope.event.type.rawValue, default: 0] += 1 }
        var lines = ["summary (\(report.format.rawValue)):"]
        lines.append("  \(unit)s:   \(report.units) (\(report.failed.count) rejected)")
        let types = byType.keys.sorted().map { "\($0) \(byType[$0] ?? 0)" }.joined(separator: ", ")
        lines.append("  mapped:     \(report.events.count) event(s)" + (types.isEmpty ? "" : " — \(types)"))
        lines.append("  skipped:    \(report.skipped.count)")
        for (number, note) in report.skipped { lines.append("    \(unit) \(number): \(note)") }
        lines.append("  rejected:   \(report.rejected.count + report.failed.count)")
        return lines.joined(separator: "\n")
    }

    static func offsetSeconds(_ text: String) -> Int? {
        if text == "Z" || text == "z" { return 0 }
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
            bytes[3] == UInt8(ascii: ":"),
            let hours = Int(String(decoding: bytes[1..<3], as: UTF8.self)),
            let minutes = Int(String(decoding: bytes[4..<6], as: UTF8.self)),
            (0...23).contains(hours), (0...59).contains(minutes)
        else { return nil }
        return (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
