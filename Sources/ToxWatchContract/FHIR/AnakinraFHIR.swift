package import Foundation
package import ToxicityRules

/// The anakinra recommendation as FHIR R4 (DESIGN.md §3: "Optional FHIR R4 output:
/// `MedicationRequest` with `intent: proposal`"), for `toxctl evaluate --format fhir` and any
/// publisher of FHIR (the worker could map each `anakinra-recommendation` record with it).
///
/// A recommendation that proposes a dose (`start`, `continue`, `escalate`, `taper` with a dose)
/// becomes a `MedicationRequest` with `status: draft`, `intent: proposal`; anything else (`none`,
/// `hold`, `stop`, or no dose because the weight is missing) becomes an informational
/// `OperationOutcome` that names the action and its reasons, so that a reader always gets exactly
/// one FHIR resource and never mistakes "no proposal" for an empty order.
///
/// ```swift
/// switch AnakinraFHIR.proposal(for: output, protocol: catalog["childrens-national"]) {
/// case .medicationRequest(let request): …   // 100 mg IV, repeat 1 per 6 h, max 400 mg per 1 d
/// case .noProposal(let outcome): …
/// }
/// ```
package enum AnakinraFHIR {
    /// RxNorm RXCUI of anakinra. clinical-spec Part B §10: status **U** (recalled, not found in the
    /// corpora): the coding carries the verification status in an extension and the resource a
    /// note, and the `text` ("anakinra") is what a receiver should match on until it is checked.
    package static let rxnormCode = "72435"
    package static let rxnormCodeStatus = EvidenceStatus.unverified

    /// One FHIR resource for a recommendation.
    package enum Proposal: Sendable, Hashable {
        case medicationRequest(FHIRMedicationRequest)
        case noProposal(FHIROperationOutcome)

        /// The resource as JSON (sorted keys; pretty-printed for people).
        package func encoded(pretty: Bool = false) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting =
                pretty
                ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
            switch self {
            case .medicationRequest(let request): return try encoder.encode(request)
            case .noProposal(let outcome): return try encoder.encode(outcome)
            }
        }
    }

    /// The recommendation as a `MedicationRequest` proposal, or an `OperationOutcome` saying why
    /// there is none.
    ///
    /// - Parameters:
    ///   - output: The recommendation with its envelope (its `id` becomes the resource's identifier
    ///     and the `output-id` extension; `patientId` the subject `Patient/<id>`, or the subject's
    ///     `identifier` when it is not a FHIR id; `assessedAt` `authoredOn`).
    ///   - anakinraProtocol: The protocol the recommendation used, for the caps
    ///     (`maxDosePerPeriod` from its daily cap, `maxDosePerAdministration` from its per-dose cap).
    ///     Without it, only caps that changed the dose (the recommendation's `caps`) are stated.
    package static func proposal(
        for output: AnakinraRecommendationOutput,
        protocol anakinraProtocol: AnakinraProtocol? = nil
    ) -> Proposal {
        if let request = medicationRequest(for: output, protocol: anakinraProtocol) {
            return .medicationRequest(request)
        }
        return .noProposal(noProposalOutcome(for: output))
    }

    /// The `MedicationRequest` proposal, or `nil` when the recommendation proposes no dose.
    package static func medicationRequest(
        for output: AnakinraRecommendationOutput,
        protocol anakinraProtocol: AnakinraProtocol? = nil
    ) -> FHIRMedicationRequest? {
        let body = output.body.body
        guard body.action.dosesAnakinra, let dose = body.dose else { return nil }
        let dailyCap = anakinraProtocol?.caps.dailyMg ?? capValue(body.caps, code: "daily-cap")
        let perDoseCap = anakinraProtocol?.caps.perDoseMg ?? capValue(body.caps, code: "per-dose-cap")
        let protocolName = body.protocolId ?? "no protocol"

        var notes: [FHIRAnnotation] = []
        if !body.rationale.isEmpty { notes.append(FHIRAnnotation(text: body.rationale.joined(separator: "\n"))) }
        let flagged = [
            body.warnings.isEmpty ? nil : "Warnings: " + body.warnings.map(\.code.rawValue).joined(separator: ", "),
            body.alerts.isEmpty ? nil : "Alerts: " + body.alerts.map(\.code.rawValue).joined(separator: ", "),
        ].compactMap { $0 }
        if !flagged.isEmpty { notes.append(FHIRAnnotation(text: flagged.joined(separator: ". ") + ".")) }
        notes.append(
            FHIRAnnotation(
                text: "Requires clinician verification: ToxWatch decision support (\(body.action.rawValue), protocol "
                    + "\(protocolName)), not an order. A clinician and a pharmacist must verify the dose, route and "
                    + "frequency before prescribing."
            )
        )
        notes.append(
            FHIRAnnotation(
                text: "The RxNorm code \(rxnormCode) for anakinra is unverified (clinical-spec §10, status U); "
                    + "identify the medication by its text."
            )
        )

        let reasons = body.reasons.filter(\.decisive)
        let reasonCodes = (reasons.isEmpty ? Array(body.reasons.prefix(1)) : reasons).map { reason in
            FHIRCodeableConcept(
                coding: [FHIRCoding(system: FHIRSystems.recommendationReason, code: reason.code.rawValue)],
                text: reason.code.rawValue
            )
        }

        return FHIRMedicationRequest(
            extensions: [FHIRExtension(url: FHIRSystems.outputIdExtension, valueString: output.id)],
            identifier: [FHIRIdentifier(system: FHIRSystems.outputIdentifier, value: output.id)],
            status: "draft",
            intent: "proposal",
            category: [
                FHIRCodeableConcept(
                    coding: [
                        FHIRCoding(
                            system: FHIRSystems.medicationRequestCategory,
                            code: "inpatient",
                            display: "Inpatient"
                        )
                    ])
            ],
            medicationCodeableConcept: medication,
            subject: patientReference(output.patientId),
            supportingInformation: supportingInformation(body.inputEventIds),
            authoredOn: ISO8601Timestamp.format(output.assessedAt),
            requester: FHIRReference(display: "ToxWatch decision support"),
            reasonCode: reasonCodes.isEmpty ? nil : reasonCodes,
            courseOfTherapyType: FHIRCodeableConcept(
                coding: [
                    FHIRCoding(
                        system: FHIRSystems.courseOfTherapy,
                        code: "acute",
                        display: "Short course (acute) therapy"
                    )
                ]),
            note: notes,
            dosageInstruction: [dosage(dose, action: body.action, dailyCap: dailyCap, perDoseCap: perDoseCap)]
        )
    }

    /// `anakinra`, RxNorm 72435 marked unverified (U).
    static var medication: FHIRCodeableConcept {
        FHIRCodeableConcept(
            coding: [
                FHIRCoding(
                    system: FHIRSystems.rxnorm,
                    code: rxnormCode,
                    display: "anakinra",
                    extensions: [
                        FHIRExtension(url: FHIRSystems.codeVerificationExtension, valueCode: rxnormCodeStatus.rawValue)
                    ]
                )
            ],
            text: "anakinra"
        )
    }

    /// The route as SNOMED CT and HL7 v2 table 0162 codings.
    package static func route(_ route: Route) -> FHIRCodeableConcept {
        let (snomed, snomedDisplay, v2Display) =
            switch route {
            case .iv: ("47625008", "Intravenous route", "Intravenous")
            case .sc: ("34206005", "Subcutaneous route", "Subcutaneous")
            case .po: ("26643006", "Oral route", "Oral")
            }
        return FHIRCodeableConcept(
            coding: [
                FHIRCoding(system: FHIRSystems.snomed, code: snomed, display: snomedDisplay),
                FHIRCoding(system: FHIRSystems.v2Route, code: route.rawValue, display: v2Display),
            ],
            text: route.rawValue
        )
    }

    static func dosage(_ dose: RecommendedDose, action: RecommendationAction, dailyCap: Int?, perDoseCap: Int?)
        -> FHIRDosage
    {
        var dosage = FHIRDosage(sequence: 1, route: route(dose.route))
        var text: String
        if let mg = dose.mg, let frequency = dose.frequency {
            dosage.timing = FHIRTiming(
                repeatElement: .init(frequency: 1, period: Double(frequency.intervalHours), periodUnit: "h"),
                code: FHIRCodeableConcept(text: frequency.rawValue)
            )
            dosage.doseAndRate = [
                .init(
                    type: FHIRCodeableConcept(
                        coding: [
                            FHIRCoding(system: FHIRSystems.doseRateType, code: "calculated", display: "Calculated")
                        ]),
                    doseQuantity: .ucum(Double(mg), "mg")
                )
            ]
            text = "\(mg) mg \(dose.route.rawValue) every \(frequency.intervalHours) hours (\(frequency.rawValue))"
            if let perKg = dose.mgPerKg { text += ", \(formatDecimal(perKg)) mg/kg per dose" }
            if let daily = dose.dailyMg { text += ", \(daily) mg/day" }
        } else {
            // The protocol states no frequency (CHOP): a daily amount and the prescriber's choice.
            text = dose.dailyMg.map { "\($0) mg/day \(dose.route.rawValue)" } ?? "anakinra \(dose.route.rawValue)"
            text += "; the protocol states no frequency: the prescriber chooses"
            if !dose.options.isEmpty {
                text += " (" + dose.options.map { "\($0.frequency.rawValue) \($0.mg) mg" }.joined(separator: ", ") + ")"
            }
        }
        if let dailyCap {
            dosage.maxDosePerPeriod = FHIRRatio(
                numerator: .ucum(Double(dailyCap), "mg"),
                denominator: .ucum(1, "d", unit: "day")
            )
            text += "; max \(dailyCap) mg/day"
        }
        if let perDoseCap {
            dosage.maxDosePerAdministration = .ucum(Double(perDoseCap), "mg")
            text += "; max \(perDoseCap) mg/dose"
        }
        dosage.text = "\(action.rawValue): " + text
        return dosage
    }

    /// The value of a cap that changed the dose (`caps[].thresholds[0].value`).
    static func capValue(_ caps: [Reason], code: String) -> Int? {
        guard let value = caps.first(where: { $0.code.rawValue == code })?.thresholds.first?.value,
            value.isFinite, value >= 0, value == value.rounded()
        else { return nil }
        return Int(value)
    }

    /// The input events as references: literal for events that came from FHIR resources
    /// (`Observation/abc`), logical (identifier) for the others (`MSH-10#n`).
    static func supportingInformation(_ eventIds: [String]) -> [FHIRReference]? {
        guard !eventIds.isEmpty else { return nil }
        return eventIds.map { id in
            if isFHIRLiteralReference(id) { return FHIRReference(reference: id) }
            return FHIRReference(identifier: FHIRIdentifier(system: FHIRSystems.eventIdentifier, value: id))
        }
    }

    /// The subject: `Patient/<id>` when the patient id is a FHIR id, else a logical reference by
    /// identifier (`MRN 00123/45_ü` in a literal reference would make the resource invalid R4).
    static func patientReference(_ patientId: String) -> FHIRReference {
        if isFHIRId(patientId) { return FHIRReference(reference: "Patient/\(patientId)") }
        return FHIRReference(
            type: "Patient",
            identifier: FHIRIdentifier(system: FHIRSystems.patientIdentifier, value: patientId)
        )
    }

    /// FHIR's id syntax: `[A-Za-z0-9\-\.]{1,64}`.
    static func isFHIRId(_ id: some StringProtocol) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                    || b == 0x2E
            }
    }

    /// `Type/id` or `Type/id/_history/v` with FHIR's id syntax (`[A-Za-z0-9-.]{1,64}`).
    static func isFHIRLiteralReference(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || (parts.count == 4 && parts[2] == "_history") else { return false }
        guard let type = parts.first, let first = type.first, first.isUppercase,
            type.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        let ids = parts.count == 2 ? [parts[1]] : [parts[1], parts[3]]
        return ids.allSatisfy { isFHIRId($0) }
    }

    static func noProposalOutcome(for output: AnakinraRecommendationOutput) -> FHIROperationOutcome {
        let body = output.body.body
        let why: String =
            switch body.action {
            case .none: "no anakinra is recommended"
            case .hold: "anakinra is held"
            case .stop: "anakinra is stopped"
            case .start, .continue, .escalate, .taper: "no dose can be computed"
            }
        var coding = [FHIRCoding(system: FHIRSystems.recommendationReason, code: body.action.rawValue)]
        coding += (body.reasons.map(\.code.rawValue) + body.alerts.map(\.code.rawValue))
            .map { FHIRCoding(system: FHIRSystems.recommendationReason, code: $0) }
        return FHIROperationOutcome(
            extensions: [FHIRExtension(url: FHIRSystems.outputIdExtension, valueString: output.id)],
            issue: [
                FHIROperationOutcome.Issue(
                    severity: "information",
                    code: "informational",
                    details: FHIRCodeableConcept(
                        coding: uniqueCodings(coding),
                        text: "No anakinra MedicationRequest proposal for Patient/\(output.patientId): \(why) "
                            + "(action \(body.action.rawValue), protocol \(body.protocolId ?? "none")). "
                            + "Requires clinician verification."
                    ),
                    diagnostics: body.rationale.isEmpty ? nil : body.rationale.joined(separator: "\n")
                )
            ]
        )
    }

    private static func uniqueCodings(_ codings: [FHIRCoding]) -> [FHIRCoding] {
        var seen = Set<String>()
        return codings.filter { seen.insert($0.code ?? "").inserted }
    }

    /// A decimal without trailing zeros (`1.429`, `2`).
    static func formatDecimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
