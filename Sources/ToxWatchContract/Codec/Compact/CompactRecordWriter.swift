import Foundation

/// Appends the primitive values of the compact event form to a byte array: fixed-width numbers
/// little-endian, lengths and small integers as LEB128 varints, strings as length-prefixed UTF-8.
struct CompactRecordWriter {
    var bytes: [UInt8]

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func uint64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A `Double` as its bit pattern, so it reads back identical (`-0`, every last bit).
    mutating func double(_ value: Double) {
        uint64(value.bitPattern)
    }

    /// A date as the bit pattern of its seconds since 2001-01-01 (`Date`'s own value).
    mutating func date(_ value: Date) {
        double(value.timeIntervalSinceReferenceDate)
    }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A signed integer, zigzag-encoded so that small negative values stay short.
    mutating func int(_ value: Int) {
        let wide = Int64(value)
        varint(UInt64(bitPattern: (wide << 1) ^ (wide >> 63)))
    }

    mutating func string(_ value: String) {
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
}
