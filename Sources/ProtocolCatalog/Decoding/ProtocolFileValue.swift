package import ToxicityRules

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
