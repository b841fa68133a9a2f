// The few FHIR R4 data types and resources ToxWatch writes (the anakinra MedicationRequest proposal
// and the OperationOutcome that stands for "no proposal"). Optional elements are omitted when nil,
// never written as null or empty (FHIR forbids empty elements). Encodable and Decodable, so that
// tests and consumers can read them back.

/// FHIR R4 `Coding`.
package struct FHIRCoding: Codable, Sendable, Hashable {
    package var extensions: [FHIRExtension]?
    package var system: String?
    package var code: String?
    package var display: String?

    package init(system: String?, code: String?, display: String? = nil, extensions: [FHIRExtension]? = nil) {
        self.system = system
        self.code = code
        self.display = display
        self.extensions = extensions
    }

    private enum CodingKeys: String, CodingKey {
        case extensions = "extension"
        case system, code, display
    }
}

/// FHIR R4 `CodeableConcept`.
package struct FHIRCodeableConcept: Codable, Sendable, Hashable {
    package var coding: [FHIRCoding]?
    package var text: String?

    package init(coding: [FHIRCoding]? = nil, text: String? = nil) {
        self.coding = coding
        self.text = text
    }
}

/// FHIR R4 `Identifier` (system + value only).
package struct FHIRIdentifier: Codable, Sendable, Hashable {
    package var system: String
    package var value: String

    package init(system: String, value: String) {
        self.system = system
        self.value = value
    }
}

/// FHIR R4 `Reference`: a literal reference, a logical one (identifier), or a display only.
package struct FHIRReference: Codable, Sendable, Hashable {
    package var reference: String?
    package var type: String?
    package var identifier: FHIRIdentifier?
    package var display: String?

    package init(
        reference: String? = nil,
        type: String? = nil,
        identifier: FHIRIdentifier? = nil,
        display: String? = nil
    ) {
        self.reference = reference
        self.type = type
        self.identifier = identifier
        self.display = display
    }
}

/// FHIR R4 `Extension` with the value types ToxWatch uses.
package struct FHIRExtension: Codable, Sendable, Hashable {
    package var url: String
    package var valueString: String?
    package var valueCode: String?

    package init(url: String, valueString: String? = nil, valueCode: String? = nil) {
        self.url = url
        self.valueString = valueString
        self.valueCode = valueCode
    }
}

/// FHIR R4 `Quantity` (a UCUM quantity when `system` is `http://unitsofmeasure.org`).
package struct FHIRQuantity: Codable, Sendable, Hashable {
    package var value: Double
    package var unit: String?
    package var system: String?
    package var code: String?

    package init(value: Double, unit: String?, system: String?, code: String?) {
        self.value = value
        self.unit = unit
        self.system = system
        self.code = code
    }

    /// A UCUM quantity.
    package static func ucum(_ value: Double, _ code: String, unit: String? = nil) -> FHIRQuantity {
        FHIRQuantity(value: value, unit: unit ?? code, system: FHIRSystems.ucum, code: code)
    }
}

/// FHIR R4 `Ratio`.
package struct FHIRRatio: Codable, Sendable, Hashable {
    package var numerator: FHIRQuantity
    package var denominator: FHIRQuantity

    package init(numerator: FHIRQuantity, denominator: FHIRQuantity) {
        self.numerator = numerator
        self.denominator = denominator
    }
}

/// FHIR R4 `Annotation` (text only).
package struct FHIRAnnotation: Codable, Sendable, Hashable {
    package var text: String

    package init(text: String) { self.text = text }
}

/// FHIR R4 `Timing` with its `repeat` element (frequency per period).
package struct FHIRTiming: Codable, Sendable, Hashable {
    package struct Repeat: Codable, Sendable, Hashable {
        package var frequency: Int
        package var period: Double
        /// `s`, `min`, `h`, `d`, `wk`, `mo`, `a` (UCUM units of time).
        package var periodUnit: String

        package init(frequency: Int, period: Double, periodUnit: String) {
            self.frequency = frequency
            self.period = period
            self.periodUnit = periodUnit
        }
    }

    package var repeatElement: Repeat?
    package var code: FHIRCodeableConcept?

    package init(repeatElement: Repeat?, code: FHIRCodeableConcept?) {
        self.repeatElement = repeatElement
        self.code = code
    }

    private enum CodingKeys: String, CodingKey {
        case repeatElement = "repeat"
        case code
    }
}

