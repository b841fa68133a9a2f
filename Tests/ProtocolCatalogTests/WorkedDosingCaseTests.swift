import Foundation
import Testing

@testable import ProtocolCatalog
@testable import ToxicityRules

/// The shipped catalog, loaded once.
enum Shipped {
    static let catalog = Result { () throws(ProtocolLoadError) in try AnakinraProtocolCatalog.load() }

    static func protocolNamed(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> AnakinraProtocol
    {
        try #require(try catalog.get()[id], sourceLocation: sourceLocation)
    }

    static func dose(
        _ id: String,
        _ request: DoseRequest,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> DoseCalculation {
        let p = try protocolNamed(id, sourceLocation: sourceLocation)
        let outcome = AnakinraDosing.calculate(p, request)
        let calculation = try #require(outcome.calculation, "\(outcome.flags)", sourceLocation: sourceLocation)
        DoseInvariantsForShipped.check(p, calculation, sourceLocation: sourceLocation)
        return calculation
    }
}

/// The shipped-protocol version of the hard-cap invariant, applied to every worked case too.
enum DoseInvariantsForShipped {
    static func check(_ p: AnakinraProtocol, _ c: DoseCalculation, sourceLocation: SourceLocation = #_sourceLocation) {
        let doses =
            (c.mg.flatMap { mg in c.frequency.map { (mg, $0) } }.map { [$0] } ?? [])
            + c.options.map { ($0.mg, $0.frequency) }
        for (mg, frequency) in doses {
            let daily = mg * frequency.dosesPer24Hours
            if let cap = p.caps.perDoseMg { #expect(mg <= cap, sourceLocation: sourceLocation) }
            if let cap = p.caps.dailyMg { #expect(daily <= cap, sourceLocation: sourceLocation) }
            if let ceiling = p.caps.mgPerKgPerDay {
                #expect(ExactAmount(daily) <= ceiling * c.weightKg, sourceLocation: sourceLocation)
            }
        }
    }
}

/// clinical-spec.md Part B §12 worked cases (and Part A §A12) that involve dose arithmetic,
/// computed with the shipped protocol files.
@Suite struct WorkedDosingCaseTests {
    @Test func tc01CNH70kgPerDoseCap() throws {
        let dose = try Shipped.dose("childrens-national", DoseRequest(weightKg: 70, level: .forGrade(3)))
        #expect(dose.mg == 100 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 400)
        #expect(dose.capsApplied.map(\.kind) == [.perDoseCap])
        #expect(
            dose.steps.map(\.text).prefix(2) == [
                "2 mg/kg/dose × 70 kg = 140 mg", "per-dose cap 100 mg: 140 mg → 100 mg",
            ]
        )
        #expect(dose.source == "seed Table 1 row CNH")
    }

    @Test func tc02CNH45kg() throws {
        let dose = try Shipped.dose("childrens-national", DoseRequest(weightKg: 45, level: .forGrade(3)))
        #expect(dose.mg == 90 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 360)
        #expect(dose.capsApplied.isEmpty)
    }

    @Test func tc03SeattleChild25kg() throws {
        let dose = try Shipped.dose("seattle-childrens", DoseRequest(weightKg: 25, level: .forGrade(3)))
        #expect(dose.mg == 50 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 200)
        // Seattle's "up to Q6H" default is a ToxWatch policy, and says so.
        let policy = try #require(dose.flags.first { $0.code == .policyDefault })
        #expect(policy.source == "policy" && policy.values == [DosingValue("frequency", "Q6H")])
    }

    @Test func tc09Seattle18kg() throws {
        let dose = try Shipped.dose("seattle-childrens", DoseRequest(weightKg: 18, level: .forGrade(3)))
        #expect(dose.mg == 36 && dose.frequency == .q6h && dose.dailyMg == 144)
        #expect(dose.volumePerDoseML?.decimalText(places: 2) == "0.24")
    }

    @Test func tc10Seattle16kg() throws {
        let dose = try Shipped.dose("seattle-childrens", DoseRequest(weightKg: 16, level: .forGrade(4)))
        #expect(dose.mg == 32 && dose.frequency == .q6h && dose.dailyMg == 128)
    }

    @Test func tc11CHOPFrequencyRequired() throws {
        let dose = try Shipped.dose("chop", DoseRequest(weightKg: 30, level: .forGrade(3)))
        #expect(dose.dailyMg == 60)
        #expect(dose.frequency == nil && dose.mg == nil)
        #expect(dose.has(.frequencyRequired))
        #expect(
            dose.options.map { "\($0.mg) mg \($0.frequency.rawValue)" } == ["15 mg Q6H", "30 mg Q12H", "60 mg Q24H"]
        )
        let flag = try #require(dose.flags.first { $0.code == .frequencyRequired })
        #expect(flag.kind == .alert)
        #expect(flag.values == [DosingValue("Q6H", "15"), DosingValue("Q12H", "30"), DosingValue("Q24H", "60")])
        // The prescriber picks Q6H.
        let picked = try Shipped.dose("chop", DoseRequest(weightKg: 30, level: .forGrade(3), frequency: .q6h))
        #expect(picked.mg == 15 && picked.dailyMg == 60)
        // Escalation ceiling 10 × 30 = 300 mg/day (≤ 400).
        let ceiling = try Shipped.dose("chop", DoseRequest(weightKg: 30, level: .ceiling))
        #expect(ceiling.dailyMg == 300 && ceiling.capsApplied.isEmpty)
    }

    @Test func tc12CHOPDailyCapBinds() throws {
        let dose = try Shipped.dose("chop", DoseRequest(weightKg: 50, level: .ceiling, frequency: .q6h))
        #expect(dose.mg == 100 && dose.frequency == .q6h && dose.dailyMg == 400)
        let cap = try #require(dose.capsApplied.first)
        #expect(dose.capsApplied.count == 1 && cap.kind == .dailyCap && cap.limitMg == ExactAmount(400))
        #expect(cap.beforeMg == ExactAmount(125))  // 500 mg/day ÷ 4
        #expect(dose.mgPerKgPerDay == ExactAmount(8))
        // Without a frequency: 500 → 400 mg/day.
        let daily = try Shipped.dose("chop", DoseRequest(weightKg: 50, level: .ceiling))
        #expect(daily.dailyMg == 400 && daily.capsApplied.map(\.kind) == [.dailyCap])
    }

    @Test func tc13NIH40kgRange() throws {
        let severe = try Shipped.dose("nih-cc", DoseRequest(weightKg: 40, level: .forGrade(3)))
        #expect(severe.mg == 160 && severe.route == .sc && severe.frequency == .q12h && severe.dailyMg == 320)
        #expect(severe.syringesPerDose == 2)
        #expect(severe.volumePerDoseML?.decimalText(places: 2) == "1.07")
        #expect(severe.flags.filter { $0.code == .aboveCommonCap }.map(\.values.first) == [DosingValue("mg", "160")])
        let ceiling = try Shipped.dose("nih-cc", DoseRequest(weightKg: 40, level: .ceiling))
        #expect(ceiling.mg == 200 && ceiling.dailyMg == 400)
        #expect(ceiling.volumePerDoseML?.decimalText(places: 2) == "1.33")
        #expect(ceiling.capsApplied.isEmpty)
    }

    @Test func tc14NIH60kgNoCapIsNotSilentlyCapped() throws {
        let severe = try Shipped.dose("nih-cc", DoseRequest(weightKg: 60, level: .forGrade(3)))
        #expect(severe.mg == 240 && severe.dailyMg == 480 && severe.capsApplied.isEmpty)
        #expect(severe.flags.filter { $0.code == .aboveCommonCap }.count == 2)
        let ceiling = try Shipped.dose("nih-cc", DoseRequest(weightKg: 60, level: .ceiling))
        #expect(ceiling.mg == 300 && ceiling.dailyMg == 600)
        #expect(ceiling.flags.filter { $0.code == .aboveCommonCap }.count == 2)
    }

    @Test func tc15MUSC25kgAndTaper() throws {
        let dose = try Shipped.dose("musc", DoseRequest(weightKg: 25))
        #expect(dose.mg == 100 && dose.route == .sc && dose.frequency == .q12h && dose.dailyMg == 200)
        #expect(dose.volumePerDoseML?.decimalText(places: 2) == "0.67")
        #expect(!dose.has(.aboveCommonCap))
        let current = try #require(CurrentDose(dose))
        let taper = try #require(
            AnakinraDosing.taperSchedule(try Shipped.protocolNamed("musc"), from: current, weightKg: 25).steps
        )
        #expect(taper.map(\.description) == ["1. 50 mg Q12H (100 mg/day) for 48–72 h", "2. stop"])
    }

    @Test func tc16MUSC35kgAbovePerDoseCommonCap() throws {
        let dose = try Shipped.dose("musc", DoseRequest(weightKg: 35))
        #expect(dose.mg == 140 && dose.dailyMg == 280 && dose.syringesPerDose == 2)
        #expect(dose.volumePerDoseML?.decimalText(places: 2) == "0.93")
        #expect(dose.flags.filter { $0.code == .aboveCommonCap }.map(\.values.first) == [DosingValue("mg", "140")])
        let current = try #require(CurrentDose(dose))
        let taper = try #require(
            AnakinraDosing.taperSchedule(try Shipped.protocolNamed("musc"), from: current, weightKg: 35).steps
        )
        #expect(taper.first?.mg == 70 && taper.first?.frequency == .q12h)
        // The alternative fixed regimen: 100 mg daily, then 50 mg daily, then stop.
        let fixed = try Shipped.dose("musc", DoseRequest(weightKg: 35, regimenId: "fixed-100mg-daily"))
        #expect(fixed.mg == 100 && fixed.frequency == .q24h)
        let fixedCurrent = try #require(CurrentDose(fixed))
        let fixedTaper = try #require(
            AnakinraDosing.taperSchedule(
                try Shipped.protocolNamed("musc"),
                from: fixedCurrent,
                weightKg: 35,
                regimenId: "fixed-100mg-daily"
            ).steps
        )
        #expect(fixedTaper.map(\.description) == ["1. 50 mg Q24H (50 mg/day) for 48–72 h", "2. stop"])
    }

    @Test func tc17StJude40kgExactSyringe() throws {
        let dose = try Shipped.dose("st-jude", DoseRequest(weightKg: 40))
        #expect(dose.mg == 100 && dose.frequency == .q6h && dose.dailyMg == 400)
        #expect(
            !dose.has(.roundedToWholeSyringe) && !dose.has(.roundingConfirmationRequired) && !dose.has(.aboveCommonCap)
        )
    }

    @Test func tc18StJude22kgRoundingConfirmation() throws {
        let dose = try Shipped.dose("st-jude", DoseRequest(weightKg: 22))
        #expect(dose.mg == 55 && dose.frequency == .q6h && dose.dailyMg == 220)
        let flag = try #require(dose.flags.first { $0.code == .roundingConfirmationRequired })
        #expect(flag.kind == .alert && flag.source == "policy")
    }

    @Test func a12StJude38kgRoundedToWholeSyringe() throws {
        let dose = try Shipped.dose("st-jude", DoseRequest(weightKg: 38))
        #expect(dose.mg == 100 && dose.dailyMg == 400)
        let flag = try #require(dose.flags.first { $0.code == .roundedToWholeSyringe })
        #expect(flag.kind == .reason)
        #expect(flag.values.prefix(2) == [DosingValue("computedMg", "95"), DosingValue("mg", "100")])
        #expect(dose.steps.map(\.text).contains("rounded to 1 × 100 mg syringe: 95 mg → 100 mg (within 10 %)"))
    }

    @Test func tc19StJudeIVAndNIHOffProtocolIV() throws {
        let stJude = try Shipped.dose("st-jude", DoseRequest(weightKg: 40, route: .iv))
        #expect(stJude.mg == 100 && stJude.route == .iv && !stJude.has(.routeOutsideProtocol))
        let nih = try Shipped.dose("nih-cc", DoseRequest(weightKg: 30, level: .forGrade(3), route: .iv))
        #expect(nih.mg == 120 && nih.has(.routeOutsideProtocol))
    }

    @Test func tc20CNH65kgComputedDoseShown() throws {
        let dose = try Shipped.dose("childrens-national", DoseRequest(weightKg: 65, level: .forGrade(3)))
        #expect(dose.mg == 100 && dose.route == .iv && dose.frequency == .q6h)
        #expect(dose.capsApplied.first?.beforeMg == ExactAmount(130))
    }

    @Test func tc21RenalAndDoses() throws {
        let adult = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 19,
                sex: .male,
                weightKg: 68,
                heightCm: nil,
                serumCreatinineMgPerDL: 4.0
            ).estimate
        )
        #expect(adult.rounded.decimalText(places: 1) == "28.6" && adult.isBelow30)
        #expect(try Shipped.dose("childrens-national", DoseRequest(weightKg: 68, level: .forGrade(3))).mg == 100)
        let child = try #require(
            RenalFunction.estimateCreatinineClearance(
                ageYears: 9,
                sex: .female,
                weightKg: 27,
                heightCm: 130,
                serumCreatinineMgPerDL: 2.0
            ).estimate
        )
        #expect(child.rounded.decimalText(places: 1) == "26.8" && child.isBelow30)
        #expect(try Shipped.dose("childrens-national", DoseRequest(weightKg: 27, level: .forGrade(3))).mg == 54)
    }

    @Test func tc22CNHDailyCapOnFrequencyChange() throws {
        let dose = try Shipped.dose(
            "childrens-national",
            DoseRequest(weightKg: 44, level: .prescribed(ExactAmount(thousandths: 2500)), frequency: .q4h)
        )
        #expect(dose.mg == 66 && dose.frequency == .q4h && dose.dailyMg == 396)
        #expect(dose.capsApplied.map(\.kind) == [.perDoseCap, .dailyCap])
        #expect(
            dose.steps.map(\.text).prefix(3) == [
                "2.5 mg/kg/dose × 44 kg = 110 mg",
                "per-dose cap 100 mg: 110 mg → 100 mg",
                "daily cap 400 mg/day: 6 × 100 mg = 600 mg > 400 mg → floor(400 ÷ 6) = 66 mg",
            ]
        )
        #expect(dose.has(.frequencyOutsideProtocol) && dose.has(.doseOutsideProtocol))
        // Both options: 66 mg Q4H, or back to the protocol's 100 mg Q6H.
        #expect(dose.options.map(\.description) == ["100 mg Q6H (400 mg/day)"])
    }

    @Test func tc24TocilizumabShortageAlternatives() throws {
        #expect(try #require(SupportingAgentDosing.tocilizumab(weightKg: 28).dose).mg == ExactAmount(336))
        let dexamethasone = try #require(
            SupportingAgentDosing.dexamethasoneShortageAlternative(ageYears: 9, weightKg: 28).dose
        )
        #expect(dexamethasone.mg == ExactAmount(10) && dexamethasone.capsApplied.first?.beforeMg == ExactAmount(14))
        #expect(try #require(SupportingAgentDosing.siltuximab(weightKg: 28).dose).mg == ExactAmount(308))
        let anakinra = try Shipped.dose("childrens-national", DoseRequest(weightKg: 28, level: .forGrade(2)))
        #expect(anakinra.mg == 56 && anakinra.route == .iv && anakinra.frequency == .q6h)
    }

    @Test func tc25TocilizumabMaximumAndCNH() throws {
        let tocilizumab = try #require(SupportingAgentDosing.tocilizumab(weightKg: 110).dose)
        #expect(tocilizumab.mg == ExactAmount(800) && tocilizumab.capsApplied.first?.beforeMg == ExactAmount(880))
        let anakinra = try Shipped.dose("childrens-national", DoseRequest(weightKg: 110, level: .forGrade(3)))
        #expect(
            anakinra.mg == 100 && anakinra.dailyMg == 400 && anakinra.capsApplied.first?.beforeMg == ExactAmount(220)
        )
    }

    @Test func tc28NIHLateCarHLH30kg() throws {
        let severe = try Shipped.dose("nih-cc", DoseRequest(weightKg: 30, level: .forGrade(3)))
        let ceiling = try Shipped.dose("nih-cc", DoseRequest(weightKg: 30, level: .ceiling))
        #expect(severe.mg == 120 && ceiling.mg == 150 && severe.frequency == .q12h)
    }

    @Test func tc29Infant8kg() throws {
        let dose = try Shipped.dose("childrens-national", DoseRequest(weightKg: 8, level: .forGrade(2)))
        #expect(dose.mg == 16 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 64)
        let flag = try #require(dose.flags.first { $0.code == .lowVolumeMeasurement })
        #expect(flag.values.contains(DosingValue("scVolumeML", "0.107")))
        #expect(try #require(SupportingAgentDosing.tocilizumab(weightKg: 8).dose).mg == ExactAmount(96))
    }

    @Test func a12CNHTaperFrom90mgQ6H() throws {
        let steps = try #require(
            AnakinraDosing.taperSchedule(
                try Shipped.protocolNamed("childrens-national"),
                from: CurrentDose(mg: 90, frequency: .q6h, route: .iv),
                weightKg: 45
            ).steps
        )
        #expect(
            steps.map { $0.isStop ? "stop" : "\($0.mg ?? 0) mg \($0.frequency?.rawValue ?? "")" } == [
                "90 mg Q8H", "90 mg Q12H", "90 mg Q24H", "stop",
            ]
        )
        #expect(steps.dropLast().allSatisfy { $0.hours == HoursRange(24) })
    }

    @Test func a12WeightMissingGivesNoDose() throws {
        for id in try Shipped.catalog.get().ids {
            let outcome = AnakinraDosing.calculate(
                try Shipped.protocolNamed(id),
                DoseRequest(weightKg: nil, level: .forGrade(3))
            )
            #expect(outcome.calculation == nil)
            #expect(outcome.flags.map(\.code) == [.weightRequired])
        }
    }

    // MARK: Caps at their edges

    /// 2 mg/kg reaches the 100 mg per-dose cap at 50 kg.
    @Test(arguments: [(49.9, 100, false), (50.0, 100, false), (50.1, 100, true), (49.7, 99, false)])
    func cnhPerDoseCapEdge(_ weight: Double, _ mg: Int, _ capped: Bool) throws {
        let dose = try Shipped.dose("childrens-national", DoseRequest(weightKg: weight, level: .forGrade(3)))
        #expect(dose.mg == mg)
        #expect(dose.applied(.perDoseCap) == capped)
        #expect(dose.dailyMg == mg * 4)
    }

    /// 10 mg/kg/day reaches 400 mg/day at 40 kg (CHOP at its ceiling, Q6H).
    @Test(arguments: [(39.9, 99, 396, false), (40.0, 100, 400, false), (40.1, 100, 400, true)])
    func chopDailyCapEdge(_ weight: Double, _ mg: Int, _ daily: Int, _ capped: Bool) throws {
        let dose = try Shipped.dose("chop", DoseRequest(weightKg: weight, level: .ceiling, frequency: .q6h))
        #expect(dose.mg == mg)
        #expect(dose.dailyMg == daily)
        #expect(dose.applied(.dailyCap) == capped)
        // At 39.9 kg the 10 mg/kg/day ceiling (399 mg/day) is what holds rounding back.
        #expect(dose.has(.roundedDownToCap) == (weight < 40))
    }

    /// The same edges for the daily total without a frequency.
    @Test(arguments: [(39.9, 399, false), (40.0, 400, false), (40.1, 400, true)])
    func chopDailyCapEdgeWithoutFrequency(_ weight: Double, _ daily: Int, _ capped: Bool) throws {
        let dose = try Shipped.dose("chop", DoseRequest(weightKg: weight, level: .ceiling))
        #expect(dose.dailyMg == daily)
        #expect(dose.applied(.dailyCap) == capped)
    }

    // MARK: Escalation on the shipped protocols

    @Test func chopEscalationDoublesToTheCeiling() throws {
        let chop = try Shipped.protocolNamed("chop")
        var current = CurrentDose(mg: 15, frequency: .q6h, route: .iv)
        var doses: [Int] = []
        while case .escalated(let next) = AnakinraDosing.escalate(chop, from: current, weightKg: 30), let mg = next.mg {
            doses.append(mg)
            current = CurrentDose(mg: mg, frequency: .q6h, route: .iv)
            if doses.count > 5 { break }
        }
        #expect(doses == [30, 60, 75])  // 120, 240, 300 mg/day (10 mg/kg/day × 30 kg)
    }

    /// Lead decision: CNH/Seattle `to-per-dose-cap` escalation ships bounded at 10 mg/kg/day (the
    /// seed's highest weight-based dose), so a child below 40 kg never reaches the 100 mg cap.
    @Test(arguments: [
        // (protocol, kg, current mg, escalated mg, escalated daily mg)
        ("childrens-national", 28.0, 56, 70, 280),
        ("childrens-national", 10.0, 20, 25, 100),
        ("childrens-national", 45.0, 90, 100, 400),
        ("seattle-childrens", 18.0, 36, 45, 180),
        ("seattle-childrens", 40.0, 80, 100, 400),
    ])
    func cnhAndSeattleEscalationIsBoundedAt10MgPerKgPerDay(
        id: String,
        kg: Double,
        current: Int,
        mg: Int,
        daily: Int
    ) throws {
        let p = try Shipped.protocolNamed(id)
        #expect(p.escalation.maxMgPerKgPerDay == ExactAmount(10))
        guard
            case .escalated(let dose) = AnakinraDosing.escalate(
                p,
                from: CurrentDose(mg: current, frequency: .q6h, route: .iv),
                weightKg: kg
            )
        else {
            Issue.record("\(id) should escalate from \(current) mg at \(kg) kg")
            return
        }
        #expect(dose.mg == mg && dose.dailyMg == daily)
        #expect(dose.mgPerKgPerDay.map { $0 <= ExactAmount(10) } == true)
        #expect(!dose.has(.escalationAboveSeedMaximum))
    }

    @Test func cnhAtTheCapAndTheBoundHasNoHeadroom() throws {
        guard
            case .atCeiling(let flag) = AnakinraDosing.escalate(
                try Shipped.protocolNamed("childrens-national"),
                from: CurrentDose(mg: 25, frequency: .q6h, route: .iv),
                weightKg: 10
            )
        else {
            Issue.record("a 10 kg child on 25 mg Q6H is at 10 mg/kg/day already")
            return
        }
        #expect(flag.code == .atProtocolCeiling)
    }

    @Test func stJudeAndMUSCHoldAtTheirCeiling() throws {
        for (id, current) in [
            ("st-jude", CurrentDose(mg: 100, frequency: .q6h, route: .sc)),
            ("musc", CurrentDose(mg: 100, frequency: .q12h, route: .sc)),
        ] {
            guard
                case .atCeiling(let flag) = AnakinraDosing.escalate(
                    try Shipped.protocolNamed(id),
                    from: current,
                    weightKg: 25
                )
            else {
                Issue.record("\(id) should be at its ceiling")
                continue
            }
            #expect(flag.code == .atProtocolCeiling)
        }
    }
}
