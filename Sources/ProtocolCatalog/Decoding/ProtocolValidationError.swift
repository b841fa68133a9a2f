/// A protocol value that is missing, malformed or clinically implausible.
package struct ProtocolValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field's path in the file, e.g. `dose.perDayMgPerKg` or `indications[1].line`.
    package var field: String
    /// What is wrong, e.g. `-2 must be > 0`.
    package var message: String

    package init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// Creates an error for the field at `codingPath`.
    package init(codingPath: [any CodingKey], message: String) {
        self.init(field: Self.fieldPath(codingPath), message: message)
    }

    /// Converts a `DecodingError` (syntax, type mismatch, missing key) into a field error.
    package init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(codingPath: context.codingPath + [key], message: "is required")
        case .valueNotFound(_, let context):
            self.init(codingPath: context.codingPath, message: "must not be null")
        case .typeMismatch(let type, let context):
            self.init(codingPath: context.codingPath, message: "must be \(Self.typeName(type))")
        case .dataCorrupted(let context):
            self.init(codingPath: context.codingPath, message: context.debugDescription)
        @unknown default:
            self.init(field: "", message: String(describing: error))
        }
    }

    /// `field: message`, or just the message when the error is about the whole document.
    package var description: String {
        field.isEmpty ? message : "\(field): \(message)"
    }

    /// Renders a coding path as `indications[1].line`.
    package static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type, is Int64.Type: "a number"
        default:
            String(describing: type).contains("Array") ? "an array" : "an object"
        }
    }
}

/// A coding key for any string, used to list the keys actually present in an object.
package struct AnyProtocolKey: CodingKey, Sendable {
    package var stringValue: String
    package var intValue: Int?
    package init(stringValue: String) { self.stringValue = stringValue }
    package init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}
