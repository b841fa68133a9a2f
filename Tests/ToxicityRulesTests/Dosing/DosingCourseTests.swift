import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Escalation and taper arithmetic on fixture protocols.
@Suite struct DosingCourseTests {
    // MARK: Escalation

    @Test func perDoseCapEscalationMovesToTheCap() throws {
        let p = try ProtocolFixture.perDoseCapped()
        let outcome = AnakinraDosing.escalate(p, from: CurrentDose(mg: 90, frequency: .q6h, route: .iv), weightKg: 45)
        guard case .escalated(let result) = outcome else {
            Issue.record("expected an escalation, got \(outcome)")
            return
        }
        #expect(result.mg == 100 && result.frequency == .q6h && result.dailyMg == 400)
        #expect(result.has(.escalated))
        #expect(!result.has(.doseOutsideProtocol))
        #expect(result.steps.first?.kind == .escalation)
    }

    /// §A13.3: a protocol without a mg/kg/day ceiling escalates within the seed's 10 mg/kg/day.
    @Test func perDoseCapEscalationInASmallChildStopsAtTenMgPerKgPerDay() throws {
        let p = try ProtocolFixture.perDoseCapped()
        guard
            case .escalated(let result) = AnakinraDosing.escalate(
                p,
                from: CurrentDose(mg: 56, frequency: .q6h, route: .iv),
                weightKg: 28
            )
        else {
            Issue.record("expected an escalation")
            return
        }
        // Not 100 mg Q6H (14.3 mg/kg/day at 28 kg): 10 mg/kg/day × 28 kg = 280 mg/day = 70 mg Q6H.
        #expect(result.mg == 70 && result.dailyMg == 280)
        #expect(!result.flags.contains { $0.code == .escalationAboveSeedMaximum })
    }

