import Foundation
import Testing

/// `toxctl decode` at the edges of its input (issues 18.6 and 18.8).
@Suite("toxctl decode")
struct DecodeCommandTests {
    static func file(_ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("toxctl-decode-\(UUID().uuidString)")
        try bytes.write(to: url)
        return url
    }

    @Test(
        "an empty or blank input says 'the input is empty' and exits 2, from a file as from standard input",
        arguments: ["hl7", "fhir", "json", "auto"])
    func emptyInput(_ format: String) throws {
        // Before: `--from hl7` of an empty file printed nothing and exited 0.
        for bytes in [Data(), Data(" \r\n\n".utf8)] {
            let url = try Self.file(bytes)
            defer { try? FileManager.default.removeItem(at: url) }
            let fromFile = try Toxctl.run(["decode", "--from", format, url.path])
            #expect(fromFile.status == 2)
            #expect(fromFile.stderr.contains("\(url.path): the input is empty"), "\(fromFile.stderr)")
            let fromStdin = try Toxctl.run(["decode", "--from", format, "-"], stdin: bytes)
            #expect(fromStdin.status == 2)
            #expect(fromStdin.stderr.contains("standard input: the input is empty"), "\(fromStdin.stderr)")
        }
    }

    @Test("a message over a bound is rejected naming the field, quickly, instead of decoding for seconds")
    func boundedHL7() throws {
        let identifiers = (0..<16_000).map { "ID\($0)^^^HOSP^XX" }.joined(separator: "~")
        let message = "MSH|^~\\&|EPIC|CNH|TW|CNH|20260302060000+0000||ORU^R01|BIG-1|P|2.5.1\rPID|1||\(identifiers)\r"
        let result = try Toxctl.run(["decode", "--from", "hl7", "-"], stdin: Data(message.utf8))
        #expect(result.status == 1)
        #expect(result.stderr.contains("malformed HL7 at PID-3 (segment 2)"), "\(result.stderr)")
    }
}
