import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// clinical-spec §A13.1–4: the course's dose is the protocol's dose, never an administered amount;
/// the 10 mg/kg/day bound is a cap; fixed adult regimens above it hold.
@Suite struct CourseDoseAmendmentTests {
    /// CRS 3 refractory from hour 36 (TC11 shape), anakinra indicated under CHOP, Gazeau and Wehrli.
    static func refractoryCRS3(weightKg: Double, ageYears: Double) -> CourseBuilder {
        RecommendationWorkedCaseTests.chopRefractory(weightKg: weightKg, ageYears: ageYears)
    }

    // MARK: §A13.1 one administration is one dose of the chosen interval

    @Test(
        "§A13.1 CHOP 60 kg, 120 mg/day: a first dose of 30 mg is Q6H, of 60 mg Q12H; continue keeps 120 mg/day",
        arguments: [(30.0, DoseFrequency.q6h), (60.0, .q12h)])
    func chopFirstDoseSetsTheInterval(givenMg: Double, frequency: DoseFrequency) throws {
        for recorded in [true, false] {
            var c = Self.refractoryCRS3(weightKg: 60, ageYears: 11)
            let start = try c.assess(at: 36, "chop")
            #expect(start.action == .start && start.dose?.dailyMg == 120 && start.dose?.frequency == nil)
            if recorded { c.record(start, at: 36) }
            c.med(at: 36.5, .anakinra, doseMg: givenMg)
            let a = try c.assess(at: 37, "chop")
            #expect(a.action == .continue, "recorded \(recorded)")
            #expect(a.dose?.dailyMg == 120, "recorded \(recorded)")
            #expect(a.dose?.mg == Int(givenMg) && a.dose?.frequency == frequency, "recorded \(recorded)")
            let due = CourseBuilder.at(36.5 + Double(frequency.intervalHours))
            #expect(a.body?.nextDoseDueAt == due, "recorded \(recorded)")
            #expect(!a.alertCodes.contains(.administeredDoseDeviation))
        }
    }

    @Test("§A13.1 CHOP: 45 mg is no clean split of 120 mg/day: the daily dose is kept and the frequency asked")
    func chopUnclearIntervalKeepsTheDailyDose() throws {
        var c = Self.refractoryCRS3(weightKg: 60, ageYears: 11)
        c.record(try c.assess(at: 36, "chop"), at: 36)
        c.med(at: 36.5, .anakinra, doseMg: 45)
        let a = try c.assess(at: 37, "chop")
        #expect(a.action == .continue)
        #expect(a.dose?.dailyMg == 120 && a.dose?.frequency == nil && a.dose?.mg == nil)
        #expect(a.alertCodes.contains(.frequencyRequired))
    }

    @Test(
        "§A13.1 Gazeau and Wehrli (per day, no frequency): a first dose is one dose of an interval",
        arguments: [("gazeau", 120.0, 480, DoseFrequency.q6h), ("wehrli", 50.0, 100, .q12h)])
    func perDayProtocolsFirstDose(id: String, givenMg: Double, dailyMg: Int, frequency: DoseFrequency) throws {
        var c = Self.refractoryCRS3(weightKg: 60, ageYears: 40)
        c.med(at: 36.5, .anakinra, doseMg: givenMg)
        let a = try c.assess(at: 37, id)
        #expect(a.action == .continue)
        #expect(a.dose?.dailyMg == dailyMg && a.dose?.frequency == frequency && a.dose?.mg == Int(givenMg))
    }

    // MARK: §A13.2 an administered dose far from the protocol dose

    @Test("§A13.2 8.1 kg on CNH given 100 mg Q6H: continue with the protocol dose 16 mg and an alert")
    func administeredDoseDeviationGivesTheProtocolDose() throws {
        var c = RecommendationWorkedCaseTests.refractoryCRS3(ageYears: 1, weightKg: 8.1, through: 50)
        c.anakinra(from: 36, through: 48, every: 6, mg: 100)
        let a = try c.assess(at: 48.5, "childrens-national")
        #expect(a.action == .continue)
        #expect(a.dose?.mg == 16 && a.dose?.frequency == .q6h && a.dose?.dailyMg == 64)
        #expect(a.alertCodes.contains(.administeredDoseDeviation))
        #expect(a.body?.rationale.contains { $0.contains("100 mg (12.3 mg/kg)") && $0.contains("16 mg") } == true)
    }

    // MARK: §A13.3 the 10 mg/kg/day bound is a cap

    @Test(
        "§A13.3 CNH escalation: min(per-dose cap, 10 mg/kg/day), rounding never crosses the bound",
        arguments: [(8.6, 17, 21), (30.0, 60, 75)])
    func escalationBoundIsACap(weightKg: Double, startMg: Int, escalatedMg: Int) throws {
        var c = RecommendationWorkedCaseTests.refractoryCRS3(ageYears: 2, weightKg: weightKg, through: 90)
        let start = try c.assess(at: 36, "childrens-national")
        #expect(start.action == .start && start.dose?.mg == startMg)
        c.record(start, at: 36)
        c.anakinra(from: 36, through: 60, every: 6, mg: Double(startMg))
        let escalated = try c.assess(at: 60.5, "childrens-national")
        #expect(escalated.action == .escalate)
        #expect(escalated.dose?.mg == escalatedMg && escalated.dose?.frequency == .q6h)
        #expect(Double(escalated.dose?.dailyMg ?? .max) <= 10 * weightKg)
    }

    @Test("§A13.3 an administered dose above the bound is not continued (8.6 kg, 25 mg Q6H after escalation to 21)")
    func administeredDoseAboveTheBoundIsNotContinued() throws {
        var c = RecommendationWorkedCaseTests.refractoryCRS3(ageYears: 2, weightKg: 8.6, through: 90)
        c.record(try c.assess(at: 36, "childrens-national"), at: 36)
        c.anakinra(from: 36, through: 60, every: 6, mg: 17)
        c.record(try c.assess(at: 60.5, "childrens-national"), at: 60.5)
        c.anakinra(from: 61, through: 73, every: 6, mg: 25)
        let a = try c.assess(at: 73.5, "childrens-national")
        #expect(a.action == .continue)
        #expect(a.dose?.mg == 21 && a.dose?.dailyMg == 84)
        #expect(a.alertCodes.contains(.administeredDoseDeviation))
    }

    // MARK: §A13.4 fixed adult regimens above the weight bound hold

    @Test("§A13.4 Jatiani 12 kg, 3 years: hold with weight-based-maximum-exceeded, 200 mg Q8H shown")
    func fixedRegimenAboveTheWeightBoundHolds() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 3, weightKg: 12)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.med(at: 1, .tocilizumab, doseMg: 144)
        let a = try c.assess(at: 1, "jatiani")
        #expect(a.action == .hold)
        #expect(a.decisiveReason == .weightBasedMaximumExceeded)
        #expect(a.dose?.mg == 200 && a.dose?.frequency == .q8h && a.dose?.dailyMg == 600)
        #expect(a.body?.nextDoseDueAt == nil)
        // The same regimen for an adult of 70 kg (8.6 mg/kg/day) starts.
        var adult = CourseBuilder(.recommendationTests)
        adult.patient(ageYears: 40, weightKg: 70)
        adult.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        adult.med(at: 1, .tocilizumab, doseMg: 560)
        #expect(try adult.assess(at: 1, "jatiani").action == .start)
    }
}
