package import Foundation
import ToxicityRules

/// Maps FHIR R4 JSON to contract events (Docs/HL7-FHIR.md lists every shape and code).
///
/// Accepts one resource or a Bundle of them: Observation (vital-signs and laboratory, LOINC-coded,
/// components included, e.g. blood pressure 85354-9 and pulse oximetry with flow/FiO2; ToxWatch
/// local codes for neuro assessments and the oxygen device), MedicationAdministration, Patient with
/// AllergyIntolerance. Other resources, codes and non-final statuses are skipped and counted; a
/// resource with an unknown unit or an impossible value is rejected on its own; a document that is
/// not FHIR JSON throws.
package enum FHIRAdapter {
    /// Decodes one FHIR JSON document (a resource or a Bundle).
    ///
    /// - Throws: ``EventDecodingError`` when the bytes are not a JSON object with `resourceType`.
    package static func decode(_ json: Data) throws(EventDecodingError) -> AdapterResult {
        try checkJSONKeysAreUnique(json)
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            throw EventDecodingError(decoding: error, json: json)
        }
        var mapper = try FHIRMapper(root: JSONNode(value: root, path: ""))
        return mapper.run()
    }
}

/// Maps the resources of one document (or one NDJSON group, ``FHIRBulkData``) to events.
struct FHIRMapper {
    /// Resources in document order, with the entry's fullUrl.
    let resources: [(node: JSONNode, fullUrl: String?)]
    let bundleTimestamp: Date?
    var result = AdapterResult()

    var slots: [Slot] = []
    var vitalsGroups: [(group: VitalsGroup, patientId: String, eventId: String)] = []
    var neuroGroups: [(group: NeuroGroup, eventId: String)] = []
    var bodyGroups: [(group: BodyGroup, patientId: String, eventId: String)] = []
    /// Where each (patient, time) group is in the arrays above: one lookup per observation.
    var groupIndex: [GroupKey: Int] = [:]
    /// Lookups by reference, built once, so that resolving a reference never scans the document.
    let resourceByFullUrl: [String: Int]
    let fullUrlByPath: [String: String]
    let medicationByReference: [String: Int]

    enum Slot {
        case vitals(Int)
        case neuro(Int)
        case body(Int)
        case event(ClinicalEvent)
    }

    struct GroupKey: Hashable {
        enum Kind: Hashable { case vitals, neuro, body }
        var kind: Kind
        var patientId: String
        var time: Date
    }

    init(root: JSONNode) throws(EventDecodingError) {
        guard case .object = root.value else {
            throw .wrongType(path: "", expected: "a FHIR resource (JSON object)", found: root.value.typeName)
        }
        guard let type = try root.string("resourceType") else { throw .missingField(path: "resourceType") }
        if type == "Bundle" {
            var resources: [(node: JSONNode, fullUrl: String?)] = []
            for entry in try root.array("entry") {
                guard let resource = try entry.object("resource") else { continue }
                resources.append((resource, try entry.string("fullUrl")))
            }
            self.init(resources: resources, bundleTimestamp: try Self.optionalTime(root, "timestamp"))
        } else {
            self.init(resources: [(root, nil)], bundleTimestamp: nil)
        }
    }

    /// A mapper over resources gathered from elsewhere (the lines of an NDJSON export).
    init(resources: [(node: JSONNode, fullUrl: String?)], bundleTimestamp: Date?) {
        self.resources = resources
        self.bundleTimestamp = bundleTimestamp
        var byFullUrl: [String: Int] = [:]
        var fullUrlByPath: [String: String] = [:]
        var medications: [String: Int] = [:]
        for (index, (node, fullUrl)) in resources.enumerated() {
            if let fullUrl {
                if byFullUrl[fullUrl] == nil { byFullUrl[fullUrl] = index }
                fullUrlByPath[node.path] = fullUrl
            }
            if (try? node.string("resourceType")) == "Medication" {
                if let fullUrl, medications[fullUrl] == nil { medications[fullUrl] = index }
                if let id = try? node.string("id"), medications["Medication/" + id] == nil {
                    medications["Medication/" + id] = index
                }
            } else if let fullUrl, medications[fullUrl] == nil {
                medications[fullUrl] = index
            }
        }
        resourceByFullUrl = byFullUrl
        self.fullUrlByPath = fullUrlByPath
        medicationByReference = medications
    }

