import Foundation
import ProtocolCatalog
package import ToxicityRules

/// Protocol documents for the rules and catalog tests, built from a JSON template so that each
/// test states only what it varies. (The shipped protocol files are tested in
/// ProtocolCatalogTests, with the worked cases of the spec.)
package enum ProtocolFixture {
    package static let defaultTaper = """
        "trigger": {"kind": "grade-at-most", "grade": 2, "scope": "crs-and-icans", "holdHours": 24, "status": "V"},
        "method": "lengthen-interval", "intervals": ["Q6H", "Q8H", "Q12H", "Q24H"],
        "stepHours": {"min": 24, "max": 24}
        """

    /// A complete, valid protocol document; each argument is the inside of one object.
    package static func json(
        id: String = "test-protocol",
        dose: String = #""perDoseMgPerKg": 2"#,
        frequency: String = #""default": "Q6H", "allowed": ["Q6H"]"#,
        routes: String = #""allowed": ["IV"], "preferred": "IV""#,
        caps: String = #""perDoseMg": 100, "dailyMg": 400"#,
        rounding: String = #""rule": "nearest-mg""#,
        escalation: String = #""rule": "to-per-dose-cap""#,
        taper: String = defaultTaper,
        alternativeRegimens: String = "[]",
        indications: String =
            #"[{"toxicity": "crs", "line": "refractory-to-tocilizumab-and-corticosteroid", "status": "V"}]"#
    ) -> String {
        """
        {
          "formatVersion": 1, "id": "\(id)", "name": "Test protocol", "shortName": "TEST",
          "kind": "institutional", "population": "pediatric", "evidence": "test fixture",
          "indications": \(indications),
          "dose": {\(dose), "status": "V"},
          "frequency": {\(frequency), "status": "V"},
          "routes": {\(routes), "status": "V"},
          "caps": {\(caps.isEmpty ? "" : caps + ", ")"status": "V"},
          "rounding": {\(rounding), "status": "IMPL"},
          "escalation": {\(escalation), "status": "IMPL"},
          "reassessment": {"hours": {"min": 24, "max": 24}, "status": "IMPL"},
          "taper": {\(taper), "status": "IMPL"},
          "duration": {"text": "test", "status": "V"},
          "lastAgentWeaned": {"value": true, "status": "V"},
          "iecHsCriteria": "astct-2023",
          "alternativeRegimens": \(alternativeRegimens),
          "notes": [], "choices": []
        }
        """
    }

    package static func decode(_ json: String) throws -> AnakinraProtocol {
        try JSONDecoder().decode(ProtocolFile<AnakinraProtocol>.self, from: Data(json.utf8)).value
    }

    /// 2 mg/kg/dose Q6H IV, 100 mg/dose, 400 mg/day: the shape of CNH.
    package static func perDoseCapped() throws -> AnakinraProtocol { try decode(json()) }

    /// 2–10 mg/kg/day, no frequency, 400 mg/day and 10 mg/kg/day: the shape of CHOP.
    package static func perDayNoFrequency() throws -> AnakinraProtocol {
        try decode(
            json(
                dose: #""perDayMgPerKg": {"low": 2, "severe": 2, "high": 10}"#,
                frequency:
                    #""default": null, "allowed": ["Q4H", "Q6H", "Q8H", "Q12H", "Q24H"], "options": ["Q6H", "Q12H", "Q24H"]"#,
                routes: #""allowed": ["IV", "SC"], "preferred": "IV""#,
                caps: #""dailyMg": 400, "mgPerKgPerDay": 10"#,
                escalation: #""rule": "double-daily-dose""#
            )
        )
    }

    /// 10 mg/kg/day Q6H, no caps, whole-syringe rounding: the shape of St. Jude.
    package static func wholeSyringeUncapped() throws -> AnakinraProtocol {
        try decode(
            json(
                dose: #""perDayMgPerKg": 10"#,
                routes: #""allowed": ["SC", "IV"], "preferred": "SC""#,
                caps: "",
                rounding: #""rule": "whole-syringe", "syringeMg": 100, "tolerancePercent": 10"#,
                escalation: #""rule": "none""#
            )
        )
    }

    /// 4 mg/kg/dose Q12H SC, no caps, taper to 2 mg/kg/dose Q12H: the shape of MUSC.
    package static func doseStepTaper() throws -> AnakinraProtocol {
        try decode(
            json(
                dose: #""perDoseMgPerKg": 4"#,
                frequency: #""default": "Q12H", "allowed": ["Q12H"]"#,
                routes: #""allowed": ["SC"], "preferred": "SC""#,
                caps: "",
                escalation: #""rule": "none""#,
                taper: """
                    "trigger": {"kind": "improving", "afterHours": {"min": 48, "max": 72}, "status": "V"},
                    "method": "dose-steps", "steps": [{"perDoseMgPerKg": 2, "frequency": "Q12H", "hours": {"min": 48, "max": 72}}],
                    "stepHours": {"min": 48, "max": 72}
                    """,
                alternativeRegimens: """
                    [{"id": "fixed-100mg-daily", "name": "100 mg daily", "dose": {"perDoseMg": 100, "status": "V"},
                      "frequency": {"default": "Q24H", "allowed": ["Q24H"], "status": "V"},
                      "taper": {"trigger": {"kind": "not-stated", "status": "V"}, "method": "dose-steps",
                                "steps": [{"perDoseMg": 50, "frequency": "Q24H"}], "stepHours": {"min": 48, "max": 72}, "status": "IMPL"},
                      "status": "V"}]
                    """
            )
        )
    }

    /// 8–10 mg/kg/day Q12H SC, no caps, escalation to the range's high end: the shape of NIH.
    package static func rangeUncapped() throws -> AnakinraProtocol {
        try decode(
            json(
                dose: #""perDayMgPerKg": {"low": 8, "severe": 8, "high": 10}"#,
                frequency: #""default": "Q12H", "allowed": ["Q12H"]"#,
                routes: #""allowed": ["SC"], "preferred": "SC""#,
                caps: "",
                escalation: #""rule": "to-range-high""#
            )
        )
    }
}
