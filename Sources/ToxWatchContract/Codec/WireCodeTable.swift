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
        /// The code's first eight bytes as a little-endian word (zero-padded when shorter).
        var head: UInt64
        var count: Int
        /// Where its bytes start in ``utf8``.
        var offset: Int
        var code: Code
    }

    private let entries: [Entry]
    private let utf8: [UInt8]

    /// A table of `codes` (text and value), in order: the first of two equal texts wins, as in
    /// an enum's `init(rawValue:)`.
    init(_ codes: [(text: String, code: Code)]) {
        guard codes.allSatisfy({ $0.text.utf8.allSatisfy { $0 < 0x80 } }) else {
            entries = []
            utf8 = []
            return
        }
        var entries: [Entry] = []
        var utf8: [UInt8] = []
        for (text, code) in codes {
            let bytes = Array(text.utf8)
            let head = bytes.withUnsafeBytes { Self.head($0) }
            entries.append(Entry(head: head, count: bytes.count, offset: utf8.count, code: code))
            utf8 += bytes
        }
        self.entries = entries
        self.utf8 = utf8
    }

    /// The code whose text is `bytes` (ASCII), or `nil`.
    func code(_ bytes: UnsafeRawBufferPointer) -> Code? {
        let head = Self.head(bytes)
        let count = bytes.count
        for entry in entries where entry.head == head && entry.count == count {
            guard count > 8 else { return entry.code }
            let equal = utf8.withUnsafeBytes { all in
                bytesEqual(
                    UnsafeRawBufferPointer(rebasing: all[(entry.offset + 8)..<(entry.offset + count)]),
                    UnsafeRawBufferPointer(rebasing: bytes[8...]))
            }
            if equal { return entry.code }
        }
        return nil
    }

    /// The first eight bytes as a little-endian word, zero-padded.
    @inline(__always)
    private static func head(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        if bytes.count >= 8 { return UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for (index, byte) in bytes.enumerated() { word |= UInt64(byte) << (8 * index) }
        return word
    }
}

extension WireCodeTable where Code: WireCode {
    /// The table of every case, by raw value.
    init() { self.init(Code.allCases.map { (text: $0.rawValue, code: $0) }) }
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
