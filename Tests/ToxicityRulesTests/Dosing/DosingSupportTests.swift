import Foundation
import Testing

@testable import ToxicityRules

/// Supporting arithmetic: other agents' doses, creatinine clearance, syringes and supply.
@Suite struct DosingSupportTests {
    // MARK: Tocilizumab (Part B TC05, TC06, TC07, TC24, TC25, TC29)

    @Test(arguments: [
        (28.0, ExactAmount(336)),  // TC24: < 30 kg → 12 mg/kg
        (8.0, ExactAmount(96)),  // TC29
        (29.9, ExactAmount(thousandths: 358_800)),  // still 12 mg/kg
        (30.0, ExactAmount(240)),  // ≥ 30 kg → 8 mg/kg
        (32.0, ExactAmount(256)),  // TC07
        (60.0, ExactAmount(480)),  // TC05
        (80.0, ExactAmount(640)),  // TC06
        (100.0, ExactAmount(800)),  // exactly the maximum
        (110.0, ExactAmount(800)),  // TC25: 880 → 800
    ])
    func tocilizumab(_ weight: Double, _ mg: ExactAmount) throws {
        let dose = try #require(SupportingAgentDosing.tocilizumab(weightKg: weight).dose)
        #expect(dose.mg == mg)
        #expect(dose.route == .iv && dose.drug == .tocilizumab)
        #expect((dose.capsApplied.first?.kind == .perDoseCap) == (weight > 100))
    }

    @Test func tocilizumabTC25ShowsTheCap() throws {
        let dose = try #require(SupportingAgentDosing.tocilizumab(weightKg: 110).dose)
        #expect(dose.steps.map(\.text) == ["8 mg/kg × 110 kg = 880 mg (≥ 30 kg)", "maximum 800 mg: 880 mg → 800 mg"])
        #expect(dose.capsApplied.first?.beforeMg == ExactAmount(880))
    }

    @Test func tocilizumabNeedsAWeight() {
        #expect(SupportingAgentDosing.tocilizumab(weightKg: nil).flags.map(\.code) == [.weightRequired])
    }

    // MARK: Dexamethasone shortage alternative (TC24)

    @Test func dexamethasoneChildIsCappedAtTenMilligrams() throws {
        let dose = try #require(SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: 9, weightKg: 28).dose)
        #expect(dose.mg == ExactAmount(10))
        #expect(dose.capsApplied.first?.beforeMg == ExactAmount(14))
        #expect(dose.schedule == .every(.q6h))
        #expect(dose.status == .unverified)
    }

