import Foundation
import ProtocolCatalog
import Testing
import ToxWorker

@testable import ToxWatchContract
@testable import ToxicityRules

/// Hand-written checks that a document is FHIR R4-shaped JSON (no validator is available here):
/// the general JSON rules of the FHIR specification and the MedicationRequest/OperationOutcome
/// elements ToxWatch writes.
enum FHIRShape {
    // Computed: a Regex is not Sendable, so it cannot be a shared static constant.
    static var dateTime: Regex<(Substring, Substring?, Substring)> {
        /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/
    }
    static var reference: Regex<(Substring, Substring?)> {
        /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-\.]{1,64}(\/_history\/[A-Za-z0-9\-\.]{1,64})?$/
    }
    static var elementName: Regex<Substring> { /^[a-z][A-Za-z0-9]*$/ }

    /// FHIR JSON rules: no nulls, no empty strings, arrays or objects; element names in camelCase;
    /// URIs absolute; codes without surrounding whitespace; quantities numeric.
    static func problems(_ value: Any, path: String = "") -> [String] {
        switch value {
        case is NSNull:
            return ["\(path): null is not allowed"]
        case let text as String:
            if text.isEmpty { return ["\(path): empty string"] }
            let key = path.split(separator: ".").last.map(String.init) ?? ""
            if ["system", "url"].contains(key),
                !(text.hasPrefix("http://") || text.hasPrefix("https://") || text.hasPrefix("urn:"))
            {
                return ["\(path): '\(text)' is not an absolute URI"]
            }
            if ["code", "system", "url", "reference", "valueCode"].contains(key),
                text.trimmingCharacters(in: .whitespacesAndNewlines) != text
            {
                return ["\(path): surrounding whitespace"]
            }
            if key == "reference", (try? reference.wholeMatch(in: text)) == nil {
                return ["\(path): '\(text)' is not Type/id"]
            }
            if key == "authoredOn", (try? dateTime.wholeMatch(in: text)) == nil { return ["\(path): not a dateTime"] }
            return []
        case let array as [Any]:
            if array.isEmpty { return ["\(path): empty array"] }
            return array.enumerated().flatMap { problems($0.element, path: "\(path)[\($0.offset)]") }
        case let object as [String: Any]:
            if object.isEmpty { return ["\(path): empty object"] }
            var found: [String] = []
            for (key, element) in object {
                if key == "resourceType" {
                    if !path.isEmpty { found.append("\(path): resourceType inside an element") }
                    continue
                }
                if (try? elementName.wholeMatch(in: key)) == nil {
                    found.append("\(path).\(key): not a FHIR element name")
                }
                found += problems(element, path: path.isEmpty ? key : "\(path).\(key)")
            }
            // A Quantity (an Identifier also has `system` and `value`, but a string value and no unit or code).
            if object["value"] != nil, object["unit"] != nil || object["code"] != nil {
                if !(object["value"] is NSNumber) { found.append("\(path).value: a quantity's value must be a number") }
                if object["system"] as? String == "http://unitsofmeasure.org", object["code"] == nil {
                    found.append("\(path): a UCUM quantity needs a code")
                }
            }
            return found
        default:
            return []
        }
    }

    static let requestStatuses: Set = [
        "active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown",
    ]
    static let intents: Set = [
        "proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option",
    ]
    static let periodUnits: Set = ["s", "min", "h", "d", "wk", "mo", "a"]

    /// The MedicationRequest elements and cardinalities of FHIR R4 that ToxWatch uses.
    static func medicationRequestProblems(_ json: [String: Any]) -> [String] {
        var found = problems(json)
        if json["resourceType"] as? String != "MedicationRequest" { found.append("resourceType") }
        if !requestStatuses.contains(json["status"] as? String ?? "") { found.append("status") }
        if !intents.contains(json["intent"] as? String ?? "") { found.append("intent") }
        if (json["medicationCodeableConcept"] == nil) == (json["medicationReference"] == nil) {
            found.append("exactly one medication[x]")
        }
        // subject is 1..1; a Reference is literal (`reference`) or logical (`identifier`).
        let subject = json["subject"] as? [String: Any]
        if subject?["reference"] == nil, (subject?["identifier"] as? [String: Any])?["value"] == nil {
            found.append("subject.reference (1..1)")
        }
        for dosage in json["dosageInstruction"] as? [[String: Any]] ?? [] {
            if let repeatElement = (dosage["timing"] as? [String: Any])?["repeat"] as? [String: Any] {
                if !periodUnits.contains(repeatElement["periodUnit"] as? String ?? "") {
                    found.append("timing.repeat.periodUnit")
                }
                if ((repeatElement["frequency"] as? Int) ?? 0) < 1 { found.append("timing.repeat.frequency") }
                if ((repeatElement["period"] as? Double) ?? 0) <= 0 { found.append("timing.repeat.period") }
            }
            if let ratio = dosage["maxDosePerPeriod"] as? [String: Any],
                ratio["numerator"] == nil || ratio["denominator"] == nil
            {
                found.append("maxDosePerPeriod needs numerator and denominator")
            }
        }
        return found
    }
}

