import Foundation
import ToxicityRules

/// A coding key for any field name, so that the event types read exactly the fields they know
/// and ignore the rest (forward compatibility).
struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Formats a coding path as a JSON path: `events[3].temperatureC`.
func jsonPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            if !path.isEmpty { path += "." }
            path += key.stringValue
        }
    }
    return path
}

/// One lookup of a field: absent (or `null`), a value of the asked type, or a value of another
/// type (or one Foundation's `JSONDecoder` would not read as that type).
enum FieldRead<Value> {
    case absent
    case value(Value)
    case mismatch
}

/// Reads the fields of one JSON object with the contract's validation, throwing
/// ``EventDecodingError`` values that name the field by its JSON path.
///
/// Two readers conform: ``FieldReader`` over Foundation's `JSONDecoder` (the reference, and the
/// other contract documents) and ``JSONObjectReader`` over bytes (``EventCodec``, the events on
/// the bus). A conforming type gives the primitive lookups with `JSONDecoder`'s semantics; every
/// check, default and error above them is written once, here.
protocol ContractFieldReader {
    var codingPath: [any CodingKey] { get }
    /// Whether `key` is present and not `null`.
    func has(_ key: String) -> Bool
    /// Whether `key` is present and `null`.
    func isNull(_ key: String) -> Bool
    // Each read throws, as it is, an error that makes the whole document unreadable (a string
    // Foundation cannot unescape, a number it cannot represent): the reader's caller maps it.
    func readString(_ key: String) throws -> FieldRead<String>
    func readDouble(_ key: String) throws -> FieldRead<Double>
    func readBool(_ key: String) throws -> FieldRead<Bool>
    func readStrings(_ key: String) throws -> FieldRead<[String]>
    /// A string parsed as an ISO-8601 date-time (``ISO8601Timestamp/parse(_:)``).
    func readTimestamp(_ key: String) throws -> FieldRead<Result<Date, TimestampProblem>>
    func readObject(_ key: String) throws -> FieldRead<Self>
    /// Whether `key` holds an array.
    func holdsArray(_ key: String) -> Bool
    /// The value `read` makes of the bytes of `key`'s string when the reader holds them and the
    /// string is plain (ASCII without escapes or control characters: its bytes are its text).
    /// `.absent` when `key` is missing or `null`; `.mismatch` for any other value, or when `read`
    /// gives `nil`: the caller then reads the field the general way, which words any error.
    func readPlainString<T>(_ key: String, _ read: (UnsafeRawBufferPointer) -> T?) -> FieldRead<T>
}

/// The reference reader: a keyed container of Foundation's `JSONDecoder`.
struct FieldReader: ContractFieldReader {
    let container: KeyedDecodingContainer<AnyCodingKey>
    let codingPath: [any CodingKey]

    init(_ decoder: any Decoder) throws {
        codingPath = decoder.codingPath
        do {
            container = try decoder.container(keyedBy: AnyCodingKey.self)
        } catch {
            var found = "another JSON type"
            if case DecodingError.typeMismatch(_, let context) = error,
                let range = context.debugDescription.range(of: "but found ")
            {
                found = String(context.debugDescription[range.upperBound...]).replacingAll(" instead.", with: "")
            }
            throw EventDecodingError.wrongType(path: jsonPath(decoder.codingPath), expected: "an object", found: found)
        }
    }

    init(container: KeyedDecodingContainer<AnyCodingKey>) {
        self.container = container
        self.codingPath = container.codingPath
    }

    func has(_ key: String) -> Bool {
        guard container.contains(AnyCodingKey(key)) else { return false }
        return (try? container.decodeNil(forKey: AnyCodingKey(key))) != true
    }

    func isNull(_ key: String) -> Bool {
        (try? container.decodeNil(forKey: AnyCodingKey(key))) == true
    }

    /// A `DecodingError` is a value of another type; Foundation's other errors (its parser's) are
    /// rethrown.
    private func read<T: Decodable>(_ type: T.Type, _ key: String) throws -> FieldRead<T> {
        do {
            return try container.decodeIfPresent(type, forKey: AnyCodingKey(key)).map { .value($0) } ?? .absent
        } catch is DecodingError {
            return .mismatch
        }
    }

