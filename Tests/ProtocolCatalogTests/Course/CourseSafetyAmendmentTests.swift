import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// clinical-spec §A13.6–11 and §A13.14: when a course may taper and stop, how a taper is timed,
/// recurrence, non-response and stock.
@Suite struct CourseSafetyAmendmentTests {
    // MARK: §A13.9 taper steps timed from the step's start

    @Test(
        "§A13.9 CNH taper 90 mg: Q8H × 3, Q12H × 2, Q24H × 1 (72 h), then stop, with or without stored history",
        arguments: [true, false])
    func cnhTaperLastsSeventyTwoHours(recorded: Bool) throws {
        var loop = SimulatedPharmacy(
            RecommendationWorkedCaseTests.cnhOnAnakinra(lastSteroid: -30),
            protocolId: "childrens-national",
            recordsRecommendations: recorded
        )
        var stoppedAt: Double?
        try loop.run(from: 1, through: 120) { turn in
            if stoppedAt == nil, turn.assessment.action == .stop { stoppedAt = turn.at }
        }
        let taperDoses = loop.doses
        #expect(taperDoses.map(\.at) == [8, 16, 24, 36, 48, 72])
        #expect(taperDoses.allSatisfy { $0.mg == 90 })
        // Each step covers 24 h: 3 × 8 h + 2 × 12 h + 1 × 24 h = 72 h.
        #expect(stoppedAt == 73)
        #expect(loop.turns.filter { $0.at < 73 }.allSatisfy { $0.assessment.action == .taper })
    }