/// FHIR R4 `Dosage`.
package struct FHIRDosage: Codable, Sendable, Hashable {
    /// FHIR R4 `Dosage.doseAndRate`.
    package struct DoseAndRate: Codable, Sendable, Hashable {
        package var type: FHIRCodeableConcept?
        package var doseQuantity: FHIRQuantity?

        package init(type: FHIRCodeableConcept?, doseQuantity: FHIRQuantity?) {
            self.type = type
            self.doseQuantity = doseQuantity
        }
    }

    package var sequence: Int?
    package var text: String?
    package var timing: FHIRTiming?
    package var route: FHIRCodeableConcept?
    package var doseAndRate: [DoseAndRate]?
    package var maxDosePerPeriod: FHIRRatio?
    package var maxDosePerAdministration: FHIRQuantity?

    package init(
        sequence: Int? = nil,
        text: String? = nil,
        timing: FHIRTiming? = nil,
        route: FHIRCodeableConcept? = nil,
        doseAndRate: [DoseAndRate]? = nil,
        maxDosePerPeriod: FHIRRatio? = nil,
        maxDosePerAdministration: FHIRQuantity? = nil
    ) {
        self.sequence = sequence
        self.text = text
        self.timing = timing
        self.route = route
        self.doseAndRate = doseAndRate
        self.maxDosePerPeriod = maxDosePerPeriod
        self.maxDosePerAdministration = maxDosePerAdministration
    }
}

/// FHIR R4 `MedicationRequest`, the elements ToxWatch fills.
package struct FHIRMedicationRequest: Codable, Sendable, Hashable {
    package static let resourceType = "MedicationRequest"

    package var extensions: [FHIRExtension]?
    package var identifier: [FHIRIdentifier]?
    /// `draft` for a proposal nobody has acted on.
    package var status: String
    /// `proposal`: decision support, not an order.
    package var intent: String
    package var category: [FHIRCodeableConcept]?
    package var medicationCodeableConcept: FHIRCodeableConcept
    package var subject: FHIRReference
    package var supportingInformation: [FHIRReference]?
    /// FHIR `dateTime`.
    package var authoredOn: String?
    package var requester: FHIRReference?
    package var reasonCode: [FHIRCodeableConcept]?
    package var courseOfTherapyType: FHIRCodeableConcept?
    package var note: [FHIRAnnotation]?
    package var dosageInstruction: [FHIRDosage]?

    package init(
        extensions: [FHIRExtension]?,
        identifier: [FHIRIdentifier]?,
        status: String,
        intent: String,
        category: [FHIRCodeableConcept]?,
        medicationCodeableConcept: FHIRCodeableConcept,
        subject: FHIRReference,
        supportingInformation: [FHIRReference]?,
        authoredOn: String?,
        requester: FHIRReference?,
        reasonCode: [FHIRCodeableConcept]?,
        courseOfTherapyType: FHIRCodeableConcept?,
        note: [FHIRAnnotation]?,
        dosageInstruction: [FHIRDosage]?
    ) {
        self.extensions = extensions
        self.identifier = identifier
        self.status = status
        self.intent = intent
        self.category = category
        self.medicationCodeableConcept = medicationCodeableConcept
        self.subject = subject
        self.supportingInformation = supportingInformation
        self.authoredOn = authoredOn
        self.requester = requester
        self.reasonCode = reasonCode
        self.courseOfTherapyType = courseOfTherapyType
        self.note = note
        self.dosageInstruction = dosageInstruction
    }

    private enum CodingKeys: String, CodingKey {
        case resourceType
        case extensions = "extension"
        case identifier, status, intent, category, medicationCodeableConcept, subject, supportingInformation
        case authoredOn, requester, reasonCode, courseOfTherapyType, note, dosageInstruction
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .resourceType)
        guard type == Self.resourceType else {
            throw DecodingError.dataCorruptedError(
                forKey: .resourceType,
                in: c,
                debugDescription: "expected \(Self.resourceType), found \(type)"
            )
        }
        extensions = try c.decodeIfPresent([FHIRExtension].self, forKey: .extensions)
        identifier = try c.decodeIfPresent([FHIRIdentifier].self, forKey: .identifier)
        status = try c.decode(String.self, forKey: .status)
        intent = try c.decode(String.self, forKey: .intent)
        category = try c.decodeIfPresent([FHIRCodeableConcept].self, forKey: .category)
        medicationCodeableConcept = try c.decode(FHIRCodeableConcept.self, forKey: .medicationCodeableConcept)
        subject = try c.decode(FHIRReference.self, forKey: .subject)
        supportingInformation = try c.decodeIfPresent([FHIRReference].self, forKey: .supportingInformation)
        authoredOn = try c.decodeIfPresent(String.self, forKey: .authoredOn)
        requester = try c.decodeIfPresent(FHIRReference.self, forKey: .requester)
        reasonCode = try c.decodeIfPresent([FHIRCodeableConcept].self, forKey: .reasonCode)
        courseOfTherapyType = try c.decodeIfPresent(FHIRCodeableConcept.self, forKey: .courseOfTherapyType)
        note = try c.decodeIfPresent([FHIRAnnotation].self, forKey: .note)
        dosageInstruction = try c.decodeIfPresent([FHIRDosage].self, forKey: .dosageInstruction)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.resourceType, forKey: .resourceType)
        try c.encodeIfPresent(extensions, forKey: .extensions)
        try c.encodeIfPresent(identifier, forKey: .identifier)
        try c.encode(status, forKey: .status)
        try c.encode(intent, forKey: .intent)
        try c.encodeIfPresent(category, forKey: .category)
        try c.encode(medicationCodeableConcept, forKey: .medicationCodeableConcept)
        try c.encode(subject, forKey: .subject)
        try c.encodeIfPresent(supportingInformation, forKey: .supportingInformation)
        try c.encodeIfPresent(authoredOn, forKey: .authoredOn)
        try c.encodeIfPresent(requester, forKey: .requester)
        try c.encodeIfPresent(reasonCode, forKey: .reasonCode)
        try c.encodeIfPresent(courseOfTherapyType, forKey: .courseOfTherapyType)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encodeIfPresent(dosageInstruction, forKey: .dosageInstruction)
    }
}

