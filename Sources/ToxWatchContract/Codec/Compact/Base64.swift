/// Base64 with the URL and file name safe alphabet (RFC 4648 §5: `-` and `_` for `+` and `/`, with
/// `=` padding), as the changelog record carries a compact course: no character of it needs an
/// escape in a JSON string. Written and read without Foundation.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The value of each ASCII byte as a base64 digit (0xFF: not a digit).
    private static let digitValues: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, digit) in alphabet.enumerated() { values[Int(digit)] = UInt8(value) }
        return values
    }()

    /// The base64url text of `bytes`, as ASCII bytes.
    package static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let length = (bytes.count + 2) / 3 * 4
        return [UInt8](unsafeUninitializedCapacity: length) { text, initialized in
            bytes.withUnsafeBufferPointer { input in
                alphabet.withUnsafeBufferPointer { digit in
                    var index = 0
                    var out = 0
                    while index + 3 <= input.count {
                        let group =
                            UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        text[out] = digit[Int(group >> 18)]
                        text[out + 1] = digit[Int(group >> 12 & 0x3F)]
                        text[out + 2] = digit[Int(group >> 6 & 0x3F)]
                        text[out + 3] = digit[Int(group & 0x3F)]
                        index += 3
                        out += 4
                    }
                    let rest = input.count - index
                    guard rest > 0 else { return }
                    let second = rest == 2 ? UInt32(input[index + 1]) : 0
                    let group = UInt32(input[index]) << 16 | second << 8
                    text[out] = digit[Int(group >> 18)]
                    text[out + 1] = digit[Int(group >> 12 & 0x3F)]
                    text[out + 2] = rest == 2 ? digit[Int(group >> 6 & 0x3F)] : UInt8(ascii: "=")
                    text[out + 3] = UInt8(ascii: "=")
                }
            }
            initialized = length
        }
    }

    /// The bytes of base64url text; throws on anything but canonical padded base64url (no whitespace,
    /// zero bits after the last byte).
    package static func decode(_ text: some Collection<UInt8>) throws(CompactDecodingError) -> [UInt8] {
        let text = Array(text)
        guard text.count % 4 == 0 else { throw .invalidBase64 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 4 * 3)
        var index = 0
        while index < text.count {
            let last = index + 4 == text.count
            let padding =
                last && text[index + 3] == UInt8(ascii: "=") ? (text[index + 2] == UInt8(ascii: "=") ? 2 : 1) : 0
            var group: UInt32 = 0
            for offset in 0..<4 {
                let digit = offset < 4 - padding ? digitValues[Int(text[index + offset])] : 0
                guard digit != 0xFF else { throw .invalidBase64 }
                group = group << 6 | UInt32(digit)
            }
            bytes.append(UInt8(truncatingIfNeeded: group >> 16))
            if padding < 2 { bytes.append(UInt8(truncatingIfNeeded: group >> 8)) }
            if padding < 1 { bytes.append(UInt8(truncatingIfNeeded: group)) }
            guard padding == 0 || group & (padding == 2 ? 0xFFFF : 0xFF) == 0 else { throw .invalidBase64 }
            index += 4
        }
        return bytes
    }
}
