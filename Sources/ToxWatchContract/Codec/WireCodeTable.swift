import ToxicityRules

/// A closed set of codes on the wire (an enum whose raw values are the codes), read by the byte
/// reader from a string's bytes through its ``wireCodes`` table.
protocol WireCode: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    static var wireCodes: WireCodeTable<Self> { get }
}

/// The codes of a closed set, matched on the bytes of a plain string (ASCII without escapes:
/// ``JSONTape/Token/isPlain``) without creating a `String`.
///
/// A match is only a shortcut: an ASCII text equals a code as Swift compares strings exactly
/// when it has the code's bytes, so a match is the value `init(rawValue:)` gives, and anything
/// else (no match, or a set with a code that is not ASCII, whose table is empty) is read the
/// general way, which also words the error.
struct WireCodeTable<Code: Sendable>: Sendable {
    private struct Entry: Sendable {
        /// The code's bytes as little-endian words, zero-padded: a code has at most
        /// ``maximumCount`` bytes.
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64)
        var count: Int
        var code: Code
    }

    /// The longest code a table holds (the longest of the contract has 37 bytes).
    static var maximumCount: Int { 40 }

    private let entries: [Entry]

    /// A table of `codes` (text and value), in order: the first of two equal texts wins, as in
    /// an enum's `init(rawValue:)`. A set with a code past ASCII or longer than ``maximumCount``
    /// has an empty table.
    init(_ codes: [(text: String, code: Code)]) {
        guard codes.allSatisfy({ $0.text.utf8.count <= Self.maximumCount && $0.text.utf8.allSatisfy { $0 < 0x80 } })
        else {
            entries = []
            return
        }
        entries = codes.map { text, code in
            let utf8 = Array(text.utf8)
            return utf8.withUnsafeBytes { bytes in
                Entry(
                    words: (
                        Self.word(bytes, at: 0), Self.word(bytes, at: 8), Self.word(bytes, at: 16),
                        Self.word(bytes, at: 24), Self.word(bytes, at: 32)
                    ),
                    count: bytes.count,
                    code: code
                )
            }
        }
    }

    /// The code whose text is `bytes` (ASCII), or `nil`.
    func code(_ bytes: UnsafeRawBufferPointer) -> Code? {
        let count = bytes.count
        guard count <= Self.maximumCount else { return nil }
        let head = Self.word(bytes, at: 0)
        for entry in entries where entry.words.0 == head && entry.count == count {
            if count <= 8 { return entry.code }
            if entry.words.1 == Self.word(bytes, at: 8), count <= 16 || entry.words.2 == Self.word(bytes, at: 16),
                count <= 24 || entry.words.3 == Self.word(bytes, at: 24),
                count <= 32 || entry.words.4 == Self.word(bytes, at: 32)
            {
                return entry.code
            }
        }
        return nil
    }

    /// Eight bytes from `offset` as a little-endian word, zero-padded past the end.
    @inline(__always)
    private static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        if offset + 8 <= bytes.count {
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        // Fewer than eight bytes left: two loads of half the size that overlap (or meet) cover
        // them, the overlapping bytes being equal.
        let count = bytes.count - offset
        guard count > 0 else { return 0 }
        if count >= 4 {
            let low = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let high = UInt64(
                UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + count - 4, as: UInt32.self)))
            return low | high << (8 * (count - 4))
        }
        if count >= 2 {
            let low = UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            let high = UInt64(
                UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + count - 2, as: UInt16.self)))
            return low | high << (8 * (count - 2))
        }
        return UInt64(bytes[offset])
    }
}

extension WireCodeTable where Code: WireCode {
    /// The table of every case, by raw value.
    init() { self.init(Code.allCases.map { (text: $0.rawValue, code: $0) }) }
}

extension Drug {
    /// The wire names of the drugs with a case of their own.
    static let wireNames = WireCodeTable<Drug>(Drug.known.map { (text: $0.name, code: $0) })

    /// The drug named by a plain string's bytes (``WireCodeTable``) when they are an identifier
    /// that `init(name:)` would neither trim nor lower-case, as it reads them; `nil` otherwise.
    init?(plainName utf8: UnsafeRawBufferPointer) {
        guard let first = utf8.first, let last = utf8.last, first != UInt8(ascii: " "), last != UInt8(ascii: " "),
            utf8.count <= InputIdentifier.maxBytes,
            !utf8.contains(where: { $0 == 0x7F || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else { return nil }
        self = Self.wireNames.code(utf8) ?? .other(String(decoding: utf8, as: UTF8.self))
    }
}

extension EventType: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension ClinicalEventType: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension Sex: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension OxygenDevice: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension Consciousness: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension Seizure: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension MotorWeakness: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension CerebralEdema: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension RaisedICPSign: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension LabTest: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension ClinicalFinding: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension MedicationAction: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension Route: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension StockStatus: WireCode { static let wireCodes = WireCodeTable<Self>() }
extension DeadLetterReason: WireCode { static let wireCodes = WireCodeTable<Self>() }
