import Testing
import ToxTestSupport

@testable import ToxicityRules

@Suite struct ProtocolFixtureTests {
    @Test func fixturesDecodeWithTheirOwnShapes() throws {
        let capped = try ProtocolFixture.perDoseCapped()
        #expect(capped.dose.basis == .perDoseMgPerKg)
        #expect(capped.caps.perDoseMg == 100 && capped.caps.dailyMg == 400)
        let chop = try ProtocolFixture.perDayNoFrequency()
        #expect(chop.frequency.default == nil)
        #expect(chop.dose.amount == DoseAmount(low: ExactAmount(2), severe: ExactAmount(2), high: ExactAmount(10)))
        let stJude = try ProtocolFixture.wholeSyringeUncapped()
        #expect(!stJude.caps.statesAnyCap)
        #expect(stJude.rounding.rule == .wholeSyringe)
        let musc = try ProtocolFixture.doseStepTaper()
        #expect(musc.taper.method == .doseSteps)
        #expect(musc.regimen(id: "fixed-100mg-daily")?.dose.basis == .perDoseMg)
        #expect(musc.regimen(id: "nope") == nil)
    }
}
