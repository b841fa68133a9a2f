/// The text of a JSON string's contents (the bytes between its quotes), read as Foundation's
/// `JSONDecoder` reads it.
enum JSONStringText {
    /// The string, or `nil` when Foundation refuses it: an unknown escape, `\u` without four
    /// hexadecimal digits, a surrogate without its pair, a control character below U+0020, bytes
    /// that are not UTF-8.
    static func strict(_ raw: UnsafeRawBufferPointer) -> String? {
        guard raw.contains(UInt8(ascii: "\\")) else {
            guard !raw.contains(where: { $0 < 0x20 }) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }
        // Unescaping never lengthens the text (`\n` is one byte, `\u00e9` two, a surrogate pair's
        // twelve bytes four), so it is written into memory of the raw size, on the stack when small.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { utf8 -> String? in
            var count = 0
            func append(_ byte: UInt8) {
                utf8[count] = byte
                count += 1
            }
            var i = 0
            while i < raw.count {
                let b = raw[i]
                if b < 0x20 { return nil }
                guard b == UInt8(ascii: "\\") else {
                    append(b)
                    i += 1
                    continue
                }
                guard i + 1 < raw.count else { return nil }
                let kind = raw[i + 1]
                i += 2
                switch kind {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): append(kind)
                case UInt8(ascii: "b"): append(0x08)
                case UInt8(ascii: "f"): append(0x0C)
                case UInt8(ascii: "n"): append(0x0A)
                case UInt8(ascii: "r"): append(0x0D)
                case UInt8(ascii: "t"): append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hex4(raw, at: i) else { return nil }
                    i += 4
                    var scalar = unit
                    if (0xD800...0xDBFF).contains(unit) {
                        guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                            let low = hex4(raw, at: i + 2), (0xDC00...0xDFFF).contains(low)
                        else { return nil }
                        scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        return nil
                    }
                    guard let value = Unicode.Scalar(scalar) else { return nil }
                    if let encoded = UTF8.encode(value) { encoded.forEach(append) }
                default:
                    return nil
                }
            }
            return String(validating: UnsafeBufferPointer(rebasing: utf8[..<count]), as: UTF8.self)
        }
    }

    /// The key text ``JSONDuplicateKeys`` compares (lenient: a lone surrogate is U+FFFD), or `nil`.
    static func lenient(_ raw: UnsafeRawBufferPointer) -> String? {
        JSONDuplicateKeys.keyText(raw, escaped: raw.contains(UInt8(ascii: "\\")))
    }

    private static func hex4(_ raw: UnsafeRawBufferPointer, at start: Int) -> UInt32? {
        guard start + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for b in raw[start..<(start + 4)] {
            guard isHexDigit(b) else { return nil }
            value = value << 4 | UInt32(hexValue(b))
        }
        return value
    }
}

/// A JSON number's text read as Foundation's `JSONDecoder` reads a `Double`: the strict grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), the correctly rounded nearest double, and
/// `nil` past what a double holds (an infinite result, or zero from digits that are not all zero).
enum JSONNumberText {
    static func double(_ raw: UnsafeRawBufferPointer) -> Double? {
        var i = 0
        let count = raw.count
        let negative = count > 0 && raw[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        // Integer part.
        guard i < count, isDigit(raw[i]) else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        var nonZero = false
        var exponent = 0
        if raw[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < count, isDigit(raw[i]) {
                accumulate(raw[i], &mantissa, &digits, &nonZero, &exponent, fraction: false)
                i += 1
            }
        }
        if i < count, raw[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, isDigit(raw[i]) else { return nil }
            while i < count, isDigit(raw[i]) {
                accumulate(raw[i], &mantissa, &digits, &nonZero, &exponent, fraction: true)
                i += 1
            }
        }
        var explicitExponent = 0
        if i < count, raw[i] == UInt8(ascii: "e") || raw[i] == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if i < count, raw[i] == UInt8(ascii: "+") || raw[i] == UInt8(ascii: "-") {
                exponentNegative = raw[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < count, isDigit(raw[i]) else { return nil }
            while i < count, isDigit(raw[i]) {
                if explicitExponent < 100_000 { explicitExponent = explicitExponent * 10 + Int(raw[i] - 48) }
                i += 1
            }
            if exponentNegative { explicitExponent = -explicitExponent }
        }
        guard i == count else { return nil }
        let value: Double
        let power = exponent + explicitExponent
        if digits <= 15, mantissa < 1 << 53, (-22...22).contains(power) {
            // Both operands are exact doubles, so one IEEE operation rounds correctly (Clinger).
            let m = Double(mantissa)
            value = power < 0 ? m / exactPowersOfTen[-power] : m * exactPowersOfTen[power]
        } else {
            guard let parsed = Double(String(decoding: raw, as: UTF8.self)) else { return nil }
            value = abs(parsed)
        }
        guard value.isFinite, value != 0 || !nonZero else { return nil }
        return negative ? -value : value
    }

    /// Adds one digit to the first 19 significant digits; later digits only move the exponent
    /// (and send the value to the exact fallback, since `digits` passes 15).
    @inline(__always)
    private static func accumulate(
        _ digit: UInt8,
        _ mantissa: inout UInt64,
        _ digits: inout Int,
        _ nonZero: inout Bool,
        _ exponent: inout Int,
        fraction: Bool
    ) {
        let d = UInt64(digit - 48)
        if d != 0 { nonZero = true }
        if mantissa == 0 && d == 0 {
            if fraction { exponent -= 1 }
            return
        }
        if digits < 19 {
            mantissa = mantissa * 10 + d
            digits += 1
            if fraction { exponent -= 1 }
        } else {
            digits += 1
            if !fraction { exponent += 1 }
        }
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { power in
        var value = 1.0
        for _ in 0..<power { value *= 10 }
        return value
    }
}