@Suite("FHIR R4 MedicationRequest")
struct FHIRMedicationRequestTests {
    static func catalog() throws -> AnakinraProtocolCatalog { try AnakinraProtocolCatalog.load() }

    /// The recommendation `toxctl evaluate` computes for an event-contract fixture under `protocol`.
    static func output(_ fixture: String, protocol id: String) throws -> (
        AnakinraRecommendationOutput, AnakinraProtocol
    ) {
        let input = try EvaluationInput.decode(Fixtures.data("evaluate/\(fixture).input.json"))
        let anakinraProtocol = try #require(try catalog()[id])
        let instant = try #require(input.timeline.map(\.occurredAt).max())
        var policy = GradingPolicy.default
        policy.iecHsCriteria = anakinraProtocol.iecHsCriteria
        let assessment = ToxicityEngine(policy: policy).assess(
            PatientTimeline(events: input.timeline, policy: policy),
            at: instant,
            prepared: PreparedProtocol(anakinraProtocol),
            inventory: InventorySnapshot(input.inventory)
        )
        let recommendation = Explainer(assessment).recommendation
        return (
            AnakinraRecommendationOutput(
                id: "anakinra-recommendation/cart.vitals.v1/3/\(fixture.count)",
                patientId: input.patient.patientId,
                assessedAt: instant,
                body: recommendation
            ),
            anakinraProtocol
        )
    }