    mutating func run() -> AdapterResult {
        var allergies: [String: [(code: String, node: JSONNode)]] = [:]
        let patientIds = Set(resources.compactMap { try? patientResourceId($0.node) })
        // Allergies of a Patient in the same document become part of its patient event.
        for (node, _) in resources where (try? node.string("resourceType")) == "AllergyIntolerance" {
            do throws(EventDecodingError) {
                guard let (patientId, code) = try allergy(node) else { continue }
                if patientIds.contains(patientId) {
                    allergies[patientId, default: []].append((code, node))
                } else {
                    let occurredAt = try time(of: node, fields: ["recordedDate", "onsetDateTime"])
                    slots.append(
                        .event(
                            .patient(
                                PatientEvent(
                                    eventId: try eventId(node),
                                    patientId: patientId,
                                    occurredAt: occurredAt,
                                    allergies: [code]
                                )
                            )
                        )
                    )
                }
            } catch {
                result.rejected.append(error)
            }
        }
        for (node, _) in resources {
            do throws(EventDecodingError) {
                switch try node.string("resourceType") {
                case "Observation": try observation(node)
                case "MedicationAdministration": try administration(node)
                case "Patient": try patient(node, allergies: allergies)
                case "AllergyIntolerance", "Medication": break
                case let other:
                    result.skip(
                        node.path.isEmpty ? "resource" : node.path,
                        "resource type \(other ?? "(none)") is not mapped"
                    )
                }
            } catch {
                result.rejected.append(error)
            }
        }
        assemble()
        return result
    }

    // MARK: Identity and time

    /// `Observation/abc`, with `/_history/<versionId>` when versioned (an amended resource keeps
    /// its id, so the version tells the engine it is a new event).
    func eventId(_ node: JSONNode) throws(EventDecodingError) -> String {
        let type = try node.string("resourceType") ?? "Resource"
        let eventId: String
        if let id = try node.string("id") {
            if let version = try node.object("meta")?.string("versionId") {
                eventId = "\(type)/\(id)/_history/\(version)"
            } else {
                eventId = "\(type)/\(id)"
            }
        } else if let fullUrl = fullUrlByPath[node.path] {
            eventId = fullUrl
        } else {
            throw .missingField(path: node.path("id"))
        }
        try InputIdentifier.check(eventId, path: node.path("id"))
        return eventId
    }

    func patientResourceId(_ node: JSONNode) throws(EventDecodingError) -> String? {
        guard try node.string("resourceType") == "Patient" else { return nil }
        return try node.string("id")
    }

    /// The patient a `subject`/`patient` reference names: `Patient/123` → 123, a bundle-local
    /// `urn:uuid:` reference resolved through the entry's Patient, or `identifier.value`.
    func patientId(_ node: JSONNode, field: String) throws(EventDecodingError) -> String {
        guard let reference = try node.object(field) else { throw .missingField(path: node.path(field)) }
        let id = try referencedPatientId(reference)
        try InputIdentifier.check(id, path: reference.path)
        return id
    }

    private func referencedPatientId(_ reference: JSONNode) throws(EventDecodingError) -> String {
        if let text = try reference.string("reference") {
            if let index = resourceByFullUrl[text], let id = try patientResourceId(resources[index].node) {
                return id
            }
            let parts = text.split(separator: "/")
            if parts.count >= 2, parts[parts.count - 2] == "Patient" { return String(parts[parts.count - 1]) }
            if text.hasPrefix("urn:uuid:") { return String(text.dropFirst("urn:uuid:".count)) }
            throw .invalidValue(
                path: reference.path("reference"),
                value: text,
                problem: "is not a reference to a Patient"
            )
        }
        if let value = try reference.object("identifier")?.string("value") { return value }
        throw .missingField(path: reference.path("reference"))
    }

    static func optionalTime(_ node: JSONNode, _ key: String) throws(EventDecodingError) -> Date? {
        guard let text = try node.string(key) else { return nil }
        switch ISO8601Timestamp.parse(text) {
        case .success(let date): return date
        case .failure(let problem):
            throw .invalidTimestamp(path: node.path(key), value: text, problem: problem.description)
        }
    }

