import Foundation
import Testing

@testable import ToxWatchContract

@Suite("HL7 v2 parser")
struct HL7ParserTests {
    func parse(_ text: String) throws(EventDecodingError) -> HL7Message { try HL7Message(parsing: Array(text.utf8)) }

    @Test func standardDelimitersFieldsComponentsRepetitionsSubcomponents() throws {
        let message = try parse(
            "MSH|^~\\&|APP|FAC|||20260302060000||ORU^R01|1|P|2.5\rPID|1||A1^^^H&1.2.3&ISO^MR~B2^^^H^PI||DOE^JANE"
        )
        #expect(message.delimiters == .standard)
        #expect(message.segments.map(\.id) == ["MSH", "PID"])
        let msh = message.header
        #expect(try msh.text(1) == "|")
        #expect(try msh.text(2) == "^~\\&")
        #expect(try msh.text(3) == "APP")
        #expect(try msh.text(9, component: 2) == "R01")
        let pid = message.segments[1]
        #expect(pid.repetitionCount(3) == 2)
        #expect(try pid.text(3, component: 1, repetition: 2) == "B2")
        #expect(try pid.text(3, component: 4, subcomponent: 2) == "1.2.3")
        #expect(try pid.text(3, component: 4, subcomponent: 3) == "ISO")
        #expect(try pid.text(3, component: 5) == "MR")
        #expect(try pid.text(5, component: 2) == "JANE")
        #expect(try pid.text(5, component: 9) == nil)
        #expect(try pid.text(40) == nil)
        #expect(try pid.components(5) == ["DOE", "JANE"])
    }

