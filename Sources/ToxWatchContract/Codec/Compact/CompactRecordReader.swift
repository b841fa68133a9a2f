import Foundation

/// Reads what ``CompactRecordWriter`` writes, from `position` on, never past `bytes.count`: every
/// read of bytes that are not there, or that no writer produces, throws instead of trapping.
struct CompactRecordReader {
    let bytes: [UInt8]
    var position: Int

    mutating func byte() throws(CompactDecodingError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint16() throws(CompactDecodingError) -> UInt16 {
        guard bytes.count - position >= 2 else { throw .truncated }
        defer { position += 2 }
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    mutating func uint64() throws(CompactDecodingError) -> UInt64 {
        guard bytes.count - position >= 8 else { throw .truncated }
        defer { position += 8 }
        return Self.uint64(bytes, at: position)
    }

    /// The little-endian `UInt64` at `offset` (which the caller knows to be in bounds).
    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }

    mutating func double() throws(CompactDecodingError) -> Double {
        Double(bitPattern: try uint64())
    }

    mutating func date() throws(CompactDecodingError) -> Date {
        Date(timeIntervalSinceReferenceDate: try double())
    }

    mutating func varint() throws(CompactDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            let bits = UInt64(next & 0x7F)
            guard shift < 64, shift < 63 || bits <= 1 else { throw .malformedNumber }
            value |= bits << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func int() throws(CompactDecodingError) -> Int {
        let zigzag = try varint()
        return Int(truncatingIfNeeded: Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1))))
    }

    /// A length or count: a varint no larger than the bytes left (each element takes at least one).
    mutating func length() throws(CompactDecodingError) -> Int {
        let length = try varint()
        guard length <= UInt64(bytes.count - position) else { throw .malformedNumber }
        return Int(length)
    }

    mutating func string() throws(CompactDecodingError) -> String {
        let count = try length()
        defer { position += count }
        guard let text = String(validating: bytes[position..<position + count], as: UTF8.self) else {
            throw .invalidUTF8
        }
        return text
    }

    /// Skips a string, returning the range of its UTF-8 bytes.
    mutating func stringRange() throws(CompactDecodingError) -> Range<Int> {
        let count = try length()
        defer { position += count }
        return position..<position + count
    }
}