    func readString(_ key: String) throws -> FieldRead<String> { try read(String.self, key) }
    func readDouble(_ key: String) throws -> FieldRead<Double> { try read(Double.self, key) }
    func readBool(_ key: String) throws -> FieldRead<Bool> { try read(Bool.self, key) }
    func readStrings(_ key: String) throws -> FieldRead<[String]> { try read([String].self, key) }

    func readTimestamp(_ key: String) throws -> FieldRead<Result<Date, TimestampProblem>> {
        switch try readString(key) {
        case .absent: .absent
        case .mismatch: .mismatch
        case .value(let text): .value(ISO8601Timestamp.parse(text))
        }
    }

    func readObject(_ key: String) throws -> FieldRead<FieldReader> {
        let codingKey = AnyCodingKey(key)
        guard container.contains(codingKey), try !container.decodeNil(forKey: codingKey) else { return .absent }
        do {
            return .value(
                FieldReader(container: try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: codingKey)))
        } catch is DecodingError {
            return .mismatch
        }
    }

    func holdsArray(_ key: String) -> Bool {
        (try? container.nestedUnkeyedContainer(forKey: AnyCodingKey(key))) != nil
    }

    /// Foundation lends no bytes: every field is read the general way.
    func readPlainString<T>(_ key: String, _ read: (UnsafeRawBufferPointer) -> T?) -> FieldRead<T> { .mismatch }
}

extension ContractFieldReader {
    func path(_ key: String) -> String {
        let base = jsonPath(codingPath)
        return base.isEmpty ? key : base + "." + key
    }

    // MARK: Primitive reads

    /// What the field holds, for "expected X, found Y" messages: its JSON type, and for a string
    /// or a number its length and digest (never the value: it may be patient data or escapes).
    private func found(_ key: String) -> String {
        if isNull(key) { return "null" }
        if case .value(let s)? = try? readString(key) { return "a string [value: \(ValueDigest(s))]" }
        if case .value? = try? readBool(key) { return "a boolean" }
        if case .value(let d)? = try? readDouble(key) { return "a number [value: \(ValueDigest(formatNumber(d)))]" }
        if holdsArray(key) { return "an array" }
        return "an object"
    }

    /// One lookup: absent and `null` are `nil`; a value of another type is an error naming it.
    private func value<T>(_ read: FieldRead<T>, _ key: String, expected: String) throws -> T? {
        switch read {
        case .absent: return nil
        case .value(let value): return value
        case .mismatch: throw EventDecodingError.wrongType(path: path(key), expected: expected, found: found(key))
        }
    }