/// FHIR R4 `OperationOutcome`: here, an informational answer saying why there is no proposal.
package struct FHIROperationOutcome: Codable, Sendable, Hashable {
    package static let resourceType = "OperationOutcome"

    /// FHIR R4 `OperationOutcome.issue`.
    package struct Issue: Codable, Sendable, Hashable {
        /// `fatal`, `error`, `warning`, `information`.
        package var severity: String
        /// An IssueType code (`informational`, `not-found` …).
        package var code: String
        package var details: FHIRCodeableConcept?
        package var diagnostics: String?

        package init(severity: String, code: String, details: FHIRCodeableConcept?, diagnostics: String? = nil) {
            self.severity = severity
            self.code = code
            self.details = details
            self.diagnostics = diagnostics
        }
    }

    package var extensions: [FHIRExtension]?
    package var issue: [Issue]

    package init(extensions: [FHIRExtension]?, issue: [Issue]) {
        self.extensions = extensions
        self.issue = issue
    }

    private enum CodingKeys: String, CodingKey {
        case resourceType
        case extensions = "extension"
        case issue
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .resourceType)
        guard type == Self.resourceType else {
            throw DecodingError.dataCorruptedError(
                forKey: .resourceType,
                in: c,
                debugDescription: "expected \(Self.resourceType), found \(type)"
            )
        }
        extensions = try c.decodeIfPresent([FHIRExtension].self, forKey: .extensions)
        issue = try c.decode([Issue].self, forKey: .issue)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.resourceType, forKey: .resourceType)
        try c.encodeIfPresent(extensions, forKey: .extensions)
        try c.encode(issue, forKey: .issue)
    }
}

/// Code systems and URLs used in ToxWatch's FHIR output.
package enum FHIRSystems {
    package static let ucum = "http://unitsofmeasure.org"
    package static let rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    package static let snomed = "http://snomed.info/sct"
    /// HL7 v2 table 0162 (route of administration).
    package static let v2Route = "http://terminology.hl7.org/CodeSystem/v2-0162"
    package static let doseRateType = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
    package static let medicationRequestCategory = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
    package static let courseOfTherapy = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
    /// ToxWatch's reason and action codes (`refractory-grade-rose`, `none` …).
    package static let recommendationReason = "https://toxwatch.example/fhir/CodeSystem/recommendation-reason"
    /// The id of the ToxWatch output a resource was made from (`Identifier.system`).
    package static let outputIdentifier = "https://toxwatch.example/fhir/NamingSystem/output-id"
    /// The id of a ToxWatch input event (`MSH-10#n`, `Observation/abc` …).
    package static let eventIdentifier = "https://toxwatch.example/fhir/NamingSystem/event-id"
    /// Patient ids as ToxWatch received them (PID-3, FHIR Patient ids), for subjects that are not FHIR ids.
    package static let patientIdentifier = "https://toxwatch.example/fhir/NamingSystem/patient-id"
    /// Extension carrying the ToxWatch output id (valueString).
    package static let outputIdExtension = "https://toxwatch.example/fhir/StructureDefinition/output-id"
    /// Extension on a Coding: the verification status of the code (clinical-spec V/C/U/IMPL, valueCode).
    package static let codeVerificationExtension =
        "https://toxwatch.example/fhir/StructureDefinition/code-verification-status"
}
