import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Fixed-dose adult regimens (seed Table 2) can give a child far more per kilogram than any
/// paediatric protocol: the recommendation must say so.
@Suite struct PaediatricSafetyWarningTests {
    /// Oliai starts 100 mg SC Q6H (400 mg/day) for any ICANS; below 40 kg that is above
    /// 10 mg/kg/day, so it holds with the dose shown (§A13.4).
    func oliaiWithICANS(ageYears: Double, weightKg: Double) throws -> Assessment {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: ageYears, weightKg: weightKg)
        c.vitals(at: 0, temp: 37.0, sbp: 120, oxygen: .roomAir)
        if ageYears >= 12 { c.neuro(at: 0, ice: 8) } else { c.neuro(at: 0, capd: 4) }
        let assessment = try c.assess(at: 0, "oliai")
        #expect(assessment.action == (weightKg < 40 ? .hold : .start))
        #expect(assessment.reasonCodes.contains(.weightBasedMaximumExceeded) == (weightKg < 40))
        #expect(assessment.dose?.dailyMg == 400)
        return assessment
    }

    @Test(
        "above-weight-based-maximum: 400 mg/day is above 10 mg/kg/day below 40 kg, not at or above it",
        arguments: [(28.0, true), (39.9, true), (40.0, false), (70.0, false)])
    func weightBasedMaximum(weightKg: Double, warned: Bool) throws {
        let assessment = try oliaiWithICANS(ageYears: 30, weightKg: weightKg)
        #expect(assessment.warningCodes.contains("above-weight-based-maximum") == warned)
    }

    @Test("adult-regimen-in-child: an adult regimen for a patient under 18, never for 18 and over")
    func adultRegimenInChild() throws {
        let child = try oliaiWithICANS(ageYears: 9, weightKg: 28)
        #expect(child.warningCodes.contains("adult-regimen-in-child"))
        #expect(child.warningCodes.contains("above-weight-based-maximum"))
        #expect(child.recommendation?.rationale.contains { $0.contains("paediatric protocol") } == true)
        #expect(try oliaiWithICANS(ageYears: 17, weightKg: 60).warningCodes.contains("adult-regimen-in-child"))
        #expect(!(try oliaiWithICANS(ageYears: 18, weightKg: 60).warningCodes.contains("adult-regimen-in-child")))
    }

    @Test("a paediatric protocol dosed by weight carries neither warning (CNH 2 mg/kg Q6H = 8 mg/kg/day)")
    func paediatricProtocolIsNotWarned() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 9, weightKg: 28)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.med(at: 1, .tocilizumab, doseMg: 336)
        c.med(at: 2, .dexamethasone, doseMg: 10)
        c.vitals(at: 26, temp: 38.5, sbp: 80, oxygen: .roomAir)
        let assessment = try c.assess(at: 26, "childrens-national")
        #expect(assessment.action == .start && assessment.dose?.mg == 56)
        #expect(!assessment.warningCodes.contains("above-weight-based-maximum"))
        #expect(!assessment.warningCodes.contains("adult-regimen-in-child"))
    }
}