    @Test func dexamethasoneSmallChildAndAdult() throws {
        let small = try #require(SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: 3, weightKg: 15).dose)
        #expect(small.mg == ExactAmount(thousandths: 7500))
        #expect(small.capsApplied.isEmpty)
        let adult = try #require(
            SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: 19, weightKg: nil).dose
        )
        #expect(adult.mg == ExactAmount(10) && adult.mgPerKg == nil)
    }

    @Test func dexamethasoneWithoutAgeUsesThePaediatricRule() throws {
        let outcome = SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: nil, weightKg: 8)
        let dose = try #require(outcome.dose)
        #expect(dose.mg == ExactAmount(4))
        #expect(dose.flags.map(\.code) == [.ageRequired])
        let noWeight = SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: 9, weightKg: nil)
        #expect(noWeight.dose == nil && noWeight.flags.map(\.code) == [.weightRequired])
    }

    @Test func siltuximabAndEmapalumab() throws {
        let siltuximab = try #require(SupportingAgentDosing.siltuximab(weightKg: 28).dose)
        #expect(siltuximab.mg == ExactAmount(308))  // TC24
        #expect(siltuximab.schedule == .once && siltuximab.status == .corroborated)
        let emapalumab = try #require(SupportingAgentDosing.emapalumab(weightKg: 8.35).dose)
        #expect(emapalumab.mg == ExactAmount(thousandths: 8400))  // 8.35 → 8.4 mg (0.1 mg, half up)
        #expect(emapalumab.schedule == .twiceWeekly)
    }

    // MARK: Creatinine clearance (TC21)

    @Test func cockcroftGaultTC21a() throws {
        let estimate = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 19,
                sex: .male,
                weightKg: 68,
                heightCm: nil,
                serumCreatinineMgPerDL: 4.0
            ).estimate
        )
        #expect(estimate.method == .cockcroftGault)
        #expect(estimate.value == ExactAmount(8228, over: 288))
        #expect(estimate.rounded == ExactAmount(thousandths: 28_600))
        #expect(estimate.isBelow30)
        #expect(estimate.flags.map(\.code) == [.renal])
        #expect(estimate.flags.first?.values.first == DosingValue("creatinineClearance", "28.6"))
    }

    @Test func bedsideSchwartzTC21b() throws {
        let estimate = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 9,
                sex: .female,
                weightKg: 27,
                heightCm: 130,
                serumCreatinineMgPerDL: 2.0
            ).estimate
        )
        #expect(estimate.method == .bedsideSchwartz)
        #expect(estimate.value == ExactAmount(thousandths: 26_845))
        #expect(estimate.rounded.decimalText(places: 1) == "26.8")
        #expect(estimate.unit == "mL/min/1.73m2")
        #expect(estimate.isBelow30)
    }

    @Test func cockcroftGaultFemaleAndUnknownSex() throws {
        // (140 − 40) × 60 / (72 × 1.0) = 83.33; × 0.85 = 70.83.
        let female = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 40.9,
                sex: .female,
                weightKg: 60,
                heightCm: nil,
                serumCreatinineMgPerDL: 1.0
            ).estimate
        )
        #expect(female.rounded.decimalText(places: 1) == "70.8")
        #expect(!female.isBelow30 && female.flags.isEmpty)
        let unknown = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 40,
                sex: nil,
                weightKg: 60,
                heightCm: nil,
                serumCreatinineMgPerDL: 1.0
            ).estimate
        )
        #expect(unknown.value == female.value)
        #expect(unknown.flags.map(\.code) == [.sexUnknown])
    }

    @Test func exactlyThirtyIsNotBelowThirty() throws {
        // (140 − 20) × 36 / (72 × 2.0) = 30 exactly.
        let estimate = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 20,
                sex: .male,
                weightKg: 36,
                heightCm: nil,
                serumCreatinineMgPerDL: 2.0
            ).estimate
        )
        #expect(estimate.value == ExactAmount(30))
        #expect(!estimate.isBelow30)
        #expect(estimate.flags.isEmpty)
    }

    @Test func creatinineIsHeldToTheHundredthHalfUp() throws {
        // 2.065 is charted as 2.07: 0.413 × 150 / 2.07 = 29.93 < 30; 2.06 gives 30.07.
        let rounded = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 10,
                sex: .male,
                weightKg: 30,
                heightCm: 150,
                serumCreatinineMgPerDL: 2.065
            ).estimate
        )
        #expect(rounded.isBelow30)
        let lower = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 10,
                sex: .male,
                weightKg: 30,
                heightCm: 150,
                serumCreatinineMgPerDL: 2.06
            ).estimate
        )
        #expect(!lower.isBelow30)
        #expect(lower.rounded.decimalText(places: 1) == "30.1")
    }

    @Test func creatinineClearanceMissingInputs() {
        #expect(
            RenalFunction.estimateCreatinineClearance(
                ageYears: nil,
                sex: .male,
                weightKg: 60,
                heightCm: 170,
                serumCreatinineMgPerDL: 1
            ).flags.map(\.code)
                == [.ageRequired]
        )
        #expect(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 9,
                sex: .male,
                weightKg: 27,
                heightCm: nil,
                serumCreatinineMgPerDL: 1
            ).flags.map(\.code)
                == [.heightRequired]
        )
        #expect(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 30,
                sex: .male,
                weightKg: nil,
                heightCm: nil,
                serumCreatinineMgPerDL: 1
            ).flags.map(\.code)
                == [.weightRequired]
        )
        #expect(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 30,
                sex: .male,
                weightKg: 60,
                heightCm: nil,
                serumCreatinineMgPerDL: 0
            ).flags.map(\.code)
                == [.creatinineRequired]
        )
    }

    // MARK: Syringes, volume, supply

    @Test(arguments: [(0, 0), (1, 1), (55, 1), (100, 1), (101, 2), (140, 2), (200, 2), (300, 3)])
    func syringesPerDose(_ mg: Int, _ syringes: Int) {
        #expect(AnakinraSupply.syringesPerDose(mg: mg) == syringes)
    }

    @Test func volumes() {
        #expect(AnakinraSupply.volumeML(mg: 100).decimalText(places: 2) == "0.67")
        #expect(AnakinraSupply.volumeML(mg: 36) == ExactAmount(6, over: 25))  // 0.24 mL (TC09)
        #expect(AnakinraSupply.volumeML(mg: 15) == ExactAmount(1, over: 10))  // 0.1 mL per 15 mg
    }

    @Test func next24HourNeed() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // 55 mg Q6H due now: 4 doses, 220 mg, 4 syringes (one per dose, single use).
        #expect(
            AnakinraSupply.next24HourNeed(mgPerDose: 55, frequency: .q6h, nextDoseDueAt: nil, now: now)
                == SupplyNeed(doses: 4, mg: 220, syringes: 4)
        )
        // 160 mg Q12H next due in 13 h: one dose in the window, 2 syringes.
        #expect(
            AnakinraSupply.next24HourNeed(
                mgPerDose: 160,
                frequency: .q12h,
                nextDoseDueAt: now.addingTimeInterval(13 * 3600),
                now: now
            )
                == SupplyNeed(doses: 1, mg: 160, syringes: 2)
        )
        // Overdue counts as due now; Q4H gives 6 doses.
        #expect(
            AnakinraSupply.next24HourNeed(
                mgPerDose: 66,
                frequency: .q4h,
                nextDoseDueAt: now.addingTimeInterval(-3600),
                now: now
            ).doses == 6
        )
        // A dose due exactly 24 h from now is outside the window.
        #expect(
            AnakinraSupply.next24HourNeed(
                mgPerDose: 100,
                frequency: .q24h,
                nextDoseDueAt: now.addingTimeInterval(24 * 3600),
                now: now
            ) == .none
        )
        #expect(
            AnakinraSupply.next24HourNeed(mgPerDose: 100, frequency: .q48h, nextDoseDueAt: nil, now: now).doses == 1
        )
        let total = SupplyNeed(doses: 4, mg: 400, syringes: 4) + SupplyNeed(doses: 2, mg: 320, syringes: 4)
        #expect(total == SupplyNeed(doses: 6, mg: 720, syringes: 8))
    }
}
