package import ToxicityRules

/// The closed interval a numeric field must lie in, with the unit it is expressed in.
///
/// The bounds are physiologically possible values, not normal values: a temperature of 42 °C is
/// alarming but possible, 60 °C is a unit or transcription error and is rejected so that the
/// engine never reasons over it. The same table drives the JSON decoder, the encoder, the HL7 and
/// FHIR adapters and `Schemas/` (a test checks the schemas against it).
package struct PlausibleRange: Sendable, Hashable, CustomStringConvertible {
    package var lower: Double
    /// `nil` when only the lower bound applies (doses, lab values).
    package var upper: Double?
    /// The unit printed after the bounds (`°C`, `kg`, empty for scores).
    package var unit: String
    /// Whether the value must be a whole number (scores, counts).
    package var integral: Bool
    /// Whether `lower` itself is excluded (a unit size of 0 mg is not a unit).
    package var lowerExclusive: Bool

    package init(
        _ lower: Double,
        _ upper: Double?,
        unit: String = "",
        integral: Bool = false,
        lowerExclusive: Bool = false
    ) {
        self.lower = lower
        self.upper = upper
        self.unit = unit
        self.integral = integral
        self.lowerExclusive = lowerExclusive
    }

    package func contains(_ value: Double) -> Bool {
        guard value.isFinite, lowerExclusive ? value > lower : value >= lower else { return false }
        if let upper, value > upper { return false }
        if integral, value != value.rounded() { return false }
        return true
    }

    package var description: String {
        if self == .finiteNumber { return "a number a 64-bit float holds (magnitude below 1.8e308)" }
        let unitSuffix = unit.isEmpty ? "" : " \(unit)"
        let kind = integral ? "whole numbers " : ""
        if let upper {
            return "\(kind)\(formatNumber(lower))–\(formatNumber(upper))\(unitSuffix)"
        }
        return "\(kind)\(lowerExclusive ? ">" : "≥") \(formatNumber(lower))\(unitSuffix)"
    }
}

extension PlausibleRange {
    // Vitals (DESIGN.md §3 units).
    package static let temperatureC = PlausibleRange(25, 45, unit: "°C")
    package static let systolicBP = PlausibleRange(0, 300, unit: "mmHg")
    package static let diastolicBP = PlausibleRange(0, 250, unit: "mmHg")
    package static let meanArterialPressure = PlausibleRange(0, 300, unit: "mmHg")
    package static let heartRate = PlausibleRange(0, 350, unit: "/min")
    package static let respiratoryRate = PlausibleRange(0, 150, unit: "/min")
    package static let spo2 = PlausibleRange(0, 100, unit: "%")
    package static let oxygenFlow = PlausibleRange(0, 80, unit: "L/min")
    package static let fio2 = PlausibleRange(0.21, 1, unit: "(fraction)")

    // Patient.
    package static let weightKg = PlausibleRange(0.3, 350, unit: "kg")
    package static let heightCm = PlausibleRange(20, 250, unit: "cm")
    package static let ageYears = PlausibleRange(0, 130, unit: "years")
    package static let ferritin = PlausibleRange(0, 10_000_000, unit: "ng/mL")

    // Neuro.
    package static let iceScore = PlausibleRange(0, 10, integral: true)
    package static let capdScore = PlausibleRange(0, 32, integral: true)

    // Medication and inventory.
    /// Upper bounds far above any dose or rate (1 kg; 100,000 of whatever unit the rate is
    /// charted in), so that sums and conversions of them stay far from every numeric limit.
    package static let doseMg = PlausibleRange(0, 1_000_000, unit: "mg")
    package static let rate = PlausibleRange(0, 100_000)
    /// A site's stock of one drug, in whole units (a bound keeps every count far from `Int`'s limits).
    package static let unitsOnHand = PlausibleRange(0, 1_000_000, integral: true)
    /// One stock unit: a microgram vial to a 100 g container (a need divided by it stays countable).
    package static let unitMg = PlausibleRange(0.001, 100_000, unit: "mg")

    /// Any number a 64-bit float holds: the bound of a JSON number past it (`1e400`), whatever its field.
    package static let finiteNumber = PlausibleRange(-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude)

    /// Laboratory values: never negative, at most 10,000,000 (a ferritin of 1,000,000 ng/mL is
    /// seen in HLH), in the test's canonical unit.
    package static func lab(_ test: LabTest) -> PlausibleRange {
        PlausibleRange(0, labMaximum, unit: test.canonicalUnit)
    }

    /// The upper bound of every lab value, in whatever unit it is given or converted to.
    package static let labMaximum: Double = 10_000_000
}
