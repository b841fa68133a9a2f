import Foundation
import PropertyBased
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

@Suite("Unit conversions")
struct UnitConversionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var value: Double
        var unit: String
        var expected: Double
        var testDescription: String { "\(value) \(unit)" }
    }

    @Test(
        "temperature: (°F − 32) × 5/9, rounded to 0.01 °C",
        arguments: [
            Case(value: 100.4, unit: "[degF]", expected: 38.0), Case(value: 100.3, unit: "[degF]", expected: 37.94),
            Case(value: 98.6, unit: "°F", expected: 37.0), Case(value: 102.2, unit: "degF", expected: 39.0),
            Case(value: 104, unit: "F", expected: 40.0), Case(value: 77, unit: "[degF]", expected: 25.0),
            Case(value: 113, unit: "[degF]", expected: 45.0), Case(value: 38.04, unit: "Cel", expected: 38.04),
            Case(value: 37.999, unit: "°C", expected: 37.999),
        ]
    )
    func temperature(_ c: Case) throws {
        let conversion = try #require(VitalQuantity.temperature.conversion(for: c.unit))
        #expect(conversion.apply(c.value) == c.expected)
    }

    /// For thermometer readings in 0.1 °F steps, the converted value is a fever (≥ 38.0 °C)
    /// exactly from 100.4 °F up: the rounding never moves a reading across the threshold.
    @Test func feverThresholdForEveryTenthOfADegreeFahrenheit() throws {
        let conversion = try #require(VitalQuantity.temperature.conversion(for: "[degF]"))
        var previous = -Double.infinity
        for tenths in 770...1130 {
            let celsius = conversion.apply(Double(tenths) / 10)
            #expect((celsius >= 38.0) == (tenths >= 1004), "\(Double(tenths) / 10) °F → \(celsius) °C")
            #expect(celsius >= previous)
            #expect((celsius * 100).rounded() / 100 == celsius)
            previous = celsius
        }
    }

    @Test(
        "body weight and height",
        arguments: [
            Case(value: 1, unit: "[lb_av]", expected: 0.45359237),
            Case(value: 71.4, unit: "lb", expected: 71.4 * 0.45359237),
            Case(value: 16, unit: "[oz_av]", expected: 0.45359237), Case(value: 112, unit: "oz", expected: 3.17514659),
            Case(value: 3175, unit: "g", expected: 3.175), Case(value: 70, unit: "kg", expected: 70),
        ]
    )
    func weight(_ c: Case) throws {
        let conversion = try #require(VitalQuantity.weight.conversion(for: c.unit))
        #expect(abs(conversion.apply(c.value) - c.expected) < 1e-12)
    }

    @Test func weightBoundariesAfterConversion() throws {
        let pounds = try #require(VitalQuantity.weight.conversion(for: "[lb_av]"))
        #expect(PlausibleRange.weightKg.contains(pounds.apply(771.6)))  // 349.99 kg
        #expect(!PlausibleRange.weightKg.contains(pounds.apply(771.7)))  // 350.04 kg
        let ounces = try #require(VitalQuantity.weight.conversion(for: "[oz_av]"))
        #expect(!PlausibleRange.weightKg.contains(ounces.apply(10.5)))  // 0.298 kg
        #expect(PlausibleRange.weightKg.contains(ounces.apply(10.6)))  // 0.3005 kg
        #expect(PlausibleRange.weightKg.contains(0.3) && PlausibleRange.weightKg.contains(350))
        #expect(!PlausibleRange.weightKg.contains(0.2999) && !PlausibleRange.weightKg.contains(350.0001))
        let inches = try #require(VitalQuantity.height.conversion(for: "[in_i]"))
        #expect(inches.apply(60) == 152.4)
    }

    @Test(
        "oxygen",
        arguments: [
            (VitalQuantity.fio2, Case(value: 21, unit: "%", expected: 0.21)),
            (.fio2, Case(value: 0.4, unit: "1", expected: 0.4)),
            (.fio2, Case(value: 100, unit: "%", expected: 1)),
            (.oxygenFlow, Case(value: 500, unit: "mL/min", expected: 0.5)),
            (.oxygenFlow, Case(value: 6, unit: "L/min", expected: 6)),
            (.oxygenFlow, Case(value: 6, unit: "LPM", expected: 6)),
        ]
    )
    func oxygen(_ quantity: VitalQuantity, _ c: Case) throws {
        #expect(try #require(quantity.conversion(for: c.unit)).apply(c.value) == c.expected)
    }

    @Test(
        "laboratory units to the canonical unit",
        arguments: [
            (LabTest.fibrinogen, Case(value: 1.5, unit: "g/L", expected: 150)),
            (.fibrinogen, Case(value: 150, unit: "mg/dL", expected: 150)),
            (.crp, Case(value: 4.5, unit: "mg/dL", expected: 45)),
            (.ferritin, Case(value: 900, unit: "µg/L", expected: 900)),
            (.ferritin, Case(value: 900, unit: "mcg/L", expected: 900)),
            (.ferritin, Case(value: 900, unit: "μg/l", expected: 900)),
            (.platelets, Case(value: 80, unit: "10*9/L", expected: 80)),
            (.platelets, Case(value: 80, unit: "K/uL", expected: 80)),
            (.anc, Case(value: 0.4, unit: "x10E3/uL", expected: 0.4)),
            (.hemoglobin, Case(value: 95, unit: "g/L", expected: 9.5)),
            (.bilirubin, Case(value: 20.52, unit: "umol/L", expected: 1.2)),
            (.creatinine, Case(value: 88.4, unit: "µmol/L", expected: 1)),
            (.triglycerides, Case(value: 3, unit: "mmol/L", expected: 265.71)),
            (.dDimer, Case(value: 4500, unit: "ng/mL FEU", expected: 4.5)),
            (.inr, Case(value: 1.6, unit: "", expected: 1.6)),
            (.alt, Case(value: 40, unit: "[IU]/L", expected: 40)),
        ]
    )
    func lab(_ test: LabTest, _ c: Case) throws {
        let conversion = try #require(LabUnits.lenientConversion(for: test, unit: c.unit))
        #expect(abs(conversion.apply(c.value) - c.expected) < 1e-9)
    }

    @Test(
        "unknown units are not accepted",
        arguments: [
            (LabTest.ferritin, "mmol/L"), (.fibrinogen, "g/dL"), (.platelets, "/uL"), (.dDimer, "mg/L DDU"),
            (.dDimer, "mg/L"),
            (.creatinineClearance, "mL/min/1.73m2"), (.crp, "nmol/L"), (.inr, "s"),
        ]
    )
    func unknownLabUnit(_ test: LabTest, _ unit: String) {
        #expect(LabUnits.lenientConversion(for: test, unit: unit) == nil)
        #expect(LabUnits.jsonConversion(for: test, unit: unit) == nil)
    }

    @Test func unknownVitalUnits() {
        #expect(VitalQuantity.temperature.conversion(for: "K") == nil)
        #expect(VitalQuantity.pressure.conversion(for: "kPa") == nil)
        #expect(VitalQuantity.saturation.conversion(for: "") == nil)
        #expect(VitalQuantity.weight.conversion(for: "st") == nil)
        #expect(DoseUnits.conversion(for: "mL") == nil)
        #expect(DoseUnits.conversion(for: "mg/kg") == nil)
    }

    @Test func jsonUnitsAreExactSpellings() {
        #expect(LabUnits.jsonConversion(for: .ferritin, unit: "NG/ML") == nil)
        #expect(LabUnits.jsonConversion(for: .ferritin, unit: "ng/mL") == .identity)
        #expect(LabUnits.jsonConversion(for: .fibrinogen, unit: "g/L") == .multiply(100))
        for test in LabTest.allCases { #expect(LabUnits.jsonUnits(for: test).first == test.canonicalUnit) }
    }

    @Test func doseUnits() throws {
        #expect(try #require(DoseUnits.conversion(for: "g")).apply(1) == 1000)
        #expect(try #require(DoseUnits.conversion(for: "mcg")).apply(500) == 0.5)
        #expect(try #require(DoseUnits.conversion(for: "MG")).apply(100) == 100)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "valid ISO-8601 with offset",
        arguments: [
            ("2026-03-02T06:00:00Z", "2026-03-02T06:00:00Z"), ("2026-03-02t06:00:00z", "2026-03-02T06:00:00Z"),
            ("2026-03-02T07:00:00+01:00", "2026-03-02T06:00:00Z"),
            ("2026-03-02T00:30:00-05:30", "2026-03-02T06:00:00Z"),
            ("2026-03-02T06:00:00.5Z", "2026-03-02T06:00:00.5Z"),
            ("2026-03-02T06:00:00.123Z", "2026-03-02T06:00:00.123Z"),
            ("2001-01-01T00:00:00.1234567891Z", "2001-01-01T00:00:00.123456789Z"),
            ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
            ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ]
    )
    func valid(_ text: String, _ canonical: String) throws {
        let date = try ISO8601Timestamp.parse(text).get()
        #expect(ISO8601Timestamp.format(date) == canonical)
    }

    @Test(
        "invalid timestamps",
        arguments: [
            ("2026-03-02T06:00:00", TimestampProblem.noOffset), ("2026-03-02T06:00Z", .noSeconds),
            ("2026-03-02", .noTime),
            ("2026-13-02T06:00:00Z", .notACalendarTime), ("2025-02-29T06:00:00Z", .notACalendarTime),
            ("2026-03-02T24:00:00Z", .notACalendarTime),
            ("2026-03-02T06:00:00+24:00", .badOffset), ("2026-03-02T06:00:00+0100", .badOffset),
            ("2026-03-02 06:00:00Z", .notISO8601),
            ("2026-03-02T06:00:00Zjunk", .notISO8601), ("2026-03-02T06:00:00.Z", .notISO8601), ("", .notISO8601),
        ]
    )
    func invalid(_ text: String, _ problem: TimestampProblem) {
        #expect(ISO8601Timestamp.parse(text) == .failure(problem))
    }

    /// Formatting writes the shortest fraction that reads back to the same instant.
    @Test func formatThenParseIsExact() async {
        await propertyCheck(
            count: 500,
            input: Gen.int64(in: -2_000_000_000...5_000_000_000),
            Gen.int(in: 0...999_999_999)
        ) { seconds, nanos in
            let date = CivilTime.date(epochSeconds: seconds, nanoseconds: nanos)
            let text = ISO8601Timestamp.format(date)
            #expect(ISO8601Timestamp.parse(text) == .success(date), "\(text)")
            #expect(text.count <= 30)
        }
    }

    @Test func dates() throws {
        let date = try #require(ISO8601Date.parse("2015-06-30"))
        #expect(ISO8601Date.format(date) == "2015-06-30")
        #expect(ISO8601Date.parse("2015-02-29") == nil)
        #expect(ISO8601Date.parse("2015-06-30T00:00:00Z") == nil)
    }
}
