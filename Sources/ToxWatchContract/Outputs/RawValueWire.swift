package import ToxicityRules

/// A string-backed rules enumeration (`Q6H`, `IMPL`, `start`, `IV`) on the wire: its raw value.
package struct RawValueWire<Value: RawRepresentable & Hashable & Sendable>: Codable, Hashable, Sendable
where Value.RawValue == String {
    package var value: Value

    package init(_ value: Value) { self.value = value }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Value(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Cannot initialize \(Value.self) from invalid String value \(text)")
        }
        self.value = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.rawValue)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a string-backed enumeration from its raw value.
    func decodeRaw<Value>(_ type: Value.Type, forKey key: Key) throws -> Value
    where Value: RawRepresentable & Hashable & Sendable, Value.RawValue == String {
        try decode(RawValueWire<Value>.self, forKey: key).value
    }

    /// Decodes an optional string-backed enumeration from its raw value (absent and `null` are `nil`).
    func decodeRawIfPresent<Value>(_ type: Value.Type, forKey key: Key) throws -> Value?
    where Value: RawRepresentable & Hashable & Sendable, Value.RawValue == String {
        try decodeIfPresent(RawValueWire<Value>.self, forKey: key)?.value
    }
}

extension [Reason] {
    /// The reasons on the wire.
    package var wire: [ReasonWire] { map(ReasonWire.init) }
}

extension [ReasonWire] {
    /// The rules values.
    package var reasons: [Reason] { map(\.reason) }
}