    static func json(_ proposal: AnakinraFHIR.Proposal) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: proposal.encoded()) as? [String: Any])
    }

    /// Part B worked cases: (fixture, protocol, mg, route, hours between doses, daily cap, per-dose cap).
    static let workedCases: [(String, String, Double, String, Double, Double?, Double?)] = [
        ("tc01-cnh-70kg-refractory-crs3", "childrens-national", 100, "IV", 6, 400, 100),
        ("tc09-seattle-capd10", "seattle-childrens", 36, "IV", 6, 400, 100),
        ("tc17-st-jude-40kg-carhlh", "st-jude", 100, "IV", 6, nil, nil),
    ]

    @Test(
        "TC01, TC09, TC17: a draft proposal with the round dose, route, timing and the protocol's caps",
        arguments: workedCases
    )
    func workedCase(
        _ fixture: String,
        _ protocolId: String,
        _ mg: Double,
        _ route: String,
        _ hours: Double,
        _ dailyCap: Double?,
        _ perDoseCap: Double?
    ) throws {
        let (output, anakinraProtocol) = try Self.output(fixture, protocol: protocolId)
        #expect(output.body.action == .start)
        let request = try #require(AnakinraFHIR.medicationRequest(for: output, protocol: anakinraProtocol))
        #expect(request.status == "draft")
        #expect(request.intent == "proposal")
        #expect(request.subject.reference == "Patient/\(output.patientId)")
        let coding = try #require(request.medicationCodeableConcept.coding?.first)
        #expect(coding.system == "http://www.nlm.nih.gov/research/umls/rxnorm" && coding.code == "72435")
        #expect(coding.extensions?.first?.valueCode == "U", "the RxNorm code is marked unverified")
        #expect(request.medicationCodeableConcept.text == "anakinra")
        let dosage = try #require(request.dosageInstruction?.first)
        #expect(dosage.doseAndRate?.first?.doseQuantity == .ucum(mg, "mg"))
        #expect(dosage.route?.text == route)
        #expect(
            dosage.route?.coding?.contains { $0.system == "http://snomed.info/sct" && $0.code == "47625008" } == true
        )
        #expect(dosage.timing?.repeatElement == .init(frequency: 1, period: hours, periodUnit: "h"))
        #expect(dosage.maxDosePerPeriod?.numerator.value == dailyCap)
        #expect(dosage.maxDosePerPeriod?.denominator == dailyCap.map { _ in .ucum(1, "d", unit: "day") })
        #expect(dosage.maxDosePerAdministration?.value == perDoseCap)
        #expect(request.identifier == [FHIRIdentifier(system: FHIRSystems.outputIdentifier, value: output.id)])
        #expect(
            request.extensions?.contains { $0.url == FHIRSystems.outputIdExtension && $0.valueString == output.id }
                == true
        )
        #expect(request.authoredOn == ISO8601Timestamp.format(output.assessedAt))
        let notes = (request.note ?? []).map(\.text).joined(separator: "\n").lowercased()
        #expect(notes.contains("requires clinician verification"))
        #expect(notes.contains(output.body.rationale.first?.lowercased() ?? "∅"))
        #expect(request.reasonCode?.isEmpty == false)

        let json = try Self.json(.medicationRequest(request))
        #expect(FHIRShape.medicationRequestProblems(json).isEmpty, "\(FHIRShape.medicationRequestProblems(json))")

        // Issue 15.15: a patient id that is not a FHIR id would make `Patient/<id>` invalid R4.
        var other = output
        other.patientId = "MRN 00123/45_ü"
        let logical = try #require(AnakinraFHIR.medicationRequest(for: other, protocol: anakinraProtocol))
        #expect(logical.subject.reference == nil)
        #expect(logical.subject.identifier?.value == "MRN 00123/45_ü")
        let logicalJSON = try Self.json(.medicationRequest(logical))
        #expect(FHIRShape.medicationRequestProblems(logicalJSON).isEmpty)
        // Reads back as written.
        #expect(
            try JSONDecoder().decode(
                FHIRMedicationRequest.self,
                from: AnakinraFHIR.Proposal.medicationRequest(request).encoded()
            ) == request
        )
    }

    @Test("no dose to propose (hold, none) gives an informational OperationOutcome naming the action")
    func noProposal() throws {
        let (hold, anakinraProtocol) = try Self.output("tc23-ecoli-hold", protocol: "childrens-national")
        #expect(hold.body.action == .hold)
        #expect(AnakinraFHIR.medicationRequest(for: hold, protocol: anakinraProtocol) == nil)
        guard case .noProposal(let outcome) = AnakinraFHIR.proposal(for: hold, protocol: anakinraProtocol) else {
            Issue.record("expected an OperationOutcome")
            return
        }
        let issue = try #require(outcome.issue.first)
        #expect(issue.severity == "information" && issue.code == "informational")
        #expect(issue.details?.coding?.first?.code == "hold")
        #expect(issue.details?.coding?.contains { $0.code == "e-coli-hypersensitivity" } == true)
        #expect(issue.details?.text?.contains("Requires clinician verification") == true)
        let json = try Self.json(.noProposal(outcome))
        #expect(json["resourceType"] as? String == "OperationOutcome")
        #expect(FHIRShape.problems(json).isEmpty, "\(FHIRShape.problems(json))")

        // TC07 under CNH: not yet refractory, action none.
        let (none, cnh) = try Self.output("tc07-masked-fever-crs2", protocol: "childrens-national")
        #expect(none.body.action == .none)
        guard case .noProposal(let nothing) = AnakinraFHIR.proposal(for: none, protocol: cnh) else {
            Issue.record("expected an OperationOutcome")
            return
        }
        #expect(nothing.issue.first?.details?.coding?.first?.code == "none")
    }

    @Test(
        "every recommendation of the simulated courses maps to FHIR-shaped JSON: a proposal exactly when it doses anakinra"
    )
    func everyRecommendation() throws {
        let simulation = try SimulatedOutputs.shared.get()
        let catalog = try Self.catalog()
        var requests = 0
        var withoutFrequency = 0
        for output in simulation.outputs where output.record.kind == .anakinraRecommendation {
            let recommendation = try AnakinraRecommendationOutput.decode(Data(output.record.value))
            let body = recommendation.body.body
            let proposal = AnakinraFHIR.proposal(for: recommendation, protocol: body.protocolId.flatMap { catalog[$0] })
            let json = try Self.json(proposal)
            switch proposal {
            case .medicationRequest(let request):
                requests += 1
                #expect(body.action.dosesAnakinra && body.dose != nil)
                #expect(
                    FHIRShape.medicationRequestProblems(json).isEmpty,
                    "\(output.record.id): \(FHIRShape.medicationRequestProblems(json))"
                )
                let dosage = try #require(request.dosageInstruction?.first)
                if let mg = body.dose?.mg, let frequency = body.dose?.frequency {
                    #expect(dosage.doseAndRate?.first?.doseQuantity?.value == Double(mg))
                    #expect(dosage.timing?.repeatElement?.period == Double(frequency.intervalHours))
                    // Never a proposal above the protocol's own caps.
                    if let cap = dosage.maxDosePerAdministration?.value { #expect(Double(mg) <= cap) }
                    if let cap = dosage.maxDosePerPeriod?.numerator.value, let daily = body.dose?.dailyMg {
                        #expect(Double(daily) <= cap)
                    }
                } else {
                    withoutFrequency += 1
                    #expect(dosage.doseAndRate == nil && dosage.timing == nil, "no per-dose amount without a frequency")
                    #expect(dosage.text?.contains("prescriber chooses") == true)
                }
            case .noProposal:
                #expect(!(body.action.dosesAnakinra && body.dose != nil))
                #expect(FHIRShape.problems(json).isEmpty, "\(output.record.id): \(FHIRShape.problems(json))")
            }
        }
        #expect(requests > 20)
        #expect(withoutFrequency > 0, "CHOP: a daily dose without frequency")
    }

    @Test("toxctl evaluate --format fhir prints the MedicationRequest (TC01) or an OperationOutcome (TC23)")
    func toxctlFormat() throws {
        let tc01 = try ToxctlBinary.run([
            "evaluate", "--protocol", "childrens-national", "--format", "fhir",
            try Fixtures.url("evaluate/tc01-cnh-70kg-refractory-crs3.input.json").path,
        ])
        #expect(tc01.status == 0, "\(tc01.stderr)")
        let request = try JSONDecoder().decode(FHIRMedicationRequest.self, from: tc01.stdout)
        #expect(request.intent == "proposal")
        #expect(request.dosageInstruction?.first?.doseAndRate?.first?.doseQuantity?.value == 100)
        #expect(request.dosageInstruction?.first?.maxDosePerPeriod?.numerator.value == 400)
        let json = try #require(try JSONSerialization.jsonObject(with: tc01.stdout) as? [String: Any])
        #expect(FHIRShape.medicationRequestProblems(json).isEmpty)

        let tc23 = try ToxctlBinary.run([
            "evaluate", "--protocol", "childrens-national", "--format", "fhir",
            try Fixtures.url("evaluate/tc23-ecoli-hold.input.json").path,
        ])
        #expect(tc23.status == 0)
        let outcome = try JSONDecoder().decode(FHIROperationOutcome.self, from: tc23.stdout)
        #expect(outcome.issue.first?.details?.coding?.first?.code == "hold")

        let combined = try ToxctlBinary.run([
            "evaluate", "--compare-protocols", "--format", "fhir",
            try Fixtures.url("evaluate/tc01-cnh-70kg-refractory-crs3.input.json").path,
        ])
        #expect(combined.status == 2)
        #expect(combined.stderr.contains("--format fhir"))
    }

    @Test("the shape checker itself rejects what FHIR forbids")
    func shapeCheckerRejects() {
        let bad: [String: Any] = [
            "resourceType": "MedicationRequest", "status": "proposed", "intent": "suggestion",
            "subject": ["reference": "patient 7"], "note": [], "category": [["text": ""]],
            "dosageInstruction": [["timing": ["repeat": ["frequency": 0, "period": 6, "periodUnit": "hours"]]]],
            "medicationCodeableConcept": ["coding": [["system": "rxnorm", "code": " 72435"]]], "identifier": NSNull(),
            "extension": [["url": "output-id", "valueString": "x"]], "dose_quantity": 1,
        ]
        let problems = FHIRShape.medicationRequestProblems(bad)
        for expected in [
            "status", "intent", "subject.reference", "note: empty array", "category[0].text: empty string",
            "timing.repeat.periodUnit", "timing.repeat.frequency", "not an absolute URI", "surrounding whitespace",
            "identifier: null", "dose_quantity: not a FHIR element name",
        ] {
            #expect(problems.contains { $0.contains(expected) }, "\(expected) not found in \(problems)")
        }
    }
}
