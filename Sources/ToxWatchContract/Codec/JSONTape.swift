/// The structure of one JSON document as a flat list of tokens over its bytes (a "tape"), read in
/// one pass without Foundation: the event codec's first step (``EventCodec``).
///
/// What the scan checks is what Foundation's `JSONDecoder` checks before any value is read, so
/// that both accept and refuse the same documents: the grammar of objects, arrays and literals
/// (a trailing comma before `}` or `]` is accepted, as Foundation does), at most
/// ``maximumDepth`` levels of nesting, strings closed by their quote. A string's contents
/// (escapes, control characters, UTF-8) and a number's syntax and magnitude are checked only when
/// the value is read (``JSONObjectReader``), again as Foundation does: an unknown field holding
/// `"\q"` or `01` is ignored, a known one is refused.
///
/// Tokens of an object are its keys and values in order (a key, then the value's tokens); every
/// value token knows the index just past its value (`next`), so a value is skipped in one step,
/// and every key knows the index of its object's next key, so an object's keys are walked in one
/// step each. The tokens live in memory the caller lends (``scan(_:_:)``): on the stack for an
/// event, so reading one allocates nothing for its structure.
struct JSONTape {
    enum Kind: UInt8 {
        case object, array, string, number, literalTrue, literalFalse, null
    }

    struct Token {
        var kind: Kind
        /// A string with no escape, no control character and no byte past ASCII: its bytes are
        /// its text.
        var isPlain: Bool
        /// A plain key's ``keyHash(_:)``, compared before its bytes.
        var hash: UInt16
        /// Byte range: a string's contents between its quotes, a number's or a literal's text,
        /// a container's opening bracket.
        var start: Int32
        var end: Int32
        /// For a value, the index of the token after it (after a container's last member); for
        /// a key, the index of its object's next key (the index after the object for the last).
        var next: Int32
    }

    /// Foundation refuses more levels of arrays and objects than this.
    static let maximumDepth = 512

    /// Tokens scanned into memory on the stack (1 KiB); a document with more is scanned again
    /// into memory on the heap.
    static let stackTokens = 64

    let bytes: UnsafeRawBufferPointer
    /// The scanned tokens, valid while ``scan(_:_:)`` runs its body.
    let tokens: UnsafeBufferPointer<Token>
    /// Set when two keys of one object may have the same text (as Swift strings compare), which
    /// the contract refuses (``JSONDuplicateKeys`` decides, and names the first one): two plain
    /// keys with the same bytes, a key that is not plain (escapes and non-ASCII text compare
    /// after unescaping and normalization), or an object with more keys than
    /// ``keysComparedPairwise``.
    let hasEqualKeys: Bool

    /// Scans `bytes` (UTF-8, an optional byte-order mark) and gives `body` the tape, or `nil` when
    /// they are not a JSON document Foundation would read. The tape is valid only inside `body`.
    static func scan<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (JSONTape?) -> Result) -> Result {
        let onStack = withUnsafeTemporaryAllocation(of: Token.self, capacity: stackTokens) { memory in
            scan(bytes, into: memory).map(body)
        }
        if let onStack { return onStack }
        // Every token takes at least one byte of its own and, but for the first, one separator or
        // bracket: a document of n bytes has at most n / 2 + 1 tokens.
        let memory = UnsafeMutableBufferPointer<Token>.allocate(capacity: bytes.count / 2 + 2)
        defer { memory.deallocate() }
        return scan(bytes, into: memory).map(body) ?? body(nil)
    }

    /// The tape scanned into `memory`: `.some(nil)` when the bytes are not a JSON document, `nil`
    /// when `memory` is too small for its tokens.
    private static func scan(_ bytes: UnsafeRawBufferPointer, into memory: UnsafeMutableBufferPointer<Token>)
        -> JSONTape??
    {
        var scanner = JSONScanner(bytes: bytes, tokens: memory)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { scanner.position = 3 }
        let scanned = scanner.value(depth: 1)
        if scanner.isOutOfTokens { return nil }
        guard scanned else { return .some(nil) }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { return .some(nil) }
        let tokens = UnsafeBufferPointer(rebasing: memory[..<scanner.count])
        return JSONTape(bytes: bytes, tokens: tokens, hasEqualKeys: scanner.hasEqualKeys)
    }

    /// The raw bytes of a token's range.
    func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let token = tokens[index]
        return UnsafeRawBufferPointer(
            start: bytes.baseAddress! + Int(token.start),
            count: Int(token.end - token.start)
        )
    }

    /// Whether the plain key at `index` has the bytes of `wanted`, whose hash is `hash`.
    func plainKey(_ index: Int, equals wanted: UnsafeRawBufferPointer, hash: UInt16) -> Bool {
        let token = tokens[index]
        guard token.hash == hash, Int(token.end - token.start) == wanted.count else { return false }
        return bytesEqual(raw(index), wanted)
    }

    /// Objects with more keys than this are not compared to each other during the scan (which
    /// would cost the square of their size): they are left to ``JSONDuplicateKeys``, which hashes.
    static let keysComparedPairwise = 32

    /// A 16-bit hash of a key's bytes from its length and three of its bytes: keys of the
    /// contract differ in these, so a lookup compares the bytes of the one key it finds.
    @inline(__always)
    static func keyHash(_ key: UnsafeRawBufferPointer) -> UInt16 {
        let count = key.count
        guard count > 0 else { return 0 }
        let mixed =
            UInt32(truncatingIfNeeded: count) | UInt32(key[0]) << 8 | UInt32(key[count / 2]) << 16
            | UInt32(key[count - 1]) << 24
        return UInt16(truncatingIfNeeded: (mixed &* 0x9E37_79B1) >> 16)
    }
}

/// Whether two byte ranges hold the same bytes (eight at a time).
@inline(__always)
func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let count = a.count
    guard count == b.count else { return false }
    guard count > 0 else { return true }
    let p = a.baseAddress!
    let q = b.baseAddress!
    var i = 0
    while i + 8 <= count {
        guard p.loadUnaligned(fromByteOffset: i, as: UInt64.self) == q.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        else { return false }
        i += 8
    }
    while i < count {
        guard p.load(fromByteOffset: i, as: UInt8.self) == q.load(fromByteOffset: i, as: UInt8.self) else {
            return false
        }
        i += 1
    }
    return true
}
