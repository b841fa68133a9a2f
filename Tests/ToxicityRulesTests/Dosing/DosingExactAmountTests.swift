import Foundation
import PropertyBased
import Testing

@testable import ToxicityRules

@Suite struct DosingExactAmountTests {
    @Test func reducesAndCompares() {
        #expect(ExactAmount(2, over: 4) == ExactAmount(1, over: 2))
        #expect(ExactAmount(3, over: -6) == ExactAmount(-1, over: 2))
        #expect(ExactAmount(399, over: 4) < ExactAmount(100))
        #expect(ExactAmount(401, over: 4) > 100)
        #expect(ExactAmount(400, over: 4) == ExactAmount(100))
    }

    @Test(arguments: [
        (ExactAmount(111, over: 2), Int64(56)),  // 55.5 → 56 (half up)
        (ExactAmount(1095, over: 10), Int64(110)),  // 109.5 → 110
        (ExactAmount(399, over: 4), Int64(100)),  // 99.75 → 100
        (ExactAmount(998, over: 10), Int64(100)),  // 99.8 → 100
        (ExactAmount(1001, over: 10), Int64(100)),  // 100.1 → 100
        (ExactAmount(62, over: 3), Int64(21)),  // 20.67 → 21
        (ExactAmount(1, over: 2), Int64(1)),
        (ExactAmount(-1, over: 2), Int64(0)),  // half towards +∞
    ])
    func roundsHalfUp(_ value: ExactAmount, _ expected: Int64) {
        #expect(value.roundedHalfUp == expected)
    }

    @Test func floorAndCeiling() {
        #expect(ExactAmount(400, over: 6).floor == 66)
        #expect(ExactAmount(400, over: 6).ceiling == 67)
        #expect(ExactAmount(-7, over: 2).floor == -4)
        #expect(ExactAmount(-7, over: 2).ceiling == -3)
        #expect(ExactAmount(12).floor == 12 && ExactAmount(12).ceiling == 12)
    }

    @Test(arguments: [
        (ExactAmount(thousandths: 2500), "2.5"), (ExactAmount(400), "400"), (ExactAmount(399, over: 4), "99.75"),
        (ExactAmount(62, over: 3), "≈20.667"), (ExactAmount(thousandths: 413), "0.413"),
        (ExactAmount(-3, over: 2), "-1.5"),
        (ExactAmount(2, over: 3), "≈0.667"),
    ])
    func decimalText(_ value: ExactAmount, _ text: String) {
        #expect(value.description == text)
    }

    @Test func decimalTextAtPlaces() {
        #expect(ExactAmount(8228, over: 288).decimalText(places: 1) == "28.6")
        #expect(ExactAmount(thousandths: 26845).decimalText(places: 1) == "26.8")
        #expect(ExactAmount(16, over: 150).decimalText(places: 3) == "0.107")
        #expect(ExactAmount(36, over: 150).decimalText(places: 3) == "0.24")
    }

    @Test func convertsDoubles() {
        #expect(ExactAmount(exactly: 2.5) == ExactAmount(thousandths: 2500))
        #expect(ExactAmount(exactly: 0.413) == ExactAmount(thousandths: 413))
        #expect(ExactAmount(exactly: 2.0005) == nil)
        #expect(ExactAmount(exactly: .nan) == nil)
        #expect(ExactAmount(exactly: .infinity) == nil)
        #expect(ExactAmount(measured: 49.9, places: 3) == ExactAmount(thousandths: 49_900))
        #expect(ExactAmount(measured: 70.00049, places: 3) == ExactAmount(70))
        #expect(ExactAmount(measured: 2.065, places: 2) == ExactAmount(207, over: 100))
        #expect(ExactAmount(measured: 0.00001, places: 3) == ExactAmount.zero)
        #expect(ExactAmount(exactly: 1e-05, places: 6) == ExactAmount(1, over: 100_000))
        #expect(ExactAmount(exactly: -2) == ExactAmount(-2))
        #expect(ExactAmount(exactly: 1e13) == nil)
    }

    @Test func propertyArithmeticIsExact() async {
        await propertyCheck(count: 300, input: Gen.int(in: 1...350_000), Gen.int(in: 1...50_000), Gen.int(in: 1...6)) {
            grams,
            milli,
            n in
            let weight = ExactAmount(Int64(grams), over: 1000)
            let perKg = ExactAmount(thousandths: Int64(milli))
            let dose = perKg * weight / n
            // Multiplying back recovers the product exactly.
            #expect(dose * n == perKg * weight)
            // Half-up rounding is within half a unit and never below floor.
            let rounded = ExactAmount(dose.roundedHalfUp, over: 1)
            #expect(ExactAmount.max(rounded - dose, dose - rounded) <= ExactAmount(1, over: 2))
            #expect(dose.floor <= dose.roundedHalfUp && dose.roundedHalfUp <= dose.ceiling)
        }
    }

    /// The text-free fast path of `init(measured:places:)` agrees with the decimal-text reference,
    /// including values written with exactly `places` decimals and half-way points.
    @Test func measuredFastPathAgreesWithTheDecimalText() async {
        await propertyCheck(
            count: 5000,
            input: Gen.int(in: 0...400_000_000),
            Gen.int(in: 0...6),
            Gen.int(in: 0...3)
        ) { raw, places, shape in
            let value: Double =
                switch shape {
                case 0: Double(raw) / 1_000_000  // up to 6 decimals
                case 1: (Double(raw % 100_000) + 0.5) / pow(10, Double(places))  // half-way points
                case 2: Double(raw) * 0.000_123_456_7  // no short decimal
                default: Double(raw % 1_000) / 10  // one decimal, e.g. 49.9
                }
            #expect(
                ExactAmount(measured: value, places: places) == ExactAmount(measuredViaText: value, places: places),
                "\(value) at \(places) places"
            )
        }
        for (value, places) in [(2.065, 2), (0.3, 3), (349.9995, 3), (1.005, 2), (4.0, 2), (26.85, 1)] {
            #expect(ExactAmount(measured: value, places: places) == ExactAmount(measuredViaText: value, places: places))
        }
    }
}
