import Foundation

/// FHIR Bulk Data (`$export`) NDJSON: one resource per line, Observations, MedicationAdministrations,
/// Medications and Patients on separate lines, references crossing lines (an Observation's
/// `subject` names a Patient line, a MedicationAdministration's `medicationReference` a Medication
/// line, an AllergyIntolerance belongs to its Patient's line).
///
/// Decoding each line as a document of its own would lose those references, so the lines are
/// gathered into one bundle per patient (the Patient line and every line whose `subject` or
/// `patient` names it), each with the Medication lines, and mapped like a Bundle. Lines without a
/// patient (other than Medications) form one more group. Resource paths name the line:
/// `line[7].valueQuantity.value`.
package enum FHIRBulkData {
    /// The outcome of an NDJSON input: one result per patient group, with the 1-based number of the
    /// group's first line, and the lines that are not FHIR JSON resources.
    package struct Outcome: Sendable {
        package var groups: [(firstLine: Int, result: AdapterResult)] = []
        package var failed: [(line: Int, error: EventDecodingError)] = []
    }

    /// Decodes NDJSON lines, each given with its 1-based line number.
    package static func decode(lines: [(number: Int, bytes: ArraySlice<UInt8>)]) -> Outcome {
        var outcome = Outcome()
        var medications: [(node: JSONNode, fullUrl: String?)] = []
        var groups: [String: [(node: JSONNode, fullUrl: String?)]] = [:]
        var firstLine: [String: Int] = [:]
        let unattached = "\u{0}no patient"
        for (number, bytes) in lines {
            let node: JSONNode
            do throws(EventDecodingError) {
                node = try resource(Data(bytes), line: number)
            } catch {
                outcome.failed.append((number, error))
                continue
            }
            if (try? node.string("resourceType")) == "Medication" {
                medications.append((node, nil))
                continue
            }
            let key = patientKey(node) ?? unattached
            groups[key, default: []].append((node, nil))
            if firstLine[key] == nil { firstLine[key] = number }
        }
        for key in firstLine.keys.sorted(by: { firstLine[$0, default: 0] < firstLine[$1, default: 0] }) {
            var mapper = FHIRMapper(resources: medications + (groups[key] ?? []), bundleTimestamp: nil)
            outcome.groups.append((firstLine[key, default: 0], mapper.run()))
        }
        return outcome
    }

    /// Decodes one input that is a FHIR document (a resource or a Bundle, however it is laid over
    /// lines) or, when it holds several lines and is not one document, NDJSON lines: the patient
    /// groups' events, skipped and rejected notes merged, and every line that is not a FHIR resource
    /// among the rejected (its path names the line). One Kafka record of `toxd ingest` is one input.
    ///
    /// - Throws: ``EventDecodingError`` when the input is one document that is not FHIR JSON.
    package static func decodeDocumentOrLines(_ bytes: [UInt8]) throws(EventDecodingError) -> AdapterResult {
        guard InputDecoder.jsonDocuments(bytes).count > 1 else { return try FHIRAdapter.decode(Data(bytes)) }
        let outcome = decode(lines: InputDecoder.numberedLines(bytes))
        var result = AdapterResult()
        for (_, group) in outcome.groups {
            result.events += group.events
            result.skipped += group.skipped
            result.rejected += group.rejected
        }
        result.rejected += outcome.failed.map(\.error)
        return result
    }

    /// One line: a JSON object with `resourceType`, its path `line[n]`.
    private static func resource(_ json: Data, line: Int) throws(EventDecodingError) -> JSONNode {
        try checkJSONKeysAreUnique(json)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            // A line that is not JSON at all is named by its number.
            switch EventDecodingError(decoding: error, json: json) {
            case .malformedJSON("", let problem): throw .malformedJSON(path: "line[\(line)]", problem: problem)
            case let other: throw other
            }
        }
        guard case .object = value else {
            throw .wrongType(path: "line[\(line)]", expected: "a FHIR resource (JSON object)", found: value.typeName)
        }
        let node = JSONNode(value: value, path: "line[\(line)]")
        guard try node.string("resourceType") != nil else { throw .missingField(path: node.path("resourceType")) }
        return node
    }

    /// The patient a line belongs to: `Patient/<id>` for a Patient, else the Patient its `subject`
    /// or `patient` refers to (by reference or identifier); `nil` for none.
    private static func patientKey(_ node: JSONNode) -> String? {
        if (try? node.string("resourceType")) == "Patient" {
            return (try? node.string("id")).map { "Patient/" + $0 }
        }
        for field in ["subject", "patient"] {
            guard let reference = try? node.object(field) else { continue }
            if let text = try? reference.string("reference") {
                let parts = text.split(separator: "/")
                if parts.count >= 2, parts[parts.count - 2] == "Patient" { return "Patient/" + parts[parts.count - 1] }
                return text
            }
            if let value = try? reference.object("identifier")?.string("value") { return "identifier:" + value }
        }
        return nil
    }
}
