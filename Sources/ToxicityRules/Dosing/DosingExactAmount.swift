// Exact arithmetic for dose calculations.
//
// Doses must be exactly reproducible and a cap must never be compared through a binary
// floating-point value. Every quantity the dosing code computes is an ``ExactAmount``: a
// rational number (numerator / denominator, both integers, always reduced). Protocol values
// carry at most three decimal places, weights are held in whole grams, and the only divisions
// are by a number of doses per day, so every value is small and every comparison is exact.

/// An exact rational quantity (mg, mg/kg, kg, mL/min …) used by the dose arithmetic.
///
/// The unit is given by the label of the property that holds the value, never by the type.
/// Values are always reduced and the denominator is always positive.
package struct ExactAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The reduced numerator.
    package let numerator: Int64
    /// The reduced, positive denominator.
    package let denominator: Int64

    /// Creates `numerator / denominator`.
    /// - Important: `denominator` must not be zero (a programmer error, never decoded data).
    package init(_ numerator: Int64, over denominator: Int64) {
        precondition(denominator != 0, "ExactAmount with a zero denominator")
        let sign: Int64 = denominator < 0 ? -1 : 1
        let divisor = Self.gcd(Swift.abs(numerator), Swift.abs(denominator))
        self.numerator = sign * numerator / Swift.max(divisor, 1)
        self.denominator = sign * denominator / Swift.max(divisor, 1)
    }

    /// A whole number.
    package init(_ whole: Int) {
        self.init(Int64(whole), over: 1)
    }

    /// A decimal given as an integer count of thousandths (`2500` is 2.5).
    package init(thousandths: Int64) {
        self.init(thousandths, over: 1000)
    }

    /// Converts a binary floating-point value that carries at most `places` decimal places.
    ///
    /// The value is read as the shortest decimal that round-trips (`2.5`, `0.413`), the way it
    /// was written in a file or a feed, so no binary representation error leaks in.
    /// - Returns: `nil` when `value` is not finite, is too large to hold, or has more than
    ///   `places` decimal places (for example `2.0005` with `places: 3`).
    package init?(exactly value: Double, places: Int = 3) {
        guard (0...6).contains(places), let (numerator, decimals) = Self.shortestDecimal(of: value), decimals <= places
        else {
            return nil
        }
        self.init(numerator, over: Self.powerOfTen(decimals))
    }

    /// Converts a measured value by rounding it half-up to `places` decimal places, as a
    /// bedside measurement is charted (a weight to the gram: `places: 3`). The value is read
    /// as its shortest round-trip decimal first, so `2.065` rounds to `2.07` at two places.
    ///
    /// - Returns: `nil` when `value` is not finite or too large to hold.
    package init?(measured value: Double, places: Int) {
        guard (0...6).contains(places) else { return nil }
        // Away from a half-way point, the binary value and its shortest decimal round to the same
        // integer of `places` decimals, so no text is needed (the assessment path reads weights
        // and creatinine this way). Near a half-way point the decimal text decides.
        if value.isFinite {
            let scaled = value * Double(Self.powerOfTen(places))
            if Swift.abs(scaled) < 1e9 {
                let lower = scaled.rounded(.down)
                let fraction = scaled - lower
                if Swift.abs(fraction - 0.5) > 1e-6 {
                    self.init(Int64(fraction > 0.5 ? lower + 1 : lower), over: Self.powerOfTen(places))
                    return
                }
            }
        }
        self.init(measuredViaText: value, places: places)
    }

    /// ``init(measured:places:)`` through the shortest round-trip decimal text (the reference the
    /// fast path must agree with).
    init?(measuredViaText value: Double, places: Int) {
        guard (0...6).contains(places), let (numerator, decimals) = Self.shortestDecimal(of: value) else { return nil }
        guard decimals > places else {
            self.init(numerator, over: Self.powerOfTen(decimals))
            return
        }
        // Drop the extra digits with integer arithmetic, half towards +∞.
        let divisor = Self.powerOfTen(decimals - places)
        let shifted = numerator + divisor / 2
        let quotient = shifted / divisor - ((shifted % divisor != 0 && shifted < 0) ? 1 : 0)
        self.init(quotient, over: Self.powerOfTen(places))
    }

    /// The shortest decimal text that round-trips `value` (its `description`), as an integer
    /// and a number of decimal places: `2.065` → (2065, 3). `nil` for non-finite values,
    /// |value| ≥ 10¹², or more than 18 decimal places.
    private static func shortestDecimal(of value: Double) -> (Int64, Int)? {
        guard value.isFinite, Swift.abs(value) < 1e12 else { return nil }
        var text = Substring(value.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let parsed = Int(text[text.index(after: e)...].filter { $0 != "+" }) else { return nil }
            exponent = parsed
            text = text[..<e]
        }
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, whole.allSatisfy(\.isNumber) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        var digits = Substring(String(whole) + String(fraction))
        while digits.count > 1, digits.hasPrefix("0") { digits = digits.dropFirst() }
        var places = fraction.count - exponent
        guard digits.count <= 17, places <= 18, var numerator = Int64(digits) else { return nil }
        while places < 0 {
            numerator *= 10
            places += 1
        }
        return (negative ? -numerator : numerator, places)
    }

    package static let zero = ExactAmount(0)

    // MARK: Arithmetic

    package static func + (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        ExactAmount(
            lhs.numerator * rhs.denominator + rhs.numerator * lhs.denominator,
            over: lhs.denominator * rhs.denominator
        )
    }

    package static func - (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        ExactAmount(
            lhs.numerator * rhs.denominator - rhs.numerator * lhs.denominator,
            over: lhs.denominator * rhs.denominator
        )
    }

    package static func * (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        // Cross-reduce first so intermediate products stay small.
        let g1 = gcd(Swift.abs(lhs.numerator), rhs.denominator)
        let g2 = gcd(Swift.abs(rhs.numerator), lhs.denominator)
        let n = (lhs.numerator / Swift.max(g1, 1)) * (rhs.numerator / Swift.max(g2, 1))
        let d = (lhs.denominator / Swift.max(g2, 1)) * (rhs.denominator / Swift.max(g1, 1))
        return ExactAmount(n, over: d)
    }

    package static func * (lhs: ExactAmount, rhs: Int) -> ExactAmount {
        lhs * ExactAmount(rhs)
    }

    /// Division; `rhs` must not be zero (a programmer error).
    package static func / (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        precondition(rhs.numerator != 0, "ExactAmount division by zero")
        return lhs * ExactAmount(rhs.denominator, over: rhs.numerator)
    }

    package static func / (lhs: ExactAmount, rhs: Int) -> ExactAmount {
        lhs / ExactAmount(rhs)
    }

    package static func < (lhs: ExactAmount, rhs: ExactAmount) -> Bool {
        Int128(lhs.numerator) * Int128(rhs.denominator) < Int128(rhs.numerator) * Int128(lhs.denominator)
    }

    package static func min(_ a: ExactAmount, _ b: ExactAmount) -> ExactAmount { a < b ? a : b }
    package static func max(_ a: ExactAmount, _ b: ExactAmount) -> ExactAmount { a < b ? b : a }

    // MARK: Rounding

    /// The largest integer not above the value.
    package var floor: Int64 {
        let q = numerator / denominator
        return (numerator % denominator != 0 && numerator < 0) ? q - 1 : q
    }

    /// The smallest integer not below the value.
    package var ceiling: Int64 {
        let q = numerator / denominator
        return (numerator % denominator != 0 && numerator > 0) ? q + 1 : q
    }

    /// Rounds to the nearest integer, halves up (towards +∞): 55.5 → 56, 26.5 → 27.
    package var roundedHalfUp: Int64 {
        ExactAmount(2 * numerator + denominator, over: 2 * denominator).floor
    }

    /// Rounds half-up to `places` decimal places.
    package func roundedHalfUp(places: Int) -> ExactAmount {
        let scale = Self.powerOfTen(places)
        return ExactAmount((self * ExactAmount(scale, over: 1)).roundedHalfUp, over: scale)
    }

    /// Whether the value is a whole number.
    package var isWhole: Bool { denominator == 1 }

    /// The value as a `Double`, for display only (never for a decision).
    package var approximateDouble: Double { Double(numerator) / Double(denominator) }

    // MARK: Text

    /// Decimal text: exact when the value has at most six decimal places (`99.75`, `2.5`,
    /// `400`), otherwise rounded to three places and prefixed with `≈` (`≈20.667`).
    package var description: String {
        if let exact = exactDecimalText { return exact }
        return "≈" + roundedHalfUp(places: 3).decimalText(places: 3)
    }

    /// The value rounded half-up to `places` places, without trailing zeros (`26.8`, `28.6`).
    package func decimalText(places: Int) -> String {
        let value = roundedHalfUp(places: places)
        let scale = Self.powerOfTen(places)
        let scaled = value.numerator * (scale / value.denominator)
        return Self.format(scaled: scaled, places: places)
    }

    private var exactDecimalText: String? {
        for places in 0...6 {
            let scale = Self.powerOfTen(places)
            if scale % denominator == 0 {
                return Self.format(scaled: numerator * (scale / denominator), places: places)
            }
        }
        return nil
    }

    private static func format(scaled: Int64, places: Int) -> String {
        let negative = scaled < 0
        let magnitude = Swift.abs(scaled)
        let scale = powerOfTen(places)
        var text = String(magnitude / scale)
        if places > 0 {
            var fraction = String(magnitude % scale)
            fraction = String(repeating: "0", count: places - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            if !fraction.isEmpty { text += "." + fraction }
        }
        return negative ? "-" + text : text
    }

    private static func powerOfTen(_ places: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<places { result *= 10 }
        return result
    }

    private static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}

extension ExactAmount {
    /// Compares with a whole number without building an intermediate value.
    package static func > (lhs: ExactAmount, rhs: Int) -> Bool { lhs > ExactAmount(rhs) }
    package static func < (lhs: ExactAmount, rhs: Int) -> Bool { lhs < ExactAmount(rhs) }
    package static func <= (lhs: ExactAmount, rhs: Int) -> Bool { !(lhs > rhs) }
    package static func >= (lhs: ExactAmount, rhs: Int) -> Bool { !(lhs < rhs) }
}