    /// The first of `fields` present, else `meta.lastUpdated`, else the Bundle's timestamp.
    func time(of node: JSONNode, fields: [String]) throws(EventDecodingError) -> Date {
        for field in fields {
            if let date = try Self.optionalTime(node, field) { return date }
        }
        if let meta = try node.object("meta"), let date = try Self.optionalTime(meta, "lastUpdated") { return date }
        if let bundleTimestamp { return bundleTimestamp }
        throw .missingField(
            path: node.path(fields.first ?? "meta.lastUpdated") + " (or meta.lastUpdated, Bundle.timestamp)"
        )
    }

    /// effectiveDateTime, effectiveInstant or effectivePeriod.start.
    func effectiveTime(_ node: JSONNode) throws(EventDecodingError) -> Date {
        if let date = try Self.optionalTime(node, "effectiveDateTime") { return date }
        if let date = try Self.optionalTime(node, "effectiveInstant") { return date }
        if let period = try node.object("effectivePeriod"), let date = try Self.optionalTime(period, "start") {
            return date
        }
        throw .missingField(path: node.path("effective[x]"))
    }

    // MARK: Codes

    struct Coding {
        var system: String?
        var code: String?
        var display: String?
    }

    func codings(_ concept: JSONNode?) throws(EventDecodingError) -> [Coding] {
        guard let concept else { return [] }
        return try concept.array("coding").map { c throws(EventDecodingError) in
            Coding(system: try c.string("system"), code: try c.string("code"), display: try c.string("display"))
        }
    }

    func kind(of concept: JSONNode?) throws(EventDecodingError) -> (ObservationKind, loinc: String?)? {
        for coding in try codings(concept) {
            guard let code = coding.code else { continue }
            if coding.system == "http://loinc.org", let kind = ObservationCodes.loinc[code] { return (kind, code) }
            if coding.system == ObservationCodes.localFHIRSystem, let kind = ObservationCodes.local[code] {
                return (kind, nil)
            }
        }
        return nil
    }

    // MARK: Observation

    mutating func observation(_ node: JSONNode) throws(EventDecodingError) {
        let status = try node.string("status") ?? "(none)"
        guard ["final", "amended", "corrected"].contains(status) else {
            result.skip(
                node.path("status"),
                "status \(status) is not final (only final, amended and corrected are used)"
            )
            return
        }
        let topKind = try kind(of: node.object("code"))
        let components = try node.array("component")
        var mapped: [(kind: ObservationKind, loinc: String?, valueNode: JSONNode)] = []
        if let (kind, loinc) = topKind, kind != .bloodPressurePanel { mapped.append((kind, loinc, node)) }
        for component in components {
            if let (kind, loinc) = try kind(of: component.object("code")), kind != .bloodPressurePanel {
                mapped.append((kind, loinc, component))
            } else {
                result.skip(component.path("code"), "component code is not mapped")
            }
        }
        guard !mapped.isEmpty else {
            let code =
                try codings(node.object("code")).first.map { "\($0.code ?? "") (\($0.system ?? "no system"))" }
                ?? "(none)"
            result.skip(node.path("code"), "code \(code) is not mapped")
            return
        }
        let eventId = try eventId(node)
        let patientId = try patientId(node, field: "subject")
        let occurredAt = try effectiveTime(node)
        for (kind, loinc, valueNode) in mapped {
            if valueNode.has("dataAbsentReason") {
                result.skip(valueNode.path("dataAbsentReason"), "value absent")
                continue
            }
            switch kind {
            case .vital(let field):
                let index = vitalsGroupIndex(patientId: patientId, at: occurredAt, eventId: eventId)
                if field == .oxygenDevice {
                    let (texts, path) = try codeTexts(valueNode)
                    guard let device = texts.lazy.compactMap(ObservationCodes.oxygenDevice(named:)).first else {
                        throw .unknownValue(
                            path: path,
                            value: texts.first ?? "",
                            allowed: OxygenDevice.allCases.map(\.rawValue)
                        )
                    }
                    try vitalsGroups[index].group.setDevice(device, at: path)
                } else if let quantity = field.quantity {
                    let (value, path) = try self.quantity(valueNode, quantity, range: field.range)
                    try vitalsGroups[index].group.set(field, value, at: path)
                }
            case .body(let measure):
                let (value, path) = try quantity(valueNode, measure.quantity, range: measure.range)
                let index = bodyGroupIndex(patientId: patientId, at: occurredAt, eventId: eventId)
                try bodyGroups[index].group.set(measure, value, at: path)
            case .lab(let test):
                try lab(valueNode, test: test, loinc: loinc, eventId: eventId, patientId: patientId, at: occurredAt)
            case .neuro(let field):
                let index = neuroGroupIndex(patientId: patientId, at: occurredAt, eventId: eventId)
                let (value, path) = try neuroValue(valueNode)
                var event = neuroGroups[index].group.event
                try event.apply(field, value, at: path)
                try neuroGroups[index].group.replace(with: event, field: field, at: path)
            case .bloodPressurePanel:
                break
            }
        }
    }

