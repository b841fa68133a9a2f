import Foundation
import KafkaClient
import Testing
import ToxWorker
import ToxicityRules

@testable import ToxWatchContract

/// Issue 15.1: nothing read from Kafka may trap. Every numeric field of every input type, given
/// values at and past every representable limit, is dead-lettered naming the field; before the
/// fix, `unitsOnHand: 1e30` trapped (SIGILL) in every worker reading the inventory.
@Suite("Edge limits: numbers past what a field holds")
struct EdgeLimitTests {
    /// One numeric field of one input type: a valid event with `@@` where the number goes.
    struct NumericField: Sendable, CustomTestStringConvertible {
        var type: EventType
        var field: String
        var template: String

        var testDescription: String { "\(type.rawValue).\(field)" }

        func json(_ token: String) -> String { template.replacingOccurrences(of: "@@", with: token) }
    }

    static let common = #""eventId":"e-1","patientId":"P1","occurredAt":"2026-03-02T06:00:00Z""#
    static let fields: [NumericField] = {
        let patient = #"{"type":"patient",\#(common),"allergies":[],"#
        let vitals = #"{"type":"vitals",\#(common),"#
        let neuro = #"{"type":"neuro",\#(common),"#
        let lab = #"{"type":"lab",\#(common),"test":"ferritin","unit":"ng/mL","#
        let medication = #"{"type":"medication",\#(common),"drug":"tocilizumab","action":"administered","#
        let inventory =
            #"{"type":"inventory","eventId":"inv-1","occurredAt":"2026-03-02T06:00:00Z","site":"cnh","drug":"tocilizumab","status":"shortage","#
        return [
            NumericField(type: .patient, field: "ageYears", template: patient + #""ageYears":@@}"#),
            NumericField(type: .patient, field: "weightKg", template: patient + #""weightKg":@@}"#),
            NumericField(type: .patient, field: "heightCm", template: patient + #""heightCm":@@}"#),
            NumericField(type: .patient, field: "baselineFerritin", template: patient + #""baselineFerritin":@@}"#),
            NumericField(type: .vitals, field: "temperatureC", template: vitals + #""temperatureC":@@}"#),
            NumericField(type: .vitals, field: "systolicBP", template: vitals + #""systolicBP":@@}"#),
            NumericField(type: .vitals, field: "heartRate", template: vitals + #""heartRate":@@}"#),
            NumericField(type: .vitals, field: "spo2", template: vitals + #""spo2":@@}"#),
            NumericField(
                type: .vitals, field: "oxygen.flowLPerMin",
                template: vitals + #""oxygen":{"device":"low-flow-nasal-cannula","flowLPerMin":@@}}"#),
            NumericField(
                type: .vitals, field: "oxygen.fio2", template: vitals + #""oxygen":{"device":"cpap","fio2":@@}}"#),
            NumericField(type: .neuro, field: "iceScore", template: neuro + #""iceScore":@@}"#),
            NumericField(type: .neuro, field: "capdScore", template: neuro + #""capdScore":@@}"#),
            NumericField(type: .lab, field: "value", template: lab + #""value":@@}"#),
            NumericField(
                type: .lab, field: "upperLimitOfNormal", template: lab + #""value":100,"upperLimitOfNormal":@@}"#),
            NumericField(type: .medication, field: "doseMg", template: medication + #""doseMg":@@}"#),
            NumericField(type: .medication, field: "rate", template: medication + #""rate":@@}"#),
            NumericField(type: .inventory, field: "unitsOnHand", template: inventory + #""unitsOnHand":@@}"#),
            NumericField(type: .inventory, field: "unitMg", template: inventory + #""unitMg":@@}"#),
        ]
    }()

    /// Values at and past every limit: far beyond any plausible range, past `Int` (2^63 and its
    /// neighbours), past a double (1e400), the smallest doubles, and negative counts.
    static let outOfRange = [
        "1e30", "-1e30", "9223372036854775808", "9223372036854775807", "-9223372036854775809", "18446744073709551616",
        "1.7976931348623157e308", "-1.7976931348623157e308", "1e400", "-1e400", "-1",
    ]
    /// Strings where a number belongs, NaN and infinities among them (JSON has no such numbers).
    static let notNumbers = [#""NaN""#, #""Infinity""#, #""-Infinity""#, #""1e30""#, #""""#]

    @Test("each value past a field's limit is out-of-range naming the field", arguments: fields)
    func outOfRangeValuesAreRejectedNamingTheField(_ field: NumericField) {
        for token in Self.outOfRange {
            let error = decodingError { () throws(EventDecodingError) in try decodeEvent(Data(field.json(token).utf8)) }
            #expect(error?.reason == .outOfRange, "\(token): \(error?.description ?? "decoded")")
            #expect(error?.field == field.field, "\(token)")
        }
    }

    @Test("a string where a number belongs is wrong-type naming the field", arguments: fields)
    func stringsAreWrongType(_ field: NumericField) {
        for token in Self.notNumbers {
            let error = decodingError { () throws(EventDecodingError) in try decodeEvent(Data(field.json(token).utf8)) }
            #expect(error?.reason == .wrongType, "\(token)")
            #expect(error?.field == field.field, "\(token)")
        }
    }

    @Test func countsHoldTheirLimitsAndNotOneMore() throws {
        let units = Self.fields.first { $0.field == "unitsOnHand" }!
        guard case .inventory(let atLimit) = try decodeEvent(Data(units.json("1000000").utf8)) else {
            Issue.record("not inventory")
            return
        }
        #expect(atLimit.unitsOnHand == 1_000_000)
        #expect(
            decodingError { () throws(EventDecodingError) in try decodeEvent(Data(units.json("1000001").utf8)) }?.reason
                == .outOfRange)
        #expect(
            decodingError { () throws(EventDecodingError) in try decodeEvent(Data(units.json("2.5").utf8)) }?.reason
                == .outOfRange)
        let unitMg = Self.fields.first { $0.field == "unitMg" }!
        for tiny in ["5e-324", "1e-300", "0.0009"] {
            // A unit size that would make a need's unit count overflow is refused at the edge.
            #expect(
                decodingError { () throws(EventDecodingError) in try decodeEvent(Data(unitMg.json(tiny).utf8)) }?.field
                    == "unitMg")
        }
    }

    /// Through the worker's processor: every bad record of a patient topic becomes a dead letter
    /// naming the field; the batch goes on and commits past it.
    @Test(
        "through PartitionProcessor.process: dead letters, never a trap",
        arguments: fields.filter { $0.type != .inventory })
    func processorDeadLettersEveryValue(_ field: NumericField) throws {
        var processor = PartitionProcessor(
            partition: 0, evaluator: PatientEvaluator(protocols: [], defaultProtocol: nil),
            lateEventWindow: .seconds(6 * 3600))
        let tokens = Self.outOfRange + Self.notNumbers
        let records = tokens.enumerated().map { offset, token in
            KafkaMessage(
                topic: field.type.topic, partition: 0, offset: Int64(offset), key: Array("P1".utf8),
                value: Array(field.json(token).utf8))
        }
        let outcome = processor.process(records, inventory: .empty, now: try utc("2026-03-02T07:00:00Z"))
        let letters = try outcome.outputs.filter { $0.kind == .deadLetter }.map {
            try DeadLetterRecord.decode(Data($0.value))
        }
        #expect(letters.count == tokens.count)
        #expect(letters.allSatisfy { $0.error.field == field.field })
        #expect(letters.allSatisfy { $0.reason == .outOfRange || $0.reason == .wrongType })
        #expect(outcome.commitOffsets[field.type.topic] == Int64(tokens.count))
        #expect(processor.patients.isEmpty)
    }

    /// The inventory path: the worker's inventory reader decodes each record of the topic it reads
    /// whole; `unitsOnHand: 1e30` trapped there in every worker.
    @Test func inventoryPathDeadLettersEveryValue() throws {
        let now = try utc("2026-03-02T07:00:00Z")
        for field in Self.fields where field.type == .inventory {
            for (offset, token) in (Self.outOfRange + Self.notNumbers).enumerated() {
                let message = KafkaMessage(
                    topic: "pharmacy.inventory.v1", partition: 1, offset: Int64(offset),
                    key: Array("cnh/tocilizumab".utf8),
                    value: Array(field.json(token).utf8))
                guard case .invalid(let letter) = InventoryRecord.read(message, now: now) else {
                    Issue.record("\(field.field)=\(token) was accepted")
                    continue
                }
                #expect(letter.error.field == field.field, "\(token)")
                #expect(letter.id == "pharmacy.inventory.v1/1/\(offset)")
                #expect(letter.originalValue == Data(field.json(token).utf8))
            }
        }
    }
}
