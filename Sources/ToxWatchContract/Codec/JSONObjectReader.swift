import Foundation

/// The fields of one object of a ``JSONTape``, read with the semantics of Foundation's
/// `JSONDecoder` (``ContractFieldReader``): a key matches as Swift compares strings; a string
/// Foundation cannot read (``JSONStringText``), a number it cannot represent (``JSONNumberText``)
/// and an object with a key it cannot read make the whole document unreadable when they are read
/// (``UnreadableValue``), as they make Foundation's parser fail.
struct JSONObjectReader: ContractFieldReader {
    /// A value read that Foundation's parser would fail on: the document is refused as not JSON
    /// (``EventDecodingError/unreadableJSON(_:)``).
    struct UnreadableValue: Error {}

    // A reader holds no reference-counted value (it is copied into every read), so its coding
    // path is found on the tape when an error names it.
    let tape: JSONTape
    /// The object's token.
    let object: Int

    /// The keys from the document's top level down to this object (as the document spells
    /// them, which is how they were looked up).
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var container = 0
        while container != object, tape.tokens[container].kind == .object {
            var key = container + 1
            let end = Int(tape.tokens[container].next)
            // The member whose value holds this object (a key's `next` is the end of its value).
            while key < end, Int(tape.tokens[key].next) <= object { key = Int(tape.tokens[key].next) }
            guard key < end else { break }
            let text =
                tape.tokens[key].isPlain
                ? String(decoding: tape.raw(key), as: UTF8.self) : JSONStringText.strict(tape.raw(key))
            path.append(AnyCodingKey(text ?? ""))
            container = key + 1
        }
        return path
    }

    /// The document's top-level object.
    ///
    /// - Throws: `wrong-type` when the document is another JSON value, worded as
    ///   ``FieldReader`` words Foundation's refusal.
    static func root(of tape: JSONTape) throws(EventDecodingError) -> JSONObjectReader {
        let found: String
        switch tape.tokens[0].kind {
        case .object:
            if hasReadableKeys(tape, object: 0) {
                return JSONObjectReader(tape: tape, object: 0)
            }
            found = "another JSON type"
        case .array: found = "an array"
        case .string: found = "a string"
        case .number: found = "number"
        case .literalTrue, .literalFalse: found = "bool"
        case .null: found = "another JSON type"
        }
        throw .wrongType(path: "", expected: "an object", found: found)
    }

    /// Whether Foundation reads every key of the object (a plain key always is read).
    private static func hasReadableKeys(_ tape: JSONTape, object: Int) -> Bool {
        guard !tape.tokens[object].isPlain else { return true }
        var key = object + 1
        let end = Int(tape.tokens[object].next)
        while key < end {
            if !tape.tokens[key].isPlain, JSONStringText.strict(tape.raw(key)) == nil { return false }
            key = Int(tape.tokens[key].next)
        }
        return true
    }

    /// The token of the value of `key`, the first when Foundation would keep the first.
    private func lookup(_ key: String) -> Int? {
        var bytes = key
        return bytes.withUTF8 { lookup(key, utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A plain key is found in the tape's key table; the object's other keys are compared as
    /// text (after unescaping), as Foundation compares them.
    private func lookup(_ key: String, utf8 wanted: UnsafeRawBufferPointer) -> Int? {
        if let found = tape.plainKey(wanted, in: object) { return found + 1 }
        guard !tape.tokens[object].isPlain else { return nil }
        var index = object + 1
        let end = Int(tape.tokens[object].next)
        while index < end {
            if !tape.tokens[index].isPlain, JSONStringText.strict(tape.raw(index)) == key { return index + 1 }
            index = Int(tape.tokens[index].next)
        }
        return nil
    }

    func has(_ key: String) -> Bool {
        guard let index = lookup(key) else { return false }
        return tape.tokens[index].kind != .null
    }

    func isNull(_ key: String) -> Bool {
        guard let index = lookup(key) else { return false }
        return tape.tokens[index].kind == .null
    }

    /// The value of `key` through `read` (absent when missing or `null`, a mismatch when `read`
    /// gives `nil`).
    private func read<T>(_ key: String, _ read: (Int) throws(UnreadableValue) -> T?) throws(UnreadableValue)
        -> FieldRead<T>
    {
        guard let index = lookup(key), tape.tokens[index].kind != .null else { return .absent }
        return try read(index).map { .value($0) } ?? .mismatch
    }

    /// The string at `index`; `nil` for another type.
    private func string(at index: Int) throws(UnreadableValue) -> String? {
        let token = tape.tokens[index]
        guard token.kind == .string else { return nil }
        if token.isPlain { return String(decoding: tape.raw(index), as: UTF8.self) }
        guard let text = JSONStringText.strict(tape.raw(index)) else { throw UnreadableValue() }
        return text
    }

    func readString(_ key: String) throws(UnreadableValue) -> FieldRead<String> {
        try read(key) { index throws(UnreadableValue) in try string(at: index) }
    }

    func readDouble(_ key: String) throws(UnreadableValue) -> FieldRead<Double> {
        try read(key) { index throws(UnreadableValue) in
            guard tape.tokens[index].kind == .number else { return nil }
            guard let value = JSONNumberText.double(tape.raw(index)) else { throw UnreadableValue() }
            return value
        }
    }

    func readBool(_ key: String) throws(UnreadableValue) -> FieldRead<Bool> {
        try read(key) { index in
            switch tape.tokens[index].kind {
            case .literalTrue: true
            case .literalFalse: false
            default: nil
            }
        }
    }

    /// An array of strings; its elements are read in order, and the first that is not a string
    /// decides (another type is a mismatch, an unreadable string makes the document unreadable).
    func readStrings(_ key: String) throws(UnreadableValue) -> FieldRead<[String]> {
        try read(key) { index throws(UnreadableValue) -> [String]? in
            guard tape.tokens[index].kind == .array else { return nil }
            var values: [String] = []
            var element = index + 1
            let end = Int(tape.tokens[index].next)
            while element < end {
                guard let value = try string(at: element) else { return nil }
                values.append(value)
                element = Int(tape.tokens[element].next)
            }
            return values
        }
    }

    /// A timestamp is parsed from the string's bytes in place when it has no escape.
    func readTimestamp(_ key: String) throws(UnreadableValue) -> FieldRead<Result<Date, TimestampProblem>> {
        try read(key) { index throws(UnreadableValue) in
            let token = tape.tokens[index]
            guard token.kind == .string else { return nil }
            if token.isPlain { return ISO8601Timestamp.parse(utf8: tape.raw(index)) }
            return try string(at: index).map(ISO8601Timestamp.parse)
        }
    }

    func readObject(_ key: String) throws(UnreadableValue) -> FieldRead<JSONObjectReader> {
        try read(key) { index throws(UnreadableValue) in
            guard tape.tokens[index].kind == .object else { return nil }
            guard Self.hasReadableKeys(tape, object: index) else { throw UnreadableValue() }
            return JSONObjectReader(tape: tape, object: index)
        }
    }

    func holdsArray(_ key: String) -> Bool {
        guard let index = lookup(key) else { return false }
        return tape.tokens[index].kind == .array
    }

    func readPlainString<T>(_ key: String, _ read: (UnsafeRawBufferPointer) -> T?) -> FieldRead<T> {
        guard let index = lookup(key) else { return .absent }
        let token = tape.tokens[index]
        guard token.kind != .null else { return .absent }
        guard token.kind == .string, token.isPlain, let value = read(tape.raw(index)) else { return .mismatch }
        return .value(value)
    }
}
