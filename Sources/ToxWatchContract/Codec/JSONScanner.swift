/// The recursive-descent scan of ``JSONTape/scan(_:_:)``: tokens are written into memory lent
/// by the caller, keys are checked for duplicates as they are met.
struct JSONScanner {
    typealias Token = JSONTape.Token

    let bytes: UnsafeRawBufferPointer
    let tokens: UnsafeMutableBufferPointer<Token>
    /// See ``JSONTape/keyTable``.
    let keyTable: UnsafeMutableBufferPointer<UInt64>
    var position = 0
    /// Tokens written.
    private(set) var count = 0
    /// The document has more tokens than `tokens` holds (the scan stopped, the bytes may be JSON).
    private(set) var isOutOfTokens = false
    /// See ``JSONTape/hasEqualKeys``.
    private(set) var hasEqualKeys = false

    init(
        bytes: UnsafeRawBufferPointer, tokens: UnsafeMutableBufferPointer<Token>,
        keyTable: UnsafeMutableBufferPointer<UInt64>
    ) {
        self.bytes = bytes
        self.tokens = tokens
        self.keyTable = keyTable
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            position += 1
            while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
            return append(.number, start, position) != nil
        case UInt8(ascii: "t"): return literal(0x6575_7274, count: 4, .literalTrue)  // "true"
        case UInt8(ascii: "f"): return literal(0x736C_6166, count: 5, .literalFalse)  // "fals", then "e"
        case UInt8(ascii: "n"): return literal(0x6C6C_756E, count: 4, .null)  // "null"
        default: return false
        }
    }

    /// Appends a token that closes at once (a string, a number, a literal); `nil` when the tokens
    /// are full.
    private mutating func append(_ kind: JSONTape.Kind, _ start: Int, _ end: Int, plain: Bool = false) -> Int? {
        guard count < tokens.count else {
            isOutOfTokens = true
            return nil
        }
        let index = count
        tokens[index] = Token(
            kind: kind,
            isPlain: plain,
            hash: 0,
            start: Int32(truncatingIfNeeded: start),
            end: Int32(truncatingIfNeeded: end),
            next: Int32(truncatingIfNeeded: index + 1)
        )
        count += 1
        return index
    }

    /// A literal whose first four bytes, read as a little-endian word, are `word`; `false` has
    /// a fifth, `e`.
    private mutating func literal(_ word: UInt32, count length: Int, _ kind: JSONTape.Kind) -> Bool {
        guard position + length <= bytes.count,
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)) == word,
            length == 4 || bytes[position + 4] == UInt8(ascii: "e")
        else { return false }
        guard append(kind, position, position + length) != nil else { return false }
        position += length
        return true
    }

    /// A string from its opening quote: `\u` takes the four bytes after it whatever they are but a
    /// quote, any other escape the one byte after the backslash (Foundation's scan).
    /// - Returns: the string's token, `nil` when the bytes end first or the tokens are full.
    private mutating func string() -> Int? {
        let start = position + 1
        var i = start
        let end = bytes.count
        // Eight bytes at a time up to the first quote, backslash, control character or byte past
        // ASCII: most strings of an event end at that quote.
        if let base = bytes.baseAddress {
            while i + 8 <= end {
                let special = Self.specialBytes(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                guard special == 0 else {
                    i += special.trailingZeroBitCount / 8
                    break
                }
                i += 8
            }
        }
        var plain = true
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                position = i + 1
                return append(.string, start, i, plain: plain)
            }
            if b == UInt8(ascii: "\\") {
                plain = false
                guard i + 1 < end, bytes[i + 1] == UInt8(ascii: "u") else {
                    i += 2
                    continue
                }
                // `\u` needs four bytes before the string ends (Foundation checks that they are
                // hexadecimal digits only when the string is read).
                guard i + 6 <= end,
                    !UnsafeRawBufferPointer(rebasing: bytes[(i + 2)..<(i + 6)]).contains(UInt8(ascii: "\""))
                else { return nil }
                i += 6
                continue
            }
            if b < 0x20 || b >= 0x80 { plain = false }
            i += 1
        }
        return nil
    }

    /// The high bit of each of eight bytes (little-endian) that is a quote, a backslash, below
    /// U+0020 or past ASCII, or of a byte after such a byte: the zero-byte tests of "Bit
    /// Twiddling Hacks", exact up to the first byte they flag.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func zeroBytes(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let belowSpace = (word &- ones &* 0x20) & ~word & highs
        return (word & highs) | belowSpace | zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5C))
    }

    /// An object from its opening brace. Its token's `isPlain` says whether all its keys are.
    private mutating func object(depth: Int) -> Bool {
        guard depth <= JSONTape.maximumDepth, let index = append(.object, position, position + 1, plain: true) else {
            return false
        }
        position += 1
        skipWhitespace()
        if closeIfNext(UInt8(ascii: "}"), container: index) { return true }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else {
                return false
            }
            enter(key: key, of: index)
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
            position += 1
            guard value(depth: depth + 1) else { return false }
            tokens[key].next = Int32(truncatingIfNeeded: count)
            guard let closed = afterMember(closing: UInt8(ascii: "}"), container: index) else { return false }
            if closed { return true }
        }
    }

    /// Enters the key at token `key` into the key table under its object's token `object`, and
    /// sets ``hasEqualKeys`` when the object already has a key with its bytes or the key is not
    /// plain (a key with the same bytes is not entered: the first stays).
    private mutating func enter(key: Int, of object: Int) {
        guard tokens[key].isPlain else {
            hasEqualKeys = true
            tokens[object].isPlain = false
            return
        }
        let raw = UnsafeRawBufferPointer(
            start: bytes.baseAddress! + Int(tokens[key].start),
            count: Int(tokens[key].end - tokens[key].start)
        )
        let hash = JSONTape.keyHash(raw)
        tokens[key].hash = hash
        let mask = keyTable.count - 1
        var slot = JSONTape.slot(hash, object: object, mask: mask)
        while keyTable[slot] != 0 {
            let entry = keyTable[slot]
            if Int(entry >> 32) == object {
                let other = tokens[Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)]
                if other.hash == hash,
                    bytesEqual(
                        UnsafeRawBufferPointer(
                            start: bytes.baseAddress! + Int(other.start), count: Int(other.end - other.start)),
                        raw
                    )
                {
                    hasEqualKeys = true
                    return
                }
            }
            slot = (slot + 1) & mask
        }
        keyTable[slot] = UInt64(truncatingIfNeeded: object) << 32 | UInt64(truncatingIfNeeded: key)
    }

    private mutating func array(depth: Int) -> Bool {
        guard depth <= JSONTape.maximumDepth, let index = append(.array, position, position + 1) else {
            return false
        }
        position += 1
        skipWhitespace()
        if closeIfNext(UInt8(ascii: "]"), container: index) { return true }
        while true {
            guard value(depth: depth + 1) else { return false }
            guard let closed = afterMember(closing: UInt8(ascii: "]"), container: index) else { return false }
            if closed { return true }
        }
    }

    /// After a member of the container opened at token `index`: its closing byte, or a comma —
    /// then a trailing comma before the closing byte closes it too (Foundation reads `{"a":1,}` as
    /// `{"a":1}` and `[1,]` as `[1]`).
    /// - Returns: true when the container closed, false when another member follows, nil when the
    ///   bytes are neither.
    private mutating func afterMember(closing close: UInt8, container index: Int) -> Bool? {
        skipWhitespace()
        if closeIfNext(close, container: index) { return true }
        guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return nil }
        position += 1
        skipWhitespace()
        return closeIfNext(close, container: index)
    }

    /// Consumes `close` when it is the next byte and closes the container opened at token `index`.
    private mutating func closeIfNext(_ close: UInt8, container index: Int) -> Bool {
        guard position < bytes.count, bytes[position] == close else { return false }
        position += 1
        tokens[index].next = Int32(truncatingIfNeeded: count)
        return true
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }
}