    @Test func siteEscalationBoundLimitsTheEscalation() throws {
        var p = try ProtocolFixture.perDoseCapped()
        p.escalation.maxMgPerKgPerDay = ExactAmount(10)
        guard
            case .escalated(let result) = AnakinraDosing.escalate(
                p,
                from: CurrentDose(mg: 56, frequency: .q6h, route: .iv),
                weightKg: 28
            )
        else {
            Issue.record("expected an escalation")
            return
        }
        // 10 mg/kg/day × 28 kg = 280 mg/day → 70 mg Q6H.
        #expect(result.mg == 70 && result.dailyMg == 280)
        #expect(!result.has(.escalationAboveSeedMaximum))
        #expect(
            result.steps.map(\.text).prefix(3) == [
                "escalation (to-per-dose-cap) to the per-dose cap 100 mg at Q6H",
                "escalation bound 10 mg/kg/day × 28 kg = 280 mg/day", "2.5 mg/kg/dose × 28 kg = 70 mg",
            ])
        // Already at the bound: no further escalation.
        let again = AnakinraDosing.escalate(p, from: CurrentDose(mg: 70, frequency: .q6h, route: .iv), weightKg: 28)
        guard case .atCeiling = again else {
            Issue.record("expected at-protocol-ceiling, got \(again)")
            return
        }
    }

    @Test func perDoseCapEscalationAtTheCapIsAtCeiling() throws {
        let p = try ProtocolFixture.perDoseCapped()
        let outcome = AnakinraDosing.escalate(p, from: CurrentDose(mg: 100, frequency: .q6h, route: .iv), weightKg: 70)
        guard case .atCeiling(let flag) = outcome else {
            Issue.record("expected at-protocol-ceiling, got \(outcome)")
            return
        }
        #expect(flag.code == .atProtocolCeiling)
    }

    @Test func doublingStopsAtTheCeilingAndTheDailyCap() throws {
        let p = try ProtocolFixture.perDayNoFrequency()
        // 30 kg: 60 → 120 → 240 → 300 (10 mg/kg/day) → at ceiling.
        var current = CurrentDose(dailyMg: 60, route: .iv)
        var dailies: [Int] = []
        while case .escalated(let result) = AnakinraDosing.escalate(p, from: current, weightKg: 30) {
            let daily = try #require(result.dailyMg)
            dailies.append(daily)
            current = CurrentDose(dailyMg: daily, route: .iv)
            #expect(dailies.count < 10)
        }
        #expect(dailies == [120, 240, 300])
        // 50 kg at Q6H: 100 mg Q6H = 400 mg/day is already the daily cap.
        let capped = AnakinraDosing.escalate(p, from: CurrentDose(mg: 100, frequency: .q6h, route: .iv), weightKg: 50)
        guard case .atCeiling = capped else {
            Issue.record("expected at-protocol-ceiling, got \(capped)")
            return
        }
    }

    @Test func doublingWithAFrequencyKeepsIt() throws {
        let p = try ProtocolFixture.perDayNoFrequency()
        let outcome = AnakinraDosing.escalate(p, from: CurrentDose(mg: 15, frequency: .q6h, route: .iv), weightKg: 30)
        guard case .escalated(let result) = outcome else {
            Issue.record("expected an escalation, got \(outcome)")
            return
        }
        #expect(result.mg == 30 && result.frequency == .q6h && result.dailyMg == 120)
    }

    @Test func rangeEscalationGoesToTheHighEndOnce() throws {
        let p = try ProtocolFixture.rangeUncapped()
        let outcome = AnakinraDosing.escalate(p, from: CurrentDose(mg: 160, frequency: .q12h, route: .sc), weightKg: 40)
        guard case .escalated(let result) = outcome else {
            Issue.record("expected an escalation, got \(outcome)")
            return
        }
        #expect(result.mg == 200 && result.dailyMg == 400)
        let again = AnakinraDosing.escalate(p, from: CurrentDose(mg: 200, frequency: .q12h, route: .sc), weightKg: 40)
        guard case .atCeiling = again else {
            Issue.record("expected at-protocol-ceiling, got \(again)")
            return
        }
    }

    @Test func noEscalationRuleHolds() throws {
        let outcome = AnakinraDosing.escalate(
            try ProtocolFixture.wholeSyringeUncapped(),
            from: CurrentDose(mg: 100, frequency: .q6h, route: .sc),
            weightKg: 40
        )
        guard case .atCeiling(let flag) = outcome else {
            Issue.record("expected at-protocol-ceiling, got \(outcome)")
            return
        }
        #expect(flag.values.contains(DosingValue("dailyMg", "400")))
    }

    @Test func escalationWithoutWeightGivesNoDose() throws {
        let outcome = AnakinraDosing.escalate(
            try ProtocolFixture.perDoseCapped(),
            from: CurrentDose(mg: 40, frequency: .q6h, route: .iv),
            weightKg: nil
        )
        guard case .noDose(let flags) = outcome else {
            Issue.record("expected no dose, got \(outcome)")
            return
        }
        #expect(flags.map(\.code) == [.weightRequired])
    }

    // MARK: Taper

    func schedule(_ p: AnakinraProtocol, _ current: CurrentDose, weightKg: Double?, regimenId: String? = nil) throws
        -> [TaperStep]
    {
        try #require(AnakinraDosing.taperSchedule(p, from: current, weightKg: weightKg, regimenId: regimenId).steps)
    }

    @Test func defaultTaperLengthensTheIntervalWithTheSameDose() throws {
        let steps = try schedule(
            ProtocolFixture.perDoseCapped(),
            CurrentDose(mg: 90, frequency: .q6h, route: .iv),
            weightKg: 45
        )
        #expect(
            steps.map(\.description) == [
                "1. 90 mg Q8H (270 mg/day) for 24 h", "2. 90 mg Q12H (180 mg/day) for 24 h",
                "3. 90 mg Q24H (90 mg/day) for 24 h",
                "4. stop",
            ]
        )
        #expect(steps.last?.isStop == true)
        #expect(steps.last?.flags.contains { $0.code == .taperComplete } == true)
        // The first step alone.
        let next = try #require(
            AnakinraDosing.nextTaperStep(
                ProtocolFixture.perDoseCapped(),
                from: CurrentDose(mg: 90, frequency: .q6h, route: .iv),
                weightKg: 45
            ).steps
        )
        #expect(next.map(\.description) == ["1. 90 mg Q8H (270 mg/day) for 24 h"])
    }

    @Test func defaultTaperFromQ12HGoesToQ24HThenStops() throws {
        let steps = try schedule(
            ProtocolFixture.rangeUncapped(),
            CurrentDose(mg: 160, frequency: .q12h, route: .sc),
            weightKg: nil
        )
        #expect(steps.map(\.description) == ["1. 160 mg Q24H (160 mg/day) for 24 h", "2. stop"])
    }

    @Test func doseStepTaperHalvesThenStops() throws {
        let steps = try schedule(
            ProtocolFixture.doseStepTaper(),
            CurrentDose(mg: 100, frequency: .q12h, route: .sc),
            weightKg: 25
        )
        #expect(steps.map(\.description) == ["1. 50 mg Q12H (100 mg/day) for 48–72 h", "2. stop"])
    }

    @Test func doseStepThatWouldRaiseTheDoseIsHeldOrSkipped() throws {
        // Current 30 mg Q12H (a lower dose than the protocol's 2 mg/kg × 25 kg = 50 mg step).
        let steps = try schedule(
            ProtocolFixture.doseStepTaper(),
            CurrentDose(mg: 30, frequency: .q12h, route: .sc),
            weightKg: 25
        )
        // 50 → held at 30 → 60 mg/day does not lower 60 mg/day → skipped; then stop.
        #expect(steps.map(\.description) == ["1. stop"])
        #expect(steps[0].flags.contains { $0.code == .taperStepSkipped })
    }

    @Test func alternativeRegimenTaper() throws {
        let steps = try schedule(
            ProtocolFixture.doseStepTaper(),
            CurrentDose(mg: 100, frequency: .q24h, route: .sc),
            weightKg: 35,
            regimenId: "fixed-100mg-daily"
        )
        #expect(steps.map(\.description) == ["1. 50 mg Q24H (50 mg/day) for 48–72 h", "2. stop"])
    }

    @Test func taperCapsACurrentDoseAboveTheCap() throws {
        let steps = try schedule(
            ProtocolFixture.perDoseCapped(),
            CurrentDose(mg: 150, frequency: .q6h, route: .iv),
            weightKg: 70
        )
        #expect(steps.first?.mg == 100)
        #expect(steps.first?.flags.contains { $0.code == .currentDoseAboveCap } == true)
    }

    @Test func taperEndsWhenTheCapsLeaveLessThanOneMilligram() throws {
        // Found by the taper property: 1 mg/kg/day × 0.5 kg = 0.5 mg/day cannot hold any dose.
        var p = try ProtocolFixture.perDoseCapped()
        p.caps.mgPerKgPerDay = ExactAmount(1)
        let steps = try schedule(p, CurrentDose(mg: 100, frequency: .q6h, route: .iv), weightKg: 0.5)
        #expect(steps.map(\.description) == ["1. stop"])
        #expect(steps[0].flags.map(\.code) == [.doseBelowOneMg, .taperComplete])
    }

    @Test func stopWithoutTaper() throws {
        var p = try ProtocolFixture.perDoseCapped()
        p.taper.method = .stopWithoutTaper
        p.taper.intervals = []
        let steps = try schedule(p, CurrentDose(mg: 100, frequency: .q6h, route: .iv), weightKg: 70)
        #expect(steps.map(\.description) == ["1. stop"])
    }

    @Test func taperNeedsAFrequency() throws {
        let outcome = AnakinraDosing.taperSchedule(
            try ProtocolFixture.perDayNoFrequency(),
            from: CurrentDose(dailyMg: 60, route: .iv),
            weightKg: 30
        )
        #expect(outcome.steps == nil)
        guard case .noDose(let flags) = outcome else { return }
        #expect(flags.map(\.code) == [.frequencyRequired])
    }

    @Test func taperWithMgPerKgStepsNeedsAWeight() throws {
        let outcome = AnakinraDosing.taperSchedule(
            try ProtocolFixture.doseStepTaper(),
            from: CurrentDose(mg: 100, frequency: .q12h, route: .sc),
            weightKg: nil
        )
        guard case .noDose(let flags) = outcome else {
            Issue.record("expected no dose, got \(outcome)")
            return
        }
        #expect(flags.map(\.code) == [.weightRequired])
    }
}