    /// valueQuantity converted into the quantity's unit and checked against `range`.
    func quantity(_ node: JSONNode, _ quantity: VitalQuantity, range: PlausibleRange) throws(EventDecodingError) -> (
        Double, String
    ) {
        let (raw, conversion, path) = try quantityValue(node, accepted: quantity.acceptedSpellings) {
            quantity.conversion(for: $0)
        }
        let value = conversion.apply(raw, decimals: quantity.decimals)
        guard range.contains(value) else { throw .outOfRange(path: path, value: value, range: range) }
        return (value, path)
    }

    /// The number and unit conversion of `valueQuantity` (unit by UCUM `code`, else `unit`).
    func quantityValue(
        _ node: JSONNode,
        accepted: [String],
        lookup: (String) -> UnitConversion?
    ) throws(EventDecodingError) -> (Double, UnitConversion, String) {
        guard let q = try node.object("valueQuantity") else {
            if node.has("valueInteger") || node.has("valueString") || node.has("valueCodeableConcept") {
                throw .wrongType(path: node.path("value[x]"), expected: "valueQuantity", found: "another value type")
            }
            throw .missingField(path: node.path("valueQuantity"))
        }
        if let comparator = try q.string("comparator") {
            throw .invalidValue(
                path: q.path("comparator"),
                value: comparator,
                problem: "is a bound, not a value (not representable)"
            )
        }
        guard let value = try q.number("value") else { throw .missingField(path: q.path("value")) }
        let code = try q.string("code")
        let unit = try q.string("unit")
        for candidate in [code, unit].compactMap({ $0 }) {
            if let conversion = lookup(candidate) { return (value, conversion, q.path("value")) }
        }
        if code == nil, unit == nil, let conversion = lookup("") { return (value, conversion, q.path("value")) }
        throw .unknownUnit(path: q.path("code"), unit: code ?? unit ?? "", allowed: accepted.filter { !$0.isEmpty })
    }

    /// valueCodeableConcept codes (then its text), or valueString.
    func codeTexts(_ node: JSONNode) throws(EventDecodingError) -> ([String], String) {
        if let concept = try node.object("valueCodeableConcept") {
            var texts = try codings(concept).flatMap { [$0.code, $0.display].compactMap { $0 } }
            if let text = try concept.string("text") { texts.append(text) }
            guard !texts.isEmpty else { throw .missingField(path: concept.path("coding")) }
            return (texts, concept.path)
        }
        if let text = try node.string("valueString") { return ([text], node.path("valueString")) }
        throw .missingField(path: node.path("valueCodeableConcept"))
    }

    func neuroValue(_ node: JSONNode) throws(EventDecodingError) -> (NeuroValue, String) {
        if let number = try node.number("valueInteger") { return (.number(number), node.path("valueInteger")) }
        if let q = try node.object("valueQuantity"), let number = try q.number("value") {
            return (.number(number), q.path("value"))
        }
        if let flag = try node.bool("valueBoolean") { return (.bool(flag), node.path("valueBoolean")) }
        if let concept = try node.object("valueCodeableConcept") {
            // Only the codes: displays ("Awakens to voice") are not the contract's values.
            let codes = try codings(concept).compactMap(\.code)
            return (.codes(codes.isEmpty ? [try concept.string("text")].compactMap { $0 } : codes), concept.path)
        }
        let (texts, path) = try codeTexts(node)
        return (.codes(texts), path)
    }

