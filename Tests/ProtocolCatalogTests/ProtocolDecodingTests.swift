import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// A malformed protocol document and the field/message it must be rejected with.
struct MalformedProtocolCase: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    var field: String
    var message: String

    var testDescription: String { name }
}

@Suite struct ProtocolDecodingTests {
    /// Decodes and returns the validation error (DecodingErrors converted as the catalog does).
    static func rejection(_ json: String) -> ProtocolValidationError? {
        do {
            _ = try ProtocolFixture.decode(json)
            return nil
        } catch let error as ProtocolValidationError {
            return error
        } catch let error as DecodingError {
            return ProtocolValidationError(error)
        } catch {
            return ProtocolValidationError(field: "?", message: "\(error)")
        }
    }

    static let malformed: [MalformedProtocolCase] = [
        .init(
            name: "negative per-day dose",
            json: ProtocolFixture.json(dose: #""perDayMgPerKg": -2"#),
            field: "dose.perDayMgPerKg",
            message: "-2 must be > 0"
        ),
        .init(
            name: "zero per-dose dose",
            json: ProtocolFixture.json(dose: #""perDoseMgPerKg": 0"#),
            field: "dose.perDoseMgPerKg",
            message: "0 must be > 0"
        ),
        .init(
            name: "missing dose",
            json: ProtocolFixture.json().replacingOccurrences(
                of: #""dose": {"perDoseMgPerKg": 2, "status": "V"},"#,
                with: ""
            ),
            field: "dose",
            message: "is required"
        ),
        .init(
            name: "missing status",
            json: ProtocolFixture.json().replacingOccurrences(
                of: #""perDoseMgPerKg": 2, "status": "V""#,
                with: #""perDoseMgPerKg": 2"#
            ),
            field: "dose.status",
            message: "is required"
        ),
        .init(
            name: "no dose basis",
            json: ProtocolFixture.json(dose: #""note": "none""#),
            field: "dose",
            message: "one of perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg is required"
        ),
        .init(
            name: "two dose bases",
            json: ProtocolFixture.json(dose: #""perDoseMgPerKg": 2, "perDayMg": 100"#),
            field: "dose.perDayMg",
            message: "only one of"
        ),
        .init(
            name: "unknown frequency",
            json: ProtocolFixture.json(frequency: #""default": "Q7H", "allowed": ["Q6H"]"#),
            field: "frequency.default",
            message: #"unknown value "Q7H""#
        ),
        .init(
            name: "unknown allowed frequency",
            json: ProtocolFixture.json(frequency: #""default": "Q6H", "allowed": ["Q6H", "BID"]"#),
            field: "frequency.allowed[1]",
            message: #"unknown value "BID""#
        ),
        .init(
            name: "default frequency not allowed",
            json: ProtocolFixture.json(frequency: #""default": "Q8H", "allowed": ["Q6H"]"#),
            field: "frequency.default",
            message: "must be one of allowed"
        ),
        .init(
            name: "Q48H in a protocol",
            json: ProtocolFixture.json(frequency: #""default": "Q6H", "allowed": ["Q6H", "Q48H"]"#),
            field: "frequency.allowed",
            message: "renal override"
        ),
        .init(
            name: "no default and no options",
            json: ProtocolFixture.json(frequency: #""default": null, "allowed": ["Q6H"]"#),
            field: "frequency.options",
            message: "is required when there is no default frequency"
        ),
        .init(
            name: "misspelt cap key",
            json: ProtocolFixture.json(caps: #""perDoseCapMg": 100, "dailyMg": 400"#),
            field: "caps.perDoseCapMg",
            message: "unknown field"
        ),
        .init(
            name: "misspelt top-level key",
            json: ProtocolFixture.json().replacingOccurrences(of: #""notes": []"#, with: #""note": []"#),
            field: "note",
            message: "unknown field"
        ),
        .init(
            name: "fractional mg cap",
            json: ProtocolFixture.json(caps: #""perDoseMg": 99.5"#),
            field: "caps.perDoseMg",
            message: "must be a whole number of mg"
        ),
        .init(
            name: "per-dose cap above daily cap",
            json: ProtocolFixture.json(caps: #""perDoseMg": 500, "dailyMg": 400"#),
            field: "caps",
            message: "perDoseMg 500 must be ≤ dailyMg 400"
        ),
        .init(
            name: "more than 3 decimal places",
            json: ProtocolFixture.json(dose: #""perDoseMgPerKg": 2.0005"#),
            field: "dose.perDoseMgPerKg",
            message: "at most 3 decimal places"
        ),
        .init(
            name: "range low above high",
            json: ProtocolFixture.json(dose: #""perDayMgPerKg": {"low": 10, "high": 8}"#),
            field: "dose.perDayMgPerKg.high",
            message: "must be ≥ low"
        ),
        .init(
            name: "severe outside range",
            json: ProtocolFixture.json(dose: #""perDayMgPerKg": {"low": 8, "severe": 12, "high": 10}"#),
            field: "dose.perDayMgPerKg.severe",
            message: "must lie between low"
        ),
        .init(
            name: "implausible mg/kg",
            json: ProtocolFixture.json(dose: #""perDoseMgPerKg": 60"#),
            field: "dose.perDoseMgPerKg",
            message: "implausible"
        ),
        .init(
            name: "number given as string",
            json: ProtocolFixture.json(dose: #""perDoseMg": "100""#),
            field: "dose.perDoseMg",
            message: "must be a number or an object"
        ),
        .init(
            name: "unknown route",
            json: ProtocolFixture.json(routes: #""allowed": ["IV", "PO"], "preferred": "IV""#),
            field: "routes.allowed[1]",
            message: #"unknown route "PO""#
        ),
        .init(
            name: "preferred route not allowed",
            json: ProtocolFixture.json(routes: #""allowed": ["IV"], "preferred": "SC""#),
            field: "routes.preferred",
            message: "must be one of allowed"
        ),
        .init(
            name: "escalation to a cap that does not exist",
            json: ProtocolFixture.json(caps: #""dailyMg": 400"#),
            field: "escalation",
            message: "requires caps.perDoseMg"
        ),
        .init(
            name: "implausible escalation bound",
            json: ProtocolFixture.json(escalation: #""rule": "to-per-dose-cap", "maxMgPerKgPerDay": 60"#),
            field: "escalation.maxMgPerKgPerDay",
            message: "implausible"
        ),
        .init(
            name: "whole-syringe without syringe size",
            json: ProtocolFixture.json(rounding: #""rule": "whole-syringe", "tolerancePercent": 10"#),
            field: "rounding.syringeMg",
            message: "is required for rule whole-syringe"
        ),
        .init(
            name: "taper intervals not increasing",
            json: ProtocolFixture.json(
                taper: ProtocolFixture.defaultTaper.replacingOccurrences(
                    of: #"["Q6H", "Q8H", "Q12H", "Q24H"]"#,
                    with: #"["Q12H", "Q8H"]"#
                )
            ),
            field: "taper.intervals",
            message: "strictly increasing"
        ),
        .init(
            name: "grade trigger without grade",
            json: ProtocolFixture.json(
                taper: ProtocolFixture.defaultTaper.replacingOccurrences(of: #""grade": 2, "#, with: "")
            ),
            field: "taper.trigger.grade",
            message: "is required for kind grade-at-most"
        ),
        .init(
            name: "dose-step taper with a range",
            json: ProtocolFixture.json(
                taper: """
                    "trigger": {"kind": "not-stated", "status": "V"}, "method": "dose-steps",
                    "steps": [{"perDoseMgPerKg": {"low": 1, "high": 2}, "frequency": "Q12H"}], "stepHours": {"min": 24, "max": 24}
                    """
            ),
            field: "taper.steps[0].perDoseMgPerKg",
            message: "one amount"
        ),
        .init(
            name: "bad id",
            json: ProtocolFixture.json(id: "Bad_ID"),
            field: "id",
            message: "lower-case"
        ),
        .init(
            name: "future format version",
            json: ProtocolFixture.json().replacingOccurrences(of: #""formatVersion": 1"#, with: #""formatVersion": 2"#),
            field: "formatVersion",
            message: "not supported"
        ),
        .init(
            name: "no indications",
            json: ProtocolFixture.json(indications: "[]"),
            field: "indications",
            message: "at least one"
        ),
        .init(
            name: "unknown line of therapy",
            json: ProtocolFixture.json(indications: #"[{"toxicity": "crs", "line": "second-line", "status": "V"}]"#),
            field: "indications[0].line",
            message: #"unknown value "second-line""#
        ),
        .init(
            name: "prophylaxis without a start day",
            json: ProtocolFixture.json(indications: #"[{"toxicity": "crs", "line": "prophylaxis", "status": "V"}]"#),
            field: "indications[0].fromDayAfterInfusion",
            message: "is required for line prophylaxis"
        ),
        .init(
            name: "grade out of range",
            json: ProtocolFixture.json(
                indications: #"[{"toxicity": "crs", "line": "first-line", "minimumGrade": 5, "status": "V"}]"#
            ),
            field: "indications[0].minimumGrade",
            message: "between 1 and 4"
        ),
        .init(
            name: "unknown status tag",
            json: ProtocolFixture.json().replacingOccurrences(
                of: #""rule": "nearest-mg", "status": "IMPL""#,
                with: #""rule": "nearest-mg", "status": "X""#
            ),
            field: "rounding.status",
            message: #"unknown value "X""#
        ),
        .init(
            name: "duplicate alternative regimen ids",
            json: ProtocolFixture.json(
                alternativeRegimens: """
                    [{"id": "a", "name": "A", "dose": {"perDoseMg": 100, "status": "V"}, "frequency": {"default": "Q24H", "allowed": ["Q24H"], "status": "V"}, "status": "V"},
                     {"id": "a", "name": "B", "dose": {"perDoseMg": 50, "status": "V"}, "frequency": {"default": "Q24H", "allowed": ["Q24H"], "status": "V"}, "status": "V"}]
                    """
            ),
            field: "alternativeRegimens[1].id",
            message: "used twice"
        ),
    ]

    @Test(arguments: malformed)
    func malformedProtocolIsRejectedNamingTheField(_ testCase: MalformedProtocolCase) throws {
        let error = try #require(Self.rejection(testCase.json), "\(testCase.name) was accepted")
        #expect(error.field == testCase.field, "\(error)")
        #expect(error.message.contains(testCase.message), "\(error)")
    }

    @Test func negativeDoseMessageMatchesTheContract() throws {
        let error = try #require(Self.rejection(ProtocolFixture.json(dose: #""perDayMgPerKg": -2"#)))
        #expect(error.description == "dose.perDayMgPerKg: -2 must be > 0")
    }

    @Test func rangeAndSingleAmountsDecode() throws {
        let single = try ProtocolFixture.decode(ProtocolFixture.json(dose: #""perDoseMgPerKg": 2.5"#))
        #expect(single.dose.amount == DoseAmount(ExactAmount(thousandths: 2500)))
        let range = try ProtocolFixture.decode(ProtocolFixture.json(dose: #""perDayMgPerKg": {"low": 8, "high": 10}"#))
        // `severe` defaults to `low` when absent.
        #expect(range.dose.amount == DoseAmount(low: ExactAmount(8), severe: ExactAmount(8), high: ExactAmount(10)))
        #expect(range.dose.amount.isRange)
    }

    @Test func defaultsForOptionalFields() throws {
        let json = ProtocolFixture.json().replacingOccurrences(of: #""iecHsCriteria": "astct-2023","#, with: "")
        let p = try ProtocolFixture.decode(json)
        #expect(p.iecHsCriteria == .astct2023)
        #expect(p.indications[0].doseSpecified)
        #expect(p.indications[0].antigenTargets.isEmpty)
    }

    @Test func encodingRoundTrips() throws {
        for p in [
            try ProtocolFixture.perDoseCapped(), try ProtocolFixture.perDayNoFrequency(),
            try ProtocolFixture.wholeSyringeUncapped(),
            try ProtocolFixture.doseStepTaper(), try ProtocolFixture.rangeUncapped(),
        ] {
            let data = try AnakinraProtocolCatalog.encode(p)
            let again = try AnakinraProtocolCatalog.decode(data, file: "\(p.id).json")
            #expect(again == p)
        }
    }

    @Test(arguments: [
        ("childrens-national", true), ("st-jude", true), ("a1", true), ("Chop", false), ("-chop", false),
        ("chop-", false), ("ch--op", false), ("ch op", false), ("", false),
    ])
    func protocolIds(_ id: String, _ valid: Bool) {
        #expect(AnakinraProtocol.isValidId(id) == valid)
    }

    @Test func fieldPathRendersIndices() {
        let path: [any CodingKey] = [
            AnyProtocolKey(stringValue: "indications"), AnyProtocolKey(intValue: 2),
            AnyProtocolKey(stringValue: "line"),
        ]
        #expect(ProtocolValidationError.fieldPath(path) == "indications[2].line")
    }
}
