import Testing
import ToxTestSupport

@testable import ToxicityRules

/// The dose pipeline on fixture protocols (the shipped protocols' worked cases are in
/// ProtocolCatalogTests/WorkedDosingCaseTests).
@Suite struct DosingCalculatorTests {
    func dose(_ p: AnakinraProtocol, _ request: DoseRequest, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> DoseCalculation
    {
        try #require(AnakinraDosing.calculate(p, request).calculation, sourceLocation: sourceLocation)
    }

    @Test func orderOfOperationsIsShownStepByStep() throws {
        let result = try dose(ProtocolFixture.perDoseCapped(), DoseRequest(weightKg: 70, level: .severe))
        #expect(result.mg == 100)
        #expect(result.dailyMg == 400)
        #expect(result.frequency == .q6h)
        #expect(result.route == .iv)
        #expect(
            result.steps.map(\.text) == [
                "2 mg/kg/dose × 70 kg = 140 mg",
                "per-dose cap 100 mg: 140 mg → 100 mg",
                "4 × 100 mg (Q6H) = 400 mg/day",
            ]
        )
        let cap = try #require(result.capsApplied.first)
        #expect(result.capsApplied.count == 1)
        #expect(
            cap.kind == .perDoseCap && cap.limitMg == ExactAmount(100) && cap.beforeMg == ExactAmount(140)
                && cap.afterMg == 100
        )
        #expect(result.mgPerKg == ExactAmount(100, over: 70))
        #expect(result.syringesPerDose == 1)
    }

    @Test(arguments: [nil, 0.0, 0.29, 350.01, 700, -5, Double.nan, Double.infinity] as [Double?])
    func missingOrImplausibleWeightGivesNoDose(_ weight: Double?) throws {
        let outcome = AnakinraDosing.calculate(try ProtocolFixture.perDoseCapped(), DoseRequest(weightKg: weight))
        #expect(outcome.calculation == nil)
        #expect(outcome.flags.map(\.code) == [.weightRequired])
        #expect(outcome.flags.first?.kind == .alert)
    }

    @Test(arguments: [0.3, 350.0])
    func weightLimitsAreInclusive(_ weight: Double) throws {
        let p = try ProtocolFixture.perDoseCapped()
        let outcome = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight))
        let calculation = try #require(outcome.calculation)
        #expect(calculation.weightKg == ExactAmount(exactly: weight), "the limit itself is dosed, by that weight")
        #expect(!outcome.flags.map(\.code).contains(.weightRequired))
    }

    @Test func lowVolumeBelowTenKilograms() throws {
        let p = try ProtocolFixture.perDoseCapped()
        let infant = try dose(p, DoseRequest(weightKg: 9.99))
        #expect(infant.has(.lowVolumeMeasurement))
        let ten = try dose(p, DoseRequest(weightKg: 10))
        #expect(!ten.has(.lowVolumeMeasurement))
    }

    @Test func q48hNeedsARenalOverride() throws {
        let p = try ProtocolFixture.perDoseCapped()
        let refused = AnakinraDosing.calculate(p, DoseRequest(weightKg: 30, frequency: .q48h))
        #expect(refused.calculation == nil)
        #expect(refused.flags.map(\.code) == [.renalOverrideRequired])
        let overridden = try dose(p, DoseRequest(weightKg: 30, frequency: .q48h, renalOverride: true))
        #expect(overridden.mg == 60)
        #expect(overridden.dailyMg == 60)
        #expect(overridden.has(.renalFrequencyOverride))
        #expect(!overridden.has(.frequencyOutsideProtocol))
    }

    @Test func frequencyOutsideTheProtocolIsWarnedAndTheProtocolFrequencyOffered() throws {
        let result = try dose(ProtocolFixture.perDoseCapped(), DoseRequest(weightKg: 20, frequency: .q12h))
        #expect(result.mg == 40 && result.frequency == .q12h && result.dailyMg == 80)
        #expect(result.has(.frequencyOutsideProtocol))
        #expect(result.options.map(\.description) == ["40 mg Q6H (160 mg/day)"])
    }

    @Test func routeOutsideTheProtocolIsWarned() throws {
        let result = try dose(ProtocolFixture.perDoseCapped(), DoseRequest(weightKg: 20, route: .sc))
        #expect(result.route == .sc)
        #expect(result.has(.routeOutsideProtocol))
    }

    @Test func prescribedAmountOutsideTheRangeIsWarnedAndStillCapped() throws {
        let result = try dose(
            ProtocolFixture.perDoseCapped(),
            DoseRequest(weightKg: 80, level: .prescribed(ExactAmount(3)))
        )
        #expect(result.has(.doseOutsideProtocol))
        #expect(result.mg == 100)
    }

    @Test(arguments: [ExactAmount(0), ExactAmount(-2), ExactAmount(5001), ExactAmount(1_000_000_000)])
    func unusablePrescribedAmountGivesNoDose(_ amount: ExactAmount) throws {
        let outcome = AnakinraDosing.calculate(
            try ProtocolFixture.perDoseCapped(),
            DoseRequest(weightKg: 40, level: .prescribed(amount))
        )
        #expect(outcome.calculation == nil)
        #expect(outcome.flags.last?.code == .invalidPrescribedAmount)
    }

    @Test func rangeLevelsUseLowSevereAndHigh() throws {
        let p = try ProtocolFixture.rangeUncapped()
        #expect(try dose(p, DoseRequest(weightKg: 40, level: .lessIll)).mg == 160)
        #expect(try dose(p, DoseRequest(weightKg: 40, level: .forGrade(3))).mg == 160)
        #expect(try dose(p, DoseRequest(weightKg: 40, level: .ceiling)).mg == 200)
        #expect(try dose(p, DoseRequest(weightKg: 40, level: .ceiling)).has(.doseLevel))
        #expect(DoseLevel.forGrade(2) == .lessIll && DoseLevel.forGrade(4) == .severe)
    }

    @Test func noFrequencyGivesTheDailyDoseAndOptions() throws {
        let result = try dose(ProtocolFixture.perDayNoFrequency(), DoseRequest(weightKg: 30, level: .severe))
        #expect(result.mg == nil && result.frequency == nil)
        #expect(result.dailyMg == 60)
        #expect(result.has(.frequencyRequired))
        #expect(
            result.options.map(\.description) == [
                "15 mg Q6H (60 mg/day)", "30 mg Q12H (60 mg/day)", "60 mg Q24H (60 mg/day)",
            ]
        )
    }

    @Test func mgPerKgDayCeilingBindsBelowTheDailyCap() throws {
        // 12 mg/kg/day × 35 kg = 420 mg/day; ceiling 10 × 35 = 350 < 400.
        let result = try dose(
            ProtocolFixture.perDayNoFrequency(),
            DoseRequest(weightKg: 35, level: .prescribed(ExactAmount(12)), frequency: .q6h)
        )
        #expect(result.mg == 87)  // floor(350 ÷ 4)
        #expect(result.dailyMg == 348)
        #expect(result.capsApplied.map(\.kind) == [.mgPerKgDayCeiling])
    }

    @Test func roundingNeverCrossesTheDailyCeiling() throws {
        // 10 mg/kg/day × 39.9 kg = 399 mg/day ÷ 4 = 99.75 → 100 would be 400 > 399 → 99.
        let result = try dose(
            ProtocolFixture.perDayNoFrequency(),
            DoseRequest(weightKg: 39.9, level: .ceiling, frequency: .q6h)
        )
        #expect(result.mg == 99)
        #expect(result.dailyMg == 396)
        #expect(result.has(.roundedDownToCap))
        #expect(result.capsApplied.isEmpty)
    }

    @Test func dailyCapFloorsThePerDoseAmount() throws {
        // 2.5 mg/kg × 44 kg = 110 → cap 100 → 6 × 100 = 600 > 400 → floor(400 ÷ 6) = 66.
        let result = try dose(
            ProtocolFixture.perDoseCapped(),
            DoseRequest(weightKg: 44, level: .prescribed(ExactAmount(thousandths: 2500)), frequency: .q4h)
        )
        #expect(result.mg == 66)
        #expect(result.dailyMg == 396)
        #expect(result.capsApplied.map(\.kind) == [.perDoseCap, .dailyCap])
    }

    @Test(arguments: [
        // weight, mg, flag
        (38.0, 100, DosingFlag.Code.roundedToWholeSyringe),  // 95 → 100 (within 9.5)
        (22.0, 55, .roundingConfirmationRequired),  // 55: neither 0 nor 100 within 5.5
        (19.0, 48, .roundingConfirmationRequired),  // 47.5 → 48 (half up), confirm
        (42.0, 100, .roundedToWholeSyringe),  // 105 → 100 (within 10.5)
        (45.0, 113, .roundingConfirmationRequired),  // 112.5: 100 is 12.5 away (> 11.25)
        (76.0, 200, .roundedToWholeSyringe),  // 190 → 200 (within 19)
    ])
    func wholeSyringeRounding(_ weight: Double, _ mg: Int, _ flag: DosingFlag.Code) throws {
        let result = try dose(ProtocolFixture.wholeSyringeUncapped(), DoseRequest(weightKg: weight))
        #expect(result.mg == mg)
        #expect(result.has(flag))
    }

    @Test func exactWholeSyringeCarriesNoRoundingFlag() throws {
        let result = try dose(ProtocolFixture.wholeSyringeUncapped(), DoseRequest(weightKg: 40))
        #expect(result.mg == 100)
        #expect(!result.has(.roundedToWholeSyringe) && !result.has(.roundingConfirmationRequired))
    }

    @Test func wholeSyringeNeverExceedsACap() throws {
        var p = try ProtocolFixture.wholeSyringeUncapped()
        p.caps.perDoseMg = 90
        // 95 mg → per-dose cap 90; 100 mg would be within 10 % of 95 but is above the cap.
        let result = try dose(p, DoseRequest(weightKg: 38))
        #expect(result.mg == 90)
        #expect(result.has(.roundingConfirmationRequired))
        #expect(!result.has(.roundedToWholeSyringe))
    }

    @Test func aboveCommonCapOnlyWithoutTheProtocolsOwnCap() throws {
        let uncapped = try dose(ProtocolFixture.doseStepTaper(), DoseRequest(weightKg: 35))
        #expect(uncapped.mg == 140)
        #expect(uncapped.flags.filter { $0.code == .aboveCommonCap }.count == 1)  // per dose only: 280/day
        let heavier = try dose(ProtocolFixture.doseStepTaper(), DoseRequest(weightKg: 60))
        #expect(heavier.flags.filter { $0.code == .aboveCommonCap }.count == 2)  // 240 mg and 480 mg/day
        let capped = try dose(ProtocolFixture.perDoseCapped(), DoseRequest(weightKg: 120))
        #expect(!capped.has(.aboveCommonCap))
    }

    @Test func doseBelowOneMilligramIsNotADose() throws {
        // 2 mg/kg/day × 0.3 kg ÷ 4 = 0.15 mg.
        let outcome = AnakinraDosing.calculate(
            try ProtocolFixture.perDayNoFrequency(),
            DoseRequest(weightKg: 0.3, frequency: .q6h)
        )
        #expect(outcome.calculation == nil)
        #expect(outcome.flags.contains { $0.code == .doseBelowOneMg })
    }

    @Test func alternativeRegimenByIdAndUnknownRegimen() throws {
        let p = try ProtocolFixture.doseStepTaper()
        let fixed = try dose(p, DoseRequest(weightKg: 35, regimenId: "fixed-100mg-daily"))
        #expect(fixed.mg == 100 && fixed.frequency == .q24h && fixed.regimenId == "fixed-100mg-daily")
        #expect(fixed.steps.first?.text == "fixed 100 mg/dose")
        let unknown = AnakinraDosing.calculate(p, DoseRequest(weightKg: 35, regimenId: "nope"))
        #expect(unknown.flags.map(\.code) == [.unknownRegimen])
    }

    @Test func policyFrequencyIsLabelled() throws {
        var p = try ProtocolFixture.perDoseCapped()
        p.frequency.status = .policy
        let result = try dose(p, DoseRequest(weightKg: 20))
        let flag = try #require(result.flags.first { $0.code == .policyDefault })
        #expect(flag.source == "policy")
        #expect(flag.values == [DosingValue("frequency", "Q6H")])
    }
}