    @Test func declaredDelimitersAreHonoured() throws {
        let message = try parse("MSH#$*/%#APP#FAC\nPID#1##X1$$$H%2$MR*Y2\nNTE#1##a/F/b/S/c/T/d/R/e/E/f")
        #expect(
            message.delimiters
                == HL7Delimiters(
                    field: UInt8(ascii: "#"),
                    component: UInt8(ascii: "$"),
                    repetition: UInt8(ascii: "*"),
                    escape: UInt8(ascii: "/"),
                    subcomponent: UInt8(ascii: "%"),
                    truncation: nil
                )
        )
        let pid = message.segments[1]
        #expect(try pid.text(3, component: 4, subcomponent: 2) == "2")
        #expect(try pid.text(3, component: 1, repetition: 2) == "Y2")
        #expect(try message.segments[2].text(3) == "a#b$c%d*e/f")
    }

    struct EscapeCase: Sendable, CustomTestStringConvertible {
        var raw: String
        var text: String?
        var testDescription: String { raw }
    }

    @Test(
        "escape sequences",
        arguments: [
            EscapeCase(raw: "a\\F\\b", text: "a|b"),
            EscapeCase(raw: "a\\S\\b", text: "a^b"),
            EscapeCase(raw: "a\\T\\b", text: "a&b"),
            EscapeCase(raw: "a\\R\\b", text: "a~b"),
            EscapeCase(raw: "a\\E\\b", text: "a\\b"),
            EscapeCase(raw: "\\X41\\\\X4243\\", text: "ABC"),
            EscapeCase(raw: "caf\\XC3A9\\", text: "café"),
            EscapeCase(raw: "line1\\.br\\line2", text: "line1\nline2"),
            EscapeCase(raw: "\\H\\bold\\N\\", text: "bold"),
            EscapeCase(raw: "x\\.sp\\y\\C2842\\z", text: "xyz"),
            EscapeCase(raw: "\"\"", text: nil),
        ]
    )
    func escapes(_ c: EscapeCase) throws {
        let message = try parse("MSH|^~\\&|A\rNTE|1||\(c.raw)")
        #expect(try message.segments[1].text(3) == c.text)
    }

    @Test(
        "bad escapes are errors naming the segment and field",
        arguments: ["a\\Q\\b", "a\\X4\\b", "a\\XZZ\\b", "a\\Fb", "a\\\\b"]
    )
    func badEscape(_ raw: String) throws {
        let message = try parse("MSH|^~\\&|A\rOBX|1|NM|8867-4^HR^LN||\(raw)")
        let error = decodingError { () throws(EventDecodingError) in try message.segments[1].text(5) }
        guard case .malformedHL7(let segment, let id, let field, _) = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(segment == 2)
        #expect(id == "OBX")
        #expect(field == 5)
        // A bad escape elsewhere does not prevent reading other fields.
        #expect(try message.segments[1].text(3) == "8867-4")
    }

    @Test("segment endings", arguments: ["\r", "\n", "\r\n", "\n\r\n"])
    func segmentEndings(_ ending: String) throws {
        let text = ["MSH|^~\\&|A", "PID|1||X", "OBX|1|NM|8867-4^HR^LN||80"].joined(separator: ending) + ending
        #expect(try parse(text).segments.map(\.id) == ["MSH", "PID", "OBX"])
    }

    @Test func mllpFramingIsStripped() throws {
        let bytes: [UInt8] = [0x0B] + Array("MSH|^~\\&|A\rPID|1||X\r".utf8) + [0x1C, 0x0D]
        #expect(try HL7Message(parsing: bytes).segments.map(\.id) == ["MSH", "PID"])
        let (messages, _) = HL7Framing.split(bytes + bytes)
        #expect(messages.count == 2)
    }

    @Test func streamOfMessagesAndBatchEnvelopeAreSplit() throws {
        let (messages, batch) = HL7Framing.split(try Fixtures.bytes("hl7/batch-two-messages.hl7"))
        #expect(messages.count == 2)
        #expect(batch == 4)
        #expect(try messages.map { try HL7Message(parsing: $0).header.text(10) } == ["BAT-1", "BAT-2"])
    }

    @Test func latin1WhenMSH18SaysSo() throws {
        var bytes = Array("MSH|^~\\&|A||||||ORU^R01|1|P|2.5||||||8859/1\rNTE|1||caf".utf8)
        bytes.append(0xE9)
        #expect(try HL7Message(parsing: bytes).segments[1].text(3) == "café")
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var text: String
        var segment: Int
        var field: Int?
        var testDescription: String { text.replacingOccurrences(of: "\r", with: "⏎") }
    }

    @Test(
        "malformed messages are errors with segment and field position",
        arguments: [
            Malformed(text: "PID|1||X", segment: 1, field: nil),
            Malformed(text: "MSH", segment: 1, field: nil),
            Malformed(text: "MSHA^~\\&|", segment: 1, field: 1),
            Malformed(text: "MSH||A", segment: 1, field: 2),
            Malformed(text: "MSH|^^\\&|A", segment: 1, field: 2),
            Malformed(text: "MSH|^~\\&|A\rPID|1\rxx|2", segment: 3, field: nil),
            Malformed(text: "MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B", segment: 3, field: nil),
            Malformed(text: "MSH|^~\\&|A\rP1D2|1", segment: 2, field: nil),
        ]
    )
    func malformed(_ c: Malformed) {
        let error = decodingError { () throws(EventDecodingError) in try parse(c.text) }
        guard case .malformedHL7(let segment, _, let field, let problem) = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(segment == c.segment)
        #expect(field == c.field)
        #expect(!problem.isEmpty)
        #expect(error?.reason == .malformedHL7)
    }

    @Test func timestamps() throws {
        let full = try #require(HL7Timestamp.parse("20260302060000.1234-0500"))
        #expect(full.date(fallbackOffset: nil) == (try utc("2026-03-02T11:00:00.1234Z")))
        let noOffset = try #require(HL7Timestamp.parse("202603020600"))
        #expect(noOffset.date(fallbackOffset: nil) == nil)
        #expect(noOffset.date(fallbackOffset: 3600) == (try utc("2026-03-02T05:00:00Z")))
        #expect(HL7Timestamp.parse("20260302")?.hasTimeOfDay == false)
        #expect(HL7Timestamp.parse("20260302")?.day0 == (try utc("2026-03-02T00:00:00Z")))
        for bad in [
            "2026030", "20261302", "20260230", "202603020600-05", "20260302060000.12345", "2026-03-02", "20260302 0600",
        ] {
            #expect(HL7Timestamp.parse(bad) == nil, "\(bad)")
        }
    }
}