    mutating func lab(
        _ node: JSONNode,
        test: LabTest,
        loinc: String?,
        eventId: String,
        patientId: String,
        at date: Date
    ) throws(EventDecodingError) {
        let accepted = LabUnits.accepted(for: test).flatMap { $0.json + $0.aliases }
        let (raw, conversion, path) = try quantityValue(node, accepted: accepted) {
            LabUnits.lenientConversion(for: test, unit: $0)
        }
        let value = conversion.apply(raw, decimals: LabUnits.decimals)
        guard PlausibleRange.lab(test).contains(value) else {
            throw .outOfRange(path: path, value: value, range: .lab(test))
        }
        var upper: Double?
        if let range = try node.array("referenceRange").first, let high = try range.object("high"),
            let number = try high.number("value")
        {
            let unit = try high.firstString("code", "unit") ?? ""
            if let highConversion = LabUnits.lenientConversion(for: test, unit: unit),
                PlausibleRange.lab(test).contains(highConversion.apply(number, decimals: LabUnits.decimals))
            {
                upper = highConversion.apply(number, decimals: LabUnits.decimals)
            } else {
                result.skip(high.path, "reference range high \(formatNumber(number)) \(unit) cannot be read")
            }
        }
        slots.append(
            .event(
                .lab(
                    LabEvent(
                        eventId: eventId,
                        patientId: patientId,
                        occurredAt: date,
                        test: test,
                        loinc: loinc,
                        value: value,
                        upperLimitOfNormal: upper
                    )
                )
            )
        )
    }

    mutating func vitalsGroupIndex(patientId: String, at date: Date, eventId: String) -> Int {
        let key = GroupKey(kind: .vitals, patientId: patientId, time: date)
        if let index = groupIndex[key] { return index }
        groupIndex[key] = vitalsGroups.count
        vitalsGroups.append((VitalsGroup(group: patientId, occurredAt: date), patientId, eventId))
        slots.append(.vitals(vitalsGroups.count - 1))
        return vitalsGroups.count - 1
    }

    mutating func neuroGroupIndex(patientId: String, at date: Date, eventId: String) -> Int {
        let key = GroupKey(kind: .neuro, patientId: patientId, time: date)
        if let index = groupIndex[key] { return index }
        groupIndex[key] = neuroGroups.count
        neuroGroups.append(
            (
                NeuroGroup(
                    group: patientId,
                    event: NeuroEvent(eventId: eventId, patientId: patientId, occurredAt: date)
                ), eventId
            )
        )
        slots.append(.neuro(neuroGroups.count - 1))
        return neuroGroups.count - 1
    }

    mutating func bodyGroupIndex(patientId: String, at date: Date, eventId: String) -> Int {
        let key = GroupKey(kind: .body, patientId: patientId, time: date)
        if let index = groupIndex[key] { return index }
        groupIndex[key] = bodyGroups.count
        bodyGroups.append((BodyGroup(group: patientId, occurredAt: date), patientId, eventId))
        slots.append(.body(bodyGroups.count - 1))
        return bodyGroups.count - 1
    }

    // MARK: Assembly

    mutating func assemble() {
        for slot in slots {
            switch slot {
            case .event(let event):
                result.events.append(EventEnvelope(event, source: source(event)))
            case .vitals(let index):
                let entry = vitalsGroups[index]
                let (event, rejected) = entry.group.event(patientId: entry.patientId)
                if var event {
                    event.eventId = entry.eventId
                    result.events.append(
                        EventEnvelope(.vitals(event), source: EventSource(system: "fhir", messageType: "Observation"))
                    )
                }
                result.rejected += rejected
            case .neuro(let index):
                // A group whose every observation was rejected yields nothing.
                guard neuroGroups[index].group.event.hasAssessment else { continue }
                result.events.append(
                    EventEnvelope(
                        .neuro(neuroGroups[index].group.event),
                        source: EventSource(system: "fhir", messageType: "Observation")
                    )
                )
            case .body(let index):
                let entry = bodyGroups[index]
                guard entry.group.weightKg != nil || entry.group.heightCm != nil else { continue }
                let event = PatientEvent(
                    eventId: entry.eventId,
                    patientId: entry.patientId,
                    occurredAt: entry.group.occurredAt,
                    weightKg: entry.group.weightKg,
                    heightCm: entry.group.heightCm
                )
                result.events.append(
                    EventEnvelope(.patient(event), source: EventSource(system: "fhir", messageType: "Observation"))
                )
            }
        }
    }

    func source(_ event: ClinicalEvent) -> EventSource {
        let type = event.eventId.split(separator: "/").first.map(String.init) ?? "Resource"
        return EventSource(system: "fhir", messageType: type)
    }
}
