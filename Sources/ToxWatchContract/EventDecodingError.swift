/// Why an input could not become an event: the closed set of decoding failures of the event
/// contract (JSON), the HL7 v2 adapter and the FHIR R4 adapter.
///
/// Every case names the field (a JSON path such as `events[3].temperatureC`, an HL7 position such
/// as `OBX-6 (segment 5)`, or a FHIR path such as `entry[2].resource.valueQuantity`) and what is
/// allowed. The offending value is kept in the case for callers that hold the input anyway, but
/// ``description`` (the sentence for people and dead-letter records) never quotes it: it gives the
/// value only as its length and digest (``ValueDigest``), so no patient data and no terminal escape
/// reaches a dead letter, a listing or a log through an error. ``reason`` and ``field`` are stable.
package enum EventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not JSON, or not a JSON object where one is required.
    case malformedJSON(path: String, problem: String)
    /// A required field is absent (or `null`).
    case missingField(path: String)
    /// None of a set of fields is present where at least one is required (a vitals event
    /// without any measurement: most likely a misspelled field name).
    case missingOneOf(path: String, fields: [String])
    /// A field has the wrong JSON type.
    case wrongType(path: String, expected: String, found: String)
    /// A code or enumeration value outside its closed set.
    case unknownValue(path: String, value: String, allowed: [String])
    /// A unit that is neither the field's unit nor one convertible to it.
    case unknownUnit(path: String, unit: String, allowed: [String])
    /// A number outside its physiologically possible (or contractual) range.
    case outOfRange(path: String, value: Double, range: PlausibleRange)
    /// A timestamp that is not ISO-8601 / HL7 DTM, or that has no UTC offset.
    case invalidTimestamp(path: String, value: String, problem: String)
    /// Any other invalid value (empty identifier, mismatched patient, inconsistent codes …).
    case invalidValue(path: String, value: String, problem: String)
    /// An HL7 v2 message that cannot be parsed; `segment` is the 1-based segment position.
    case malformedHL7(segment: Int, segmentID: String, field: Int?, problem: String)

    /// A stable, lower-case reason code (`out-of-range`, `unknown-unit` …) for dead-letter
    /// records, metrics labels and logs.
    package var reason: DeadLetterReason {
        switch self {
        case .malformedJSON: .malformedJSON
        case .missingField, .missingOneOf: .missingField
        case .wrongType: .wrongType
        case .unknownValue: .unknownValue
        case .unknownUnit: .unknownUnit
        case .outOfRange: .outOfRange
        case .invalidTimestamp: .invalidTimestamp
        case .invalidValue: .invalidValue
        case .malformedHL7: .malformedHL7
        }
    }

    /// The field the error is about, when there is one (safe to log: it is a path, not a value).
    package var field: String? {
        switch self {
        case .malformedJSON(let path, _): path.isEmpty ? nil : path
        case .missingField(let path), .missingOneOf(let path, _), .wrongType(let path, _, _),
            .unknownValue(let path, _, _),
            .unknownUnit(let path, _, _), .outOfRange(let path, _, _), .invalidTimestamp(let path, _, _),
            .invalidValue(let path, _, _):
            path.isEmpty ? nil : path
        case .malformedHL7(let segment, let segmentID, let field, _):
            HL7Location(segment: segment, segmentID: segmentID, field: field).description
        }
    }

    package var description: String {
        switch self {
        case .malformedJSON(let path, let problem):
            path.isEmpty ? "malformed JSON: \(problem)" : "\(path): malformed JSON: \(problem)"
        case .missingField(let path):
            "\(path): required field is missing"
        case .missingOneOf(let path, let fields):
            "\(path.isEmpty ? "event" : path): at least one of \(fields.joined(separator: ", ")) is required"
        case .wrongType(let path, let expected, let found):
            "\(path.isEmpty ? "document" : path): wrong type: expected \(expected), found \(found)"
        case .unknownValue(let path, let value, let allowed):
            "\(path): unknown value: expected one of \(allowed.joined(separator: ", "))\(withheld(value))"
        case .unknownUnit(let path, let unit, let allowed):
            "\(path): unit not accepted here: expected one of \(allowed.joined(separator: ", "))\(withheld(unit))"
        case .outOfRange(let path, let value, let range):
            "\(path): out of range: expected \(range)"
                + (value.isFinite ? withheld(formatNumber(value)) : " [value: past what a 64-bit float holds]")
        case .invalidTimestamp(let path, let value, let problem):
            "\(path): \(problem)\(withheld(value))"
        case .invalidValue(let path, let value, let problem):
            "\(path.isEmpty ? "value" : path): \(problem)\(withheld(value))"
        case .malformedHL7(let segment, let segmentID, let field, let problem):
            "malformed HL7 at \(HL7Location(segment: segment, segmentID: segmentID, field: field)): \(problem)"
        }
    }
}

/// ` [value: 5 bytes, sha256:…]`, or nothing for an empty value.
private func withheld(_ value: String) -> String {
    value.isEmpty ? "" : " [value: \(ValueDigest(value))]"
}

/// A position in an HL7 v2 message, printed as `OBX-6 (segment 5)`.
struct HL7Location: CustomStringConvertible {
    var segment: Int
    var segmentID: String
    var field: Int?

    var description: String {
        // An identifier that is not one (junk where a segment should start) is not quoted.
        let bytes = Array(segmentID.utf8)
        guard bytes.count == 3, bytes.allSatisfy({ isUpperLetter($0) || isDigit($0) }) else {
            return field.map { "field \($0) of segment \(segment)" } ?? "segment \(segment)"
        }
        return field.map { "\(segmentID)-\($0) (segment \(segment))" } ?? "\(segmentID) (segment \(segment))"
    }
}

/// Formats a number the way people write it: `60`, `38.5`, `0.004`.
func formatNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int64(value))
    }
    return "\(value)"
}
