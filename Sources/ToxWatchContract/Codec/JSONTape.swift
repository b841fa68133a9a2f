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

    /// Tokens scanned into memory on the stack (1 KiB, and 512 bytes for the key table); a
    /// document with more is scanned again into memory on the heap.
    static let stackTokens = 64

    let bytes: UnsafeRawBufferPointer
    /// The scanned tokens, valid while ``scan(_:_:)`` runs its body.
    let tokens: UnsafeBufferPointer<Token>
    /// The plain keys of every object, by their object and hash (open addressing, at most half
    /// full): an entry is the object's token index in the high 32 bits and the key's in the low
    /// ones, 0 when free (the first token is never a key).
    let keyTable: UnsafeBufferPointer<UInt64>
    /// Set when two keys of one object may have the same text (as Swift strings compare), which
    /// the contract refuses (``JSONDuplicateKeys`` decides, and names the first one): two plain
    /// keys with the same bytes, or a key that is not plain (escapes and non-ASCII text compare
    /// after unescaping and normalization).
    let hasEqualKeys: Bool

    /// Scans `bytes` (UTF-8, an optional byte-order mark) and gives `body` the tape, or `nil` when
    /// they are not a JSON document Foundation would read. The tape is valid only inside `body`.
    static func scan<Result, Failure: Error>(
        _ bytes: UnsafeRawBufferPointer,
        _ body: (JSONTape?) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withUnsafeTemporaryAllocation(of: Token.self, capacity: stackTokens) { tokens throws(Failure) in
            try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: stackTokens) { table throws(Failure) in
                if let tape = scan(bytes, into: tokens, table: table) { return try body(tape) }
                // Every token takes at least one byte of its own and, but for the first, one
                // separator or bracket: a document of n bytes has at most n / 2 + 1 tokens, and
                // at most half of them are keys.
                let capacity = bytes.count / 2 + 2
                let tokens = UnsafeMutableBufferPointer<Token>.allocate(capacity: capacity)
                let table = UnsafeMutableBufferPointer<UInt64>.allocate(
                    capacity: 1 << (Int.bitWidth - capacity.leadingZeroBitCount)
                )
                defer {
                    tokens.deallocate()
                    table.deallocate()
                }
                return try body(scan(bytes, into: tokens, table: table) ?? nil)
            }
        }
    }

    /// The tape scanned into `tokens` and `table` (whose size is a power of two, at least the
    /// number of tokens): `.some(nil)` when the bytes are not a JSON document, `nil` when
    /// `tokens` is too small for them.
    private static func scan(
        _ bytes: UnsafeRawBufferPointer,
        into tokens: UnsafeMutableBufferPointer<Token>,
        table: UnsafeMutableBufferPointer<UInt64>
    ) -> JSONTape?? {
        table.update(repeating: 0)
        var scanner = JSONScanner(bytes: bytes, tokens: tokens, keyTable: table)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { scanner.position = 3 }
        let scanned = scanner.value(depth: 1)
        if scanner.isOutOfTokens { return nil }
        guard scanned else { return .some(nil) }
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else { return .some(nil) }
        return JSONTape(
            bytes: bytes,
            tokens: UnsafeBufferPointer(rebasing: tokens[..<scanner.count]),
            keyTable: UnsafeBufferPointer(table),
            hasEqualKeys: scanner.hasEqualKeys
        )
    }

    /// The raw bytes of a token's range.
    func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let token = tokens[index]
        return UnsafeRawBufferPointer(
            start: bytes.baseAddress! + Int(token.start),
            count: Int(token.end - token.start)
        )
    }

    /// The token of the plain key of the object at token `object` whose bytes are `wanted`.
    func plainKey(_ wanted: UnsafeRawBufferPointer, in object: Int) -> Int? {
        let hash = Self.keyHash(wanted)
        let mask = keyTable.count - 1
        var slot = Self.slot(hash, object: object, mask: mask)
        while true {
            let entry = keyTable[slot]
            guard entry != 0 else { return nil }
            if Int(entry >> 32) == object {
                let key = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)
                if tokens[key].hash == hash, bytesEqual(raw(key), wanted) { return key }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The first slot of the key table to probe for a key of `object` with `hash`.
    @inline(__always)
    static func slot(_ hash: UInt16, object: Int, mask: Int) -> Int {
        let mixed = (UInt64(hash) | UInt64(truncatingIfNeeded: object) << 16) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 40) & mask
    }

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
