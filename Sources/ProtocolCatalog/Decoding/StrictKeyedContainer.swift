package import ToxicityRules

// Strict decoding support for protocol files.
//
// A protocol file is clinical configuration: a misspelt key silently ignored could drop a cap.
// Every protocol type therefore decodes through ``StrictKeyedContainer``, which rejects unknown
// keys, names the missing or invalid field by its full path (`dose.perDayMgPerKg`), and turns
// value problems into ``ProtocolValidationError``. The rules' value types know no JSON: each
// reads and writes its file form through ``ProtocolFileValue`` (the `*FileCoding.swift` files).

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