    func optionalString(_ key: String) throws -> String? {
        switch readPlainString(key, Self.nonBlankText) {
        case .absent: return nil
        case .value(let text): return text
        case .mismatch: break
        }
        guard let value = try value(try readString(key), key, expected: "a string") else { return nil }
        guard !value.isBlank else {
            throw EventDecodingError.invalidValue(path: path(key), value: value, problem: "is empty")
        }
        return value
    }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw EventDecodingError.missingField(path: path(key)) }
        return value
    }

    /// An identifier (``InputIdentifier``): 1–128 bytes of UTF-8 without control characters.
    func optionalIdentifier(_ key: String) throws -> String? {
        switch readPlainString(key, InputIdentifier.text(ifIdentifier:)) {
        case .absent: return nil
        case .value(let text): return text
        case .mismatch: break
        }
        guard let value = try value(try readString(key), key, expected: "a string") else { return nil }
        try InputIdentifier.check(value, path: path(key))
        return value
    }

    func identifier(_ key: String) throws -> String {
        guard let value = try optionalIdentifier(key) else { throw EventDecodingError.missingField(path: path(key)) }
        return value
    }

    /// A drug named by an identifier, trimmed and matched case-insensitively (``Drug/init(name:)``).
    func drug(_ key: String) throws -> Drug {
        if case .value(let drug) = readPlainString(key, Drug.init(plainName:)) { return drug }
        return Drug(name: try identifier(key).trimmingWhitespace())
    }

    func optionalNumber(_ key: String, in range: PlausibleRange) throws -> Double? {
        guard let value = try value(try readDouble(key), key, expected: "a number") else { return nil }
        guard range.contains(value) else {
            throw EventDecodingError.outOfRange(path: path(key), value: value, range: range)
        }
        return value
    }

    func number(_ key: String, in range: PlausibleRange) throws -> Double {
        guard let value = try optionalNumber(key, in: range) else {
            throw EventDecodingError.missingField(path: path(key))
        }
        return value
    }

    /// A whole number in `range`, which must also fit an `Int` (a value past what the type holds
    /// is out of range, never a trap).
    func optionalInteger(_ key: String, in range: PlausibleRange) throws -> Int? {
        guard let value = try optionalNumber(key, in: range) else { return nil }
        guard let integer = Int(exactly: value) else {
            throw EventDecodingError.outOfRange(path: path(key), value: value, range: range)
        }
        return integer
    }

    func optionalBool(_ key: String) throws -> Bool? {
        try value(try readBool(key), key, expected: "true or false")
    }

    func optionalEnum<E: WireCode>(_ key: String, _ type: E.Type) throws -> E? {
        switch readPlainString(key, { E.wireCodes.code($0) }) {
        case .absent: return nil
        case .value(let code): return code
        case .mismatch: break
        }
        guard let raw = try value(try readString(key), key, expected: "a string") else { return nil }
        guard let value = E(rawValue: raw) else {
            throw EventDecodingError.unknownValue(path: path(key), value: raw, allowed: E.allCases.map(\.rawValue))
        }
        return value
    }

    func enumValue<E: WireCode>(_ key: String, _ type: E.Type) throws -> E {
        guard let value = try optionalEnum(key, type) else { throw EventDecodingError.missingField(path: path(key)) }
        return value
    }

    func optionalTimestamp(_ key: String) throws -> Date? {
        guard let parsed = try value(try readTimestamp(key), key, expected: "an ISO-8601 date-time string") else {
            return nil
        }
        switch parsed {
        case .success(let date): return date
        case .failure(let problem):
            // The field was read as a string just now; its text is read again only to name it.
            var text = ""
            if case .value(let read) = try readString(key) { text = read }
            throw EventDecodingError.invalidTimestamp(path: path(key), value: text, problem: problem.description)
        }
    }

    func timestamp(_ key: String) throws -> Date {
        guard let value = try optionalTimestamp(key) else { throw EventDecodingError.missingField(path: path(key)) }
        return value
    }

    func optionalDate(_ key: String) throws -> Date? {
        guard let text = try value(try readString(key), key, expected: "a date string (YYYY-MM-DD)") else { return nil }
        guard let date = ISO8601Date.parse(text) else {
            throw EventDecodingError.invalidTimestamp(
                path: path(key),
                value: text,
                problem: "is not a date (expected YYYY-MM-DD)"
            )
        }
        return date
    }

    func optionalObject(_ key: String) throws -> Self? {
        try value(try readObject(key), key, expected: "an object")
    }

    func optionalStrings(_ key: String) throws -> [String]? {
        guard let values = try value(try readStrings(key), key, expected: "an array of strings") else { return nil }
        for (index, value) in values.enumerated() where value.isBlank {
            throw EventDecodingError.invalidValue(path: path(key) + "[\(index)]", value: value, problem: "is empty")
        }
        return values
    }

    func optionalEnums<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws -> [E]?
    where E.RawValue == String {
        guard let raws = try value(try readStrings(key), key, expected: "an array of strings") else { return nil }
        return try raws.enumerated().map { index, raw in
            guard let value = E(rawValue: raw) else {
                throw EventDecodingError.unknownValue(
                    path: path(key) + "[\(index)]",
                    value: raw,
                    allowed: E.allCases.map(\.rawValue)
                )
            }
            return value
        }
    }

    /// The text of a plain string's bytes when it is not blank (``String/isBlank``: for plain
    /// bytes, only spaces).
    private static func nonBlankText(_ utf8: UnsafeRawBufferPointer) -> String? {
        guard utf8.contains(where: { $0 != UInt8(ascii: " ") }) else { return nil }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Reads `type` and checks that it is `expected`.
    func expectType(_ expected: String) throws {
        let type = try string("type")
        guard type == expected else {
            throw EventDecodingError.unknownValue(path: path("type"), value: type, allowed: [expected])
        }
    }
}

