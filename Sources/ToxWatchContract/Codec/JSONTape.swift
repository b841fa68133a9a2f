/// The structure of one JSON document as a flat list of tokens over its bytes (a "tape"), read in
/// one pass without Foundation: the event codec's first step (``EventCodec``).
///
/// What the scan checks is what Foundation's `JSONDecoder` checks before any value is read, so
/// that both accept and refuse the same documents: the grammar of objects, arrays and literals
/// (a trailing comma before `}` or `]` is accepted, as Foundation does), at most
/// ``maximumDepth`` levels of nesting, strings closed by their quote. A string's contents
/// (escapes, control characters, UTF-8) and a number's syntax and magnitude are checked only when
/// the value is read (``JSONValueReader``), again as Foundation does: an unknown field holding
/// `"\q"` or `01` is ignored, a known one is refused.
///
/// Tokens of an object are its keys and values in order (a key, then the value's tokens); every
/// token knows the index just past its value (`next`), so a value is skipped in one step.
struct JSONTape {
    enum Kind: UInt8 {
        case object, array, string, number, literalTrue, literalFalse, null
    }

    struct Token {
        var kind: Kind
        /// A string with no escape, no control character and no byte past ASCII: its bytes are
        /// its text.
        var isPlain: Bool
        /// Byte range: a string's contents between its quotes, a number's or a literal's text,
        /// a container's opening bracket.
        var start: Int32
        var end: Int32
        /// The index of the token after this value (after a container's last member).
        var next: Int32
    }

    /// Foundation refuses more levels of arrays and objects than this.
    static let maximumDepth = 512

    let bytes: UnsafeRawBufferPointer
    private(set) var tokens: [Token] = []
    /// Set when two keys of one object may have the same text (as Swift strings compare), which
    /// the contract refuses (``JSONDuplicateKeys`` decides, and names the first one), or when an
    /// object has too many keys to compare them pair by pair.
    private(set) var hasEqualKeys = false

    /// Scans `bytes` (UTF-8, an optional byte-order mark); `nil` when they are not a JSON document
    /// Foundation would read.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> JSONTape? {
        var tape = JSONTape(bytes: bytes)
        tape.tokens.reserveCapacity(bytes.count / 6 + 4)
        var scanner = Scanner(bytes: bytes)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { scanner.position = 3 }
        guard scanner.value(into: &tape, depth: 1) else { return nil }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { return nil }
        return tape
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The raw bytes of a token's range.
    func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let token = tokens[index]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(token.start)..<Int(token.end)])
    }

    fileprivate mutating func append(_ token: Token) -> Int {
        tokens.append(token)
        return tokens.count - 1
    }

    fileprivate mutating func close(_ index: Int) {
        tokens[index].next = Int32(tokens.count)
    }

    /// Objects with more keys than this are not compared pair by pair (which would cost the
    /// square of their size): they are left to ``JSONDuplicateKeys``, which hashes.
    static let keysComparedPairwise = 32

    /// Whether the key at `index` has the same text as one of the keys at `earlier`.
    fileprivate mutating func noteKey(_ index: Int, among earlier: ArraySlice<Int>) {
        guard !hasEqualKeys else { return }
        guard earlier.count < Self.keysComparedPairwise else {
            hasEqualKeys = true
            return
        }
        let key = tokens[index]
        let raw = self.raw(index)
        for other in earlier {
            let candidate = tokens[other]
            if key.isPlain && candidate.isPlain {
                if raw.elementsEqual(self.raw(other)) {
                    hasEqualKeys = true
                    return
                }
            } else if let text = JSONStringText.lenient(raw), text == JSONStringText.lenient(self.raw(other)) {
                hasEqualKeys = true
                return
            }
        }
    }
}

