public import Foundation

// Random values for the writer property tests: what an encoder must get byte for byte right
// (escapes, control characters, non-ASCII, fractional and huge numbers, dates far apart).

extension SplitMix64 {
    /// The characters a random string is made of: plain ASCII, everything JSON escapes, DEL, and
    /// non-ASCII of every UTF-8 length (including U+2028, which JSON does not escape).
    private static let stringAlphabet: [Character] =
        Array("aZ09 -_.:") + ["\"", "\\", "/", "\n", "\r", "\t", "\u{8}", "\u{C}", "\u{0}", "\u{1}", "\u{1F}"]
        + ["\u{7F}", "é", "ß", "\u{2028}", "中", "😀", "\u{301}"]

    /// A string of up to `maxLength` characters drawn from every class JSON treats differently.
    public mutating func jsonString(maxLength: Int = 12) -> String {
        let length = Int(next() % UInt64(maxLength + 1))
        var text = ""
        for _ in 0..<length { text.append(Self.stringAlphabet[Int(next() % UInt64(Self.stringAlphabet.count))]) }
        return text
    }

    /// A string, or `nil` one time in three.
    public mutating func optionalJSONString() -> String? { next() % 3 == 0 ? nil : jsonString() }

    /// A finite `Double` of the kinds a payload carries: whole and fractional doses, negative zero,
    /// the edges where `description` switches to exponents, tiny and huge magnitudes, random bits.
    public mutating func jsonDouble() -> Double {
        switch next() % 10 {
        case 0: return Double(Int64(bitPattern: next()) % 1000)
        case 1: return Double(next() % 100_000) / 8  // doses in eighths: 12.5, 0.125 …
        case 2: return Double(next() % 1000) / 10  // 37.2, 0.1 …
        case 3:
            return [0.0, -0.0, 1e15, -1e15, 1e15 - 1, 1e16, 9_007_199_254_740_992, 0.1, 1e-7, .leastNonzeroMagnitude][
                Int(next() % 10)]
        case 4:
            return Double(sign: next() % 2 == 0 ? .plus : .minus, exponent: Int(next() % 200) - 100, significand: 1.5)
        default:
            while true {
                let value = Double(bitPattern: next())
                if value.isFinite { return value }
            }
        }
    }

    /// A `Double`, or `nil` one time in three.
    public mutating func optionalJSONDouble() -> Double? { next() % 3 == 0 ? nil : jsonDouble() }

    /// An instant between the years 1700 and 2200: whole seconds, milliseconds, or any fraction,
    /// some a hair below a whole second.
    public mutating func jsonDate() -> Date {
        let seconds = Double(Int64(next() % 15_778_800_000) - 8_520_000_000)
        switch next() % 4 {
        case 0: return Date(timeIntervalSince1970: seconds)
        case 1: return Date(timeIntervalSince1970: seconds + Double(next() % 1000) / 1000)
        case 2: return Date(timeIntervalSinceReferenceDate: (seconds - 978_307_200).nextDown)
        default: return Date(timeIntervalSince1970: seconds + Double(next() % 1_000_000_000) / 1e9)
        }
    }

    /// A date, or `nil` one time in three.
    public mutating func optionalJSONDate() -> Date? { next() % 3 == 0 ? nil : jsonDate() }

    /// A small count (0–`max`), an empty one more often than otherwise.
    public mutating func count(max: Int) -> Int { next() % 3 == 0 ? 0 : Int(next() % UInt64(max + 1)) }

    /// An `Int` of any size.
    public mutating func jsonInt() -> Int {
        next() % 2 == 0 ? Int(truncatingIfNeeded: next()) : Int(next() % 200) - 100
    }

    /// One of `choices`.
    public mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }
}

/// Where two documents first differ, as text around that byte (`nil` when they are equal): a
/// failing byte comparison says what differs without printing both documents as numbers.
public func firstDifference(_ actual: [UInt8], _ expected: [UInt8]) -> String? {
    guard actual != expected else { return nil }
    let index =
        zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(actual.count, expected.count)
    func around(_ bytes: [UInt8]) -> String {
        String(decoding: bytes[max(0, index - 60)..<min(bytes.count, index + 40)], as: UTF8.self)
    }
    return "at byte \(index): got …\(around(actual))… expected …\(around(expected))…"
}