    @Test(
        "§A13.9 recurrence during the taper: continue at the last full dose with code recurrence",
        arguments: [true, false])
    func recurrenceDuringTheTaperContinuesTheFullDose(recorded: Bool) throws {
        var c = RecommendationWorkedCaseTests.cnhOnAnakinra(lastSteroid: -30)
        if recorded { c.record(try c.assess(at: 0.5, "childrens-national"), at: 0.5) }
        c.anakinra(from: 8, through: 24, every: 8, mg: 90)
        c.med(at: 25, .norepinephrine, .infusionStarted)
        c.vitals(at: 26, temp: 38.9, sbp: 80, oxygen: .nasalCannula(4))
        let a = try c.assess(at: 26, "childrens-national")
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .continue && a.decisiveReason == .recurrence)
        #expect(a.dose?.mg == 90 && a.dose?.frequency == .q6h)
        #expect(!a.reasonCodes.contains(.gradeNotFallen) && !a.reasonCodes.contains(.escalated))
    }

    // MARK: §A13.10 non-response beats taper when the start was at grade ≤ 2

    /// 9 y, 30 kg on CNH: CRS 2 refractory to tocilizumab and dexamethasone, anakinra started at 26 h
    /// (60 mg Q6H); from 28 h CRS 2 persists or falls to 1.
    static func cnhGrade2Start(responding: Bool) throws -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 9, weightKg: 30)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.med(at: 1, .tocilizumab, doseMg: 360)
        c.med(at: 2, .dexamethasone, doseMg: 10)
        c.vitals(from: 4, through: 24, temp: 38.6, sbp: 80, oxygen: .roomAir)
        c.vitals(from: 28, through: 80, temp: 38.6, sbp: responding ? 110 : 80, oxygen: .roomAir)
        c.neuro(from: 0, through: 80, capd: 2)
        let start = try c.assess(at: 26, "childrens-national")
        #expect(start.grades.crs.grade == 2 && start.action == .start && start.dose?.mg == 60)
        c.record(start, at: 26)
        c.anakinra(from: 26, through: 50, every: 6, mg: 60)
        return c
    }

    @Test("§A13.10 a grade-2 start that does not respond escalates at 24 h instead of tapering")
    func grade2StartNotRespondingEscalates() throws {
        let c = try Self.cnhGrade2Start(responding: false)
        let a = try c.assess(at: 50.5, "childrens-national")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == .escalate)
        #expect(a.dose?.mg == 75 && a.dose?.frequency == .q6h && a.dose?.dailyMg == 300)
    }

    @Test("§A13.10 a grade-2 start that falls to grade 1 for 24 h tapers")
    func grade2StartThatFallsTapers() throws {
        let c = try Self.cnhGrade2Start(responding: true)
        let a = try c.assess(at: 52.5, "childrens-national")
        #expect(a.grades.crs.grade == 1)
        #expect(a.action == .taper && a.dose?.frequency == .q8h)
    }

    // MARK: §A13.11 Oliai

    /// 50 kg adult on Oliai for ICANS 1 (ICE 8) from hour 0: 100 mg SC Q6H.
    static func oliaiICANS1(persistingThrough end: Double) -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 40, weightKg: 50)
        c.vitals(from: 0, through: 120, temp: 37.0, sbp: 120, oxygen: .roomAir)
        c.neuro(from: 0, through: end, every: 4, ice: 8)
        if end < 120 { c.neuro(from: end + 4, through: 120, every: 4, ice: 10) }
        return c
    }

    @Test("§A13.11 Oliai started at ICANS 1 continues while ICANS 1 persists, without stop/start cycling")
    func oliaiContinuesWhileICANS1Persists() throws {
        var loop = SimulatedPharmacy(Self.oliaiICANS1(persistingThrough: 120), protocolId: "oliai")
        try loop.run(from: 0, through: 100)
        #expect(loop.turns.first?.assessment.action == .start)
        #expect(loop.turns.dropFirst().allSatisfy { $0.assessment.action == .continue })
    }

    @Test("§A13.11 Oliai stops only after ICANS 0 held 24 h, and never says 'end of the taper'")
    func oliaiStopsAfterICANS0Held() throws {
        var loop = SimulatedPharmacy(Self.oliaiICANS1(persistingThrough: 24), protocolId: "oliai")
        var stop: Assessment?
        var stoppedAt: Double?
        try loop.run(from: 0, through: 100) { turn in
            if stop == nil, turn.assessment.action == .stop {
                stop = turn.assessment
                stoppedAt = turn.at
            }
        }
        // ICANS 0 from 28 h: held 24 h at 52 h (≥ 48 h after the start).
        #expect(stoppedAt == 52)
        let text = stop?.recommendation?.rationale.joined(separator: " ") ?? ""
        #expect(!text.contains("end of the taper") && !text.contains("End of the taper"))
        #expect(loop.turns.filter { $0.at > 52 }.allSatisfy { $0.assessment.action != .start })
    }

    // MARK: §A13.6–8 what else blocks a taper

    /// St. Jude, 13 y, 40 kg, on 100 mg SC Q6H for IEC-HS from 111 h; CRS and ICANS quiet, the IEC-HS
    /// grade stable (the stable-for-24 h case of the rule tests), labs as given.
    static func stJudeOnAnakinra(
        ferritin: [(Double, Double)],
        fibrinogen: [(Double, Double)],
        mg: Double = 100,
        lateFever: Bool = true
    ) -> CourseBuilder {
        var c = RecommendationWorkedCaseTests.iecHs(
            ageYears: 13,
            weightKg: 40,
            target: "CD19",
            fibrinogen: 200,
            lateFever: lateFever
        )
        c.anakinra(from: 111, through: 170, every: 6, mg: mg, route: .sc)
        c.vitals(from: 114, through: 170, temp: 37.0, sbp: 110, oxygen: .roomAir)
        c.neuro(from: 110, through: 170, ice: 10)
        for (at, value) in ferritin { c.lab(at: at, .ferritin, value, uln: 300) }
        for (at, value) in fibrinogen { c.lab(at: at, .fibrinogen, value) }
        c.lab(at: 140, .alt, 250, uln: 40)
        return c
    }

    @Test("§A13.6 St. Jude does not taper while ferritin rises 30 % per 12 h and fibrinogen falls")
    func stJudeDoesNotTaperWhileIECHSWorsensByItsLabs() throws {
        let c = Self.stJudeOnAnakinra(
            ferritin: [(122, 49_400), (134, 64_220)],
            fibrinogen: [(122, 170), (134, 140)]
        )
        let a = try c.assess(at: 141, "st-jude")
        #expect(a.action == .continue && a.decisiveReason == .iecHsNotStable)
        #expect(a.dose?.mg == 100 && a.dose?.frequency == .q6h)
        let text = a.recommendation?.rationale.joined(separator: " ") ?? ""
        #expect(text.contains("ferritin") && text.contains("fibrinogen"))
        // Falling ferritin and steady fibrinogen: the taper goes ahead.
        let stable = Self.stJudeOnAnakinra(ferritin: [(140, 30_000)], fibrinogen: [(140, 200)])
        #expect(try stable.assess(at: 141, "st-jude").action == .taper)
    }

    @Test(
        "§A13.8 last agent weaned: any other CAR T toxicity agent still active blocks the taper, named",
        arguments: [Drug.ruxolitinib, .emapalumab, .siltuximab, .tocilizumab, .dexamethasone])
    func lastAgentWeanedNamesTheActiveAgents(agent: Drug) throws {
        var c = Self.stJudeOnAnakinra(ferritin: [(140, 30_000)], fibrinogen: [(140, 200)])
        c.med(at: 130, agent, doseMg: 10)
        let a = try c.assess(at: 141, "st-jude")
        #expect(a.action == .continue && a.decisiveReason == .lastAgentWeaned)
        #expect(a.recommendation?.rationale.first?.contains(agent.name) == true)
    }

    @Test("§A13.7 anakinra started for carHLH/IEC-HS on CNH: the taper also needs IEC-HS stable")
    func cnhStartedForIECHSNeedsIECHSStable() throws {
        let c = Self.stJudeOnAnakinra(
            ferritin: [(122, 49_400), (134, 64_220)],
            fibrinogen: [(122, 170), (134, 140)],
            mg: 80,
            lateFever: false
        )
        let a = try c.assess(at: 141, "childrens-national")
        let crs = try #require(a.grades.crs.grade, "CRS graded at the reassessment (not stale)")
        let icans = try #require(a.grades.icans.grade, "ICANS graded at the reassessment (not stale)")
        #expect(crs <= 2 && icans <= 2)
        #expect(a.action == .continue && a.decisiveReason == .iecHsNotStable)
        // The same course with stable labs tapers on its CRS/ICANS trigger.
        let stable = Self.stJudeOnAnakinra(
            ferritin: [(140, 30_000)], fibrinogen: [(140, 200)], mg: 80, lateFever: false)
        #expect(try stable.assess(at: 141, "childrens-national").action == .taper)
    }

    // MARK: §A13.14 stock

    @Test(
        "§A13.14 start/continue with anakinra unavailable (or short) at the site carries a stock alert",
        arguments: [(StockStatus.unavailable, AlertCode.anakinraUnavailable), (.shortage, .stockLow)])
    func anakinraStockAlert(status: StockStatus, alert: AlertCode) throws {
        var c = RecommendationWorkedCaseTests.refractoryCRS3(through: 50)
        c.events.removeFirst()
        c.patient(ageYears: 16, weightKg: 70, site: "north")
        c.stock(at: 0, site: "north", .anakinra, status, units: 0)
        let start = try c.assess(at: 36, "childrens-national")
        #expect(start.action == .start)
        #expect(start.recommendation?.hasAlert(alert) == true)
        c.anakinra(from: 36, through: 42, every: 6, mg: 100)
        let next = try c.assess(at: 42.5, "childrens-national")
        #expect(next.action == .continue && next.recommendation?.hasAlert(alert) == true)
    }
}

