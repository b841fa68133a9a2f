package import Foundation

// Object members in one call: the key and its value. `member` writes a value; `memberIfPresent`
// leaves the member out when the value is `nil` (`encodeIfPresent`, and synthesized `Codable` of an
// optional property); `memberOrNull` writes `null` for it (`encode` of an optional).
extension JSONByteWriter {
    package mutating func member(_ key: StaticString, _ value: String) {
        self.key(key)
        string(value)
    }

    package mutating func member(_ key: StaticString, _ value: Int) {
        self.key(key)
        int(value)
    }

    package mutating func member(_ key: StaticString, _ value: Int64) {
        self.key(key)
        int64(value)
    }

    package mutating func member(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    package mutating func member(_ key: StaticString, _ value: Double) throws(Unwritable) {
        self.key(key)
        try double(value)
    }

    /// An array of strings.
    package mutating func member(_ key: StaticString, _ values: some Sequence<String>) {
        self.key(key)
        strings(values)
    }

    /// A date as `.iso8601` writes it.
    package mutating func member(_ key: StaticString, iso8601 date: Date) {
        self.key(key)
        iso8601(date)
    }

    package mutating func memberIfPresent(_ key: StaticString, _ value: String?) {
        if let value { member(key, value) }
    }

    package mutating func memberIfPresent(_ key: StaticString, _ value: Int?) {
        if let value { member(key, value) }
    }

    package mutating func memberIfPresent(_ key: StaticString, _ value: Double?) throws(Unwritable) {
        if let value { try member(key, value) }
    }

    package mutating func memberOrNull(_ key: StaticString, _ value: String?) {
        self.key(key)
        string(orNull: value)
    }

    package mutating func memberOrNull(_ key: StaticString, _ value: Int?) {
        self.key(key)
        if let value { int(value) } else { null() }
    }

    package mutating func memberOrNull(_ key: StaticString, _ value: Double?) throws(Unwritable) {
        self.key(key)
        if let value { try double(value) } else { null() }
    }

    /// An array of values, each written by `writeElement`.
    package mutating func member<Element>(
        _ key: StaticString, _ elements: some Sequence<Element>,
        _ writeElement: (Element, inout JSONByteWriter) throws(Unwritable) -> Void
    ) throws(Unwritable) {
        self.key(key)
        beginArray()
        for element in elements { try writeElement(element, &self) }
        endArray()
    }
}
