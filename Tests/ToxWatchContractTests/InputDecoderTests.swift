import Foundation
import Testing

@testable import ToxWatchContract

@Suite("Input decoding (toxctl decode)")
struct InputDecoderTests {
    @Test(
        "format detection",
        arguments: [
            ("hl7/oru-r01-vitals-epic.hl7", InputFormat.hl7), ("hl7/oru-r01-vitals-mllp-custom-delimiters.hl7", .hl7),
            ("hl7/batch-two-messages.hl7", .hl7), ("fhir/bundle-vitals.json", .fhir), ("json/valid/vitals.json", .json),
        ]
    )
    func detects(_ fixture: String, _ format: InputFormat) throws {
        #expect(try InputDecoder.detect(Fixtures.bytes(fixture)) == format)
    }

    @Test func undetectableAndEmptyInputsAreErrors() {
        #expect(throws: InputError.empty) { try InputDecoder.decode(Array(" \n\r".utf8)) }
        #expect(throws: InputError.undetectableFormat) { try InputDecoder.decode(Array("hello".utf8)) }
    }

    @Test func concatenatedHL7FilesCountMessagesEventsSkipsAndRejections() throws {
        var bytes: [UInt8] = []
        for name in try Fixtures.names(in: "hl7", suffix: ".hl7") { bytes += try Fixtures.bytes("hl7/" + name) }
        let report = try InputDecoder.decode(bytes)
        #expect(report.format == .hl7)
        #expect(report.units == 10)
        #expect(report.failed.isEmpty)
        #expect(report.events.count == 23)
        #expect(report.rejected.count == 3)
        #expect(report.skipped.count == 6)
    }

    @Test func brokenMessageDoesNotStopTheOthers() throws {
        let good = try Fixtures.bytes("hl7/oru-r01-neuro.hl7")
        let broken = Array("MSH|^~\\&|A|B|||20260302||ORU^R01||P|2.5\rPID|1||P\r".utf8)
        let report = try InputDecoder.decode(broken + good, format: .hl7)
        #expect(report.units == 2)
        #expect(report.failed.map(\.unit) == [1])
        #expect(report.failed.first?.error == .missingField(path: "MSH-10 (segment 1)"))
        #expect(report.events.count == 1)
    }

    @Test func ndjsonOfFHIRResources() throws {
        let one = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(
                with: Fixtures.data("fhir/observation-temperature-fahrenheit.json")
            )
        )
        let two = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: Fixtures.data("fhir/observation-blood-pressure.json"))
        )
        let report = try InputDecoder.decode(Array(one) + [0x0A] + Array(two) + [0x0A, 0x0A, 0x7B, 0x0A])
        #expect(report.format == .fhir)
        #expect(report.units == 3)
        // One patient, one time: the two lines are one bundle, so one vitals event (temperature and
        // blood pressure together, as in a Bundle); the bad line is named by its line number.
        #expect(report.events.count == 1)
        #expect(report.failed.map(\.unit) == [4])
    }

    @Test func contractJSONLines() throws {
        let lines = try Fixtures.names(in: "json/valid").map { name in
            try JSONSerialization.data(
                withJSONObject: JSONSerialization.jsonObject(with: Fixtures.data("json/valid/" + name))
            )
        }
        let bad = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: Fixtures.data("json/invalid/vitals-temperature-60.json"))
        )
        let report = try InputDecoder.decode(Array((lines + [bad]).joined(separator: Data([0x0A]))))
        #expect(report.format == .json)
        #expect(report.events.count == lines.count)
        #expect(
            report.failed.map(\.error.description) == [
                "temperatureC: out of range: expected 25–45 °C [value: 2 bytes, sha256:39fa9ec190eee7b6]"
            ])
    }
}