/// A dose charted after ToxWatch's own stop (issue 12, item 5; §A13 is silent, IMPL): without a new
/// anakinra order the stop stands, with an alert naming the dose; a new order is a clinician's
/// restart and the course goes on from it.
@Suite struct DoseAfterStopTests {
    /// The CNH taper loop of ``CourseSafetyAmendmentTests/cnhTaperLastsSeventyTwoHours(recorded:)``
    /// up to its stop at 73 h, then one more 90 mg dose at 74 h.
    static func stoppedThenDosed() throws -> CourseBuilder {
        var loop = SimulatedPharmacy(
            RecommendationWorkedCaseTests.cnhOnAnakinra(lastSteroid: -30), protocolId: "childrens-national")
        try loop.run(from: 1, through: 73)
        #expect(loop.turns.last?.assessment.action == .stop)
        var course = loop.course
        course.med(at: 74, .anakinra, doseMg: 90)
        return course
    }

    @Test("a dose charted after the stop, with no new order: stop again, alert administered-after-stop")
    func strayDoseKeepsTheStop() throws {
        var course = try Self.stoppedThenDosed()
        let a = try course.assess(at: 75, "childrens-national")
        #expect(a.action == .stop)
        #expect(a.decisiveReason == .administeredAfterStop)
        #expect(a.alertCodes.contains(.administeredAfterStop))
        #expect(a.body?.nextDoseDueAt == nil)
        #expect(a.dose == nil)
        // Recorded, the repeated stop ends the course again: no further alert.
        course.record(a, at: 75)
        let after = try course.assess(at: 76, "childrens-national")
        #expect(after.action == .none && after.decisiveReason == .courseCompleted)
        #expect(!after.alertCodes.contains(.administeredAfterStop))
    }

    @Test("a new anakinra order after the stop restarts the course: the dose after it continues")
    func newOrderRestarts() throws {
        var course = try Self.stoppedThenDosed()
        course.med(at: 73.5, .anakinra, .ordered, doseMg: 90)
        let a = try course.assess(at: 75, "childrens-national")
        #expect(a.action != .stop && a.action != .none)
        #expect(!a.alertCodes.contains(.administeredAfterStop))
    }
}
