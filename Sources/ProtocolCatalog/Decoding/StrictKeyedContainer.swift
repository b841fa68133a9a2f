package import ToxicityRules

// Strict decoding support for protocol files.
//
// A protocol file is clinical configuration: a misspelt key silently ignored could drop a cap.
// Every protocol type therefore decodes through ``StrictKeyedContainer``, which rejects unknown
// keys, names the missing or invalid field by its full path (`dose.perDayMgPerKg`), and turns
// value problems into ``ProtocolValidationError``. The rules' value types know no JSON: each
// reads and writes its file form through ``ProtocolFileValue`` (the `*FileCoding.swift` files).

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

/// A keyed container that rejects unknown keys and reports problems with the field's path.
package struct StrictKeyedContainer<Key: CodingKey & CaseIterable> {
    package let container: KeyedDecodingContainer<Key>
    package let codingPath: [any CodingKey]

    /// Opens the object and rejects keys that are not cases of `Key`.
    /// - Throws: ``ProtocolValidationError`` naming the first unknown key.
    package init(_ decoder: any Decoder, keyedBy keys: Key.Type) throws {
        let present = try decoder.container(keyedBy: AnyProtocolKey.self)
        let known = Set(Key.allCases.map(\.stringValue))
        for key in present.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !known.contains(key.stringValue) {
            let expected = Key.allCases.map(\.stringValue).joined(separator: ", ")
            throw ProtocolValidationError(
                codingPath: decoder.codingPath + [key],
                message: "unknown field (expected one of: \(expected))"
            )
        }
        self.container = try decoder.container(keyedBy: Key.self)
        self.codingPath = decoder.codingPath
    }

    /// An error for the field `key` of this object.
    package func error(_ key: Key, _ message: String) -> ProtocolValidationError {
        ProtocolValidationError(codingPath: codingPath + [key], message: message)
    }

    /// Whether the key is present with a non-null value.
    package func has(_ key: Key) -> Bool {
        container.contains(key) && ((try? container.decodeNil(forKey: key)) == false)
    }

    /// Decodes a required value.
    package func required<T: Decodable>(_ key: Key, as type: T.Type = T.self) throws -> T {
        guard container.contains(key) else { throw error(key, "is required") }
        if try container.decodeNil(forKey: key) { throw error(key, "must not be null") }
        return try container.decode(T.self, forKey: key)
    }

    /// Decodes an optional value (absent and `null` are both `nil`).
    package func optional<T: Decodable>(_ key: Key, as type: T.Type = T.self) throws -> T? {
        try container.decodeIfPresent(T.self, forKey: key)
    }

    /// Decodes a required protocol value (an object of the file).
    package func value<T: ProtocolFileValue>(_ key: Key, as type: T.Type = T.self) throws -> T {
        try required(key, as: ProtocolFile<T>.self).value
    }

    /// Decodes an optional protocol value (absent and `null` are both `nil`).
    package func optionalValue<T: ProtocolFileValue>(_ key: Key, as type: T.Type = T.self) throws -> T? {
        try optional(key, as: ProtocolFile<T>.self)?.value
    }

    /// Decodes a required array of protocol values.
    package func values<T: ProtocolFileValue>(_ key: Key, as type: T.Type = T.self) throws -> [T] {
        try required(key, as: [ProtocolFile<T>].self).map(\.value)
    }

    /// Decodes an optional array of protocol values (absent and `null` are both empty).
    package func optionalValues<T: ProtocolFileValue>(_ key: Key, as type: T.Type = T.self) throws -> [T] {
        try optional(key, as: [ProtocolFile<T>].self)?.map(\.value) ?? []
    }

    /// Decodes a required non-empty string.
    package func string(_ key: Key) throws -> String {
        let value = try required(key, as: String.self)
        guard !value.trimmedForProtocol.isEmpty else { throw error(key, "must not be empty") }
        return value
    }

    /// Decodes a required value of a string-backed enumeration, naming the accepted values.
    package func enumeration<E: RawRepresentable & CaseIterable>(_ key: Key, as type: E.Type = E.self) throws -> E
    where E.RawValue == String {
        let raw = try required(key, as: String.self)
        return try parse(raw, key: key)
    }

    /// Decodes an optional value of a string-backed enumeration.
    package func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ key: Key, as type: E.Type = E.self) throws
        -> E?
    where E.RawValue == String {
        guard let raw = try optional(key, as: String.self) else { return nil }
        return try parse(raw, key: key)
    }

    /// Decodes an array of string-backed enumeration values.
    package func enumerations<E: RawRepresentable & CaseIterable>(_ key: Key, as type: E.Type = E.self) throws -> [E]
    where E.RawValue == String {
        let raws = try required(key, as: [String].self)
        var values: [E] = []
        for (index, raw) in raws.enumerated() {
            guard let value = E(rawValue: raw) else {
                throw ProtocolValidationError(
                    codingPath: codingPath + [key, AnyProtocolKey(intValue: index)],
                    message:
                        "unknown value \"\(raw)\" (expected one of: \(E.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            values.append(value)
        }
        return values
    }

    /// Decodes a number with at most three decimal places that must be > 0.
    package func positiveAmount(_ key: Key) throws -> ExactAmount {
        let value = try value(key, as: ExactAmount.self)
        guard value > 0 else { throw error(key, "\(value) must be > 0") }
        return value
    }

    /// Decodes an optional number with at most three decimal places that must be > 0.
    package func optionalPositiveAmount(_ key: Key) throws -> ExactAmount? {
        guard let value = try optionalValue(key, as: ExactAmount.self) else { return nil }
        guard value > 0 else { throw error(key, "\(value) must be > 0") }
        return value
    }

    /// Decodes an optional whole number within `range`.
    package func optionalInteger(_ key: Key, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = try optionalValue(key, as: ExactAmount.self) else { return nil }
        guard value.isWhole else { throw error(key, "\(value) must be a whole number") }
        guard value >= range.lowerBound, value <= range.upperBound else {
            throw error(key, "\(value) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return Int(value.numerator)
    }

    /// Decodes a required whole number within `range`.
    package func integer(_ key: Key, in range: ClosedRange<Int>) throws -> Int {
        guard container.contains(key) else { throw error(key, "is required") }
        guard let value = try optionalInteger(key, in: range) else { throw error(key, "must not be null") }
        return value
    }

    private func parse<E: RawRepresentable & CaseIterable>(_ raw: String, key: Key) throws -> E
    where E.RawValue == String {
        guard let value = E(rawValue: raw) else {
            let expected = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "unknown value \"\(raw)\" (expected one of: \(expected))")
        }
        return value
    }
}

/// A rules value with a form in the protocol files: read strictly, written as the file shows it.
package protocol ProtocolFileValue {
    /// Reads and validates the value.
    /// - Throws: ``ProtocolValidationError`` or `DecodingError`.
    init(file decoder: any Decoder) throws
    /// Writes the value in the file format.
    func encodeFile(to encoder: any Encoder) throws
}

/// The `Codable` form of a ``ProtocolFileValue``: what `JSONDecoder` and `JSONEncoder` see.
package struct ProtocolFile<Value: ProtocolFileValue>: Codable {
    package var value: Value

    package init(_ value: Value) { self.value = value }

    package init(from decoder: any Decoder) throws { value = try Value(file: decoder) }

    package func encode(to encoder: any Encoder) throws { try value.encodeFile(to: encoder) }
}

extension KeyedEncodingContainer {
    /// Writes a protocol value.
    mutating func encodeValue(_ value: some ProtocolFileValue, forKey key: Key) throws {
        try encode(ProtocolFile(value), forKey: key)
    }

    /// Writes a protocol value unless it is `nil` (the key is then left out).
    mutating func encodeValueIfPresent(_ value: (some ProtocolFileValue)?, forKey key: Key) throws {
        guard let value else { return }
        try encodeValue(value, forKey: key)
    }

    /// Writes an array of protocol values.
    mutating func encodeValues(_ values: [some ProtocolFileValue], forKey key: Key) throws {
        try encode(values.map { ProtocolFile($0) }, forKey: key)
    }

    /// Writes a string-backed enumeration as its raw value.
    mutating func encodeRaw(_ value: some RawRepresentable<String>, forKey key: Key) throws {
        try encode(value.rawValue, forKey: key)
    }

    /// Writes a string-backed enumeration as its raw value unless it is `nil`.
    mutating func encodeRawIfPresent(_ value: (some RawRepresentable<String>)?, forKey key: Key) throws {
        try encodeIfPresent(value?.rawValue, forKey: key)
    }

    /// Writes string-backed enumerations as their raw values.
    mutating func encodeRaws(_ values: [some RawRepresentable<String>], forKey key: Key) throws {
        try encode(values.map(\.rawValue), forKey: key)
    }
}

extension ExactAmount: ProtocolFileValue {
    /// Decodes a JSON number with at most three decimal places.
    /// - Throws: ``ProtocolValidationError`` for more places or a non-finite value.
    package init(file decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Double.self)
        guard let exact = ExactAmount(exactly: value, places: 3) else {
            throw ProtocolValidationError(
                codingPath: decoder.codingPath,
                message: "\(value) must be a finite number with at most 3 decimal places"
            )
        }
        self = exact
    }

    /// Encodes as a JSON number (protocol values have at most three decimal places).
    package func encodeFile(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if isWhole {
            try container.encode(numerator)
        } else {
            try container.encode(approximateDouble)
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmedForProtocol: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