/// Writes the fields of one JSON object, checking ranges on the way out so that the encoders
/// never produce a document the decoder (or the schema) would refuse.
struct FieldWriter {
    var container: KeyedEncodingContainer<AnyCodingKey>

    init(_ encoder: any Encoder) {
        container = encoder.container(keyedBy: AnyCodingKey.self)
    }

    init(container: KeyedEncodingContainer<AnyCodingKey>) {
        self.container = container
    }

    private var basePath: String { jsonPath(container.codingPath) }

    private func path(_ key: String) -> String {
        basePath.isEmpty ? key : basePath + "." + key
    }

    mutating func string(_ key: String, _ value: String?) throws {
        guard let value else { return }
        guard !value.isBlank else {
            throw EventDecodingError.invalidValue(path: path(key), value: value, problem: "is empty")
        }
        try container.encode(value, forKey: AnyCodingKey(key))
    }

    /// Writes an identifier, refusing one the decoder would refuse (``InputIdentifier``).
    mutating func identifier(_ key: String, _ value: String?) throws {
        guard let value else { return }
        try InputIdentifier.check(value, path: path(key))
        try container.encode(value, forKey: AnyCodingKey(key))
    }

    mutating func number(_ key: String, _ value: Double?, in range: PlausibleRange) throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw EventDecodingError.outOfRange(path: path(key), value: value, range: range)
        }
        try container.encode(value, forKey: AnyCodingKey(key))
    }

    mutating func integer(_ key: String, _ value: Int?, in range: PlausibleRange) throws {
        guard let value else { return }
        guard range.contains(Double(value)) else {
            throw EventDecodingError.outOfRange(path: path(key), value: Double(value), range: range)
        }
        try container.encode(value, forKey: AnyCodingKey(key))
    }

    mutating func bool(_ key: String, _ value: Bool?) throws {
        guard let value else { return }
        try container.encode(value, forKey: AnyCodingKey(key))
    }

    mutating func raw<E: RawRepresentable>(_ key: String, _ value: E?) throws where E.RawValue == String {
        guard let value else { return }
        try container.encode(value.rawValue, forKey: AnyCodingKey(key))
    }

    mutating func raws<E: RawRepresentable>(_ key: String, _ values: [E]) throws where E.RawValue == String {
        try container.encode(values.map(\.rawValue), forKey: AnyCodingKey(key))
    }

    mutating func strings(_ key: String, _ values: [String]) throws {
        for (index, value) in values.enumerated() where value.isBlank {
            throw EventDecodingError.invalidValue(path: path(key) + "[\(index)]", value: value, problem: "is empty")
        }
        try container.encode(values, forKey: AnyCodingKey(key))
    }

    mutating func timestamp(_ key: String, _ value: Date?) throws {
        guard let value else { return }
        try container.encode(ISO8601Timestamp.format(value), forKey: AnyCodingKey(key))
    }

    mutating func date(_ key: String, _ value: Date?) throws {
        guard let value else { return }
        try container.encode(ISO8601Date.format(value), forKey: AnyCodingKey(key))
    }

    mutating func object(_ key: String, _ body: (inout FieldWriter) throws -> Void) throws {
        var nested = FieldWriter(
            container: container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: AnyCodingKey(key))
        )
        try body(&nested)
    }
}

extension String {
    /// Whether the string is empty or only white space (checked without Foundation's bridging,
    /// which cost a tenth of the worker's time on every decoded and encoded string field). ASCII
    /// is answered without the Unicode tables: its white space is U+0009–U+000D and U+0020.
    var isBlank: Bool {
        for byte in utf8 {
            guard byte < 0x80 else { return unicodeScalars.allSatisfy(\.properties.isWhitespace) }
            guard byte == 0x20 || (0x09...0x0D).contains(byte) else { return false }
        }
        return true
    }
}