/// The recursive-descent scan of ``JSONTape/scan(_:)``.
private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// Key token indices of the objects being scanned (each object's keys are a suffix).
    var keys: [Int] = []

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func value(into tape: inout JSONTape, depth: Int) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "{"): return object(into: &tape, depth: depth)
        case UInt8(ascii: "["): return array(into: &tape, depth: depth)
        case UInt8(ascii: "\""): return string(into: &tape)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            position += 1
            while position < bytes.count, isNumberByte(bytes[position]) { position += 1 }
            tape.close(tape.append(token(.number, start, position)))
            return true
        case UInt8(ascii: "t"): return literal("true", .literalTrue, into: &tape)
        case UInt8(ascii: "f"): return literal("false", .literalFalse, into: &tape)
        case UInt8(ascii: "n"): return literal("null", .null, into: &tape)
        default: return false
        }
    }

    private func token(_ kind: JSONTape.Kind, _ start: Int, _ end: Int, plain: Bool = false) -> JSONTape.Token {
        JSONTape.Token(kind: kind, isPlain: plain, start: Int32(start), end: Int32(end), next: 0)
    }

    private mutating func literal(_ text: StaticString, _ kind: JSONTape.Kind, into tape: inout JSONTape) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: count)
        guard UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]).elementsEqual(expected) else {
            return false
        }
        let index = tape.append(token(kind, position, position + count))
        tape.close(index)
        position += count
        return true
    }

    /// A string from its opening quote: `\u` takes the four bytes after it whatever they are but a
    /// quote, any other escape the one byte after the backslash (Foundation's scan).
    private mutating func string(into tape: inout JSONTape) -> Bool {
        let start = position + 1
        var i = start
        var plain = true
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let index = tape.append(token(.string, start, i, plain: plain))
                tape.close(index)
                position = i + 1
                return true
            }
            if b == UInt8(ascii: "\\") {
                plain = false
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                    i += 2
                    continue
                }
                // `\u` needs four bytes before the string ends (Foundation checks that they are
                // hexadecimal digits only when the string is read).
                guard i + 6 <= bytes.count,
                    !UnsafeRawBufferPointer(rebasing: bytes[(i + 2)..<(i + 6)]).contains(UInt8(ascii: "\""))
                else { return false }
                i += 6
                continue
            }
            if b < 0x20 || b >= 0x80 { plain = false }
            i += 1
        }
        return false
    }

    private mutating func object(into tape: inout JSONTape, depth: Int) -> Bool {
        guard depth <= JSONTape.maximumDepth else { return false }
        let index = tape.append(token(.object, position, position + 1))
        position += 1
        let firstKey = keys.count
        defer { keys.removeSubrange(firstKey...) }
        skipWhitespace()
        if closeIfNext(UInt8(ascii: "}"), container: index, in: &tape) { return true }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), string(into: &tape) else {
                return false
            }
            let key = tape.tokens.count - 1
            tape.noteKey(key, among: keys[firstKey...])
            keys.append(key)
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
            position += 1
            guard value(into: &tape, depth: depth + 1) else { return false }
            guard let closed = afterMember(closing: UInt8(ascii: "}"), container: index, in: &tape) else {
                return false
            }
            if closed { return true }
        }
    }

    private mutating func array(into tape: inout JSONTape, depth: Int) -> Bool {
        guard depth <= JSONTape.maximumDepth else { return false }
        let index = tape.append(token(.array, position, position + 1))
        position += 1
        skipWhitespace()
        if closeIfNext(UInt8(ascii: "]"), container: index, in: &tape) { return true }
        while true {
            guard value(into: &tape, depth: depth + 1) else { return false }
            guard let closed = afterMember(closing: UInt8(ascii: "]"), container: index, in: &tape) else {
                return false
            }
            if closed { return true }
        }
    }

    /// After a member of the container opened at token `index`: its closing byte, or a comma —
    /// then a trailing comma before the closing byte closes it too (Foundation reads `{"a":1,}` as
    /// `{"a":1}` and `[1,]` as `[1]`).
    /// - Returns: true when the container closed, false when another member follows, nil when the
    ///   bytes are neither.
    private mutating func afterMember(closing close: UInt8, container index: Int, in tape: inout JSONTape) -> Bool? {
        skipWhitespace()
        if closeIfNext(close, container: index, in: &tape) { return true }
        guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return nil }
        position += 1
        skipWhitespace()
        return closeIfNext(close, container: index, in: &tape)
    }

    /// Consumes `close` when it is the next byte and closes the container opened at token `index`.
    private mutating func closeIfNext(_ close: UInt8, container index: Int, in tape: inout JSONTape) -> Bool {
        guard position < bytes.count, bytes[position] == close else { return false }
        position += 1
        tape.close(index)
        return true
    }

    private func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }
}
