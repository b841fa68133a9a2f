import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract

@testable import ProtocolCatalog
@testable import ToxicityRules

/// Indications (A6), course (A7), safety (A9), stock (A10) and the engine contract (no protocol,
/// determinism, nextDecisionAt, the wire form) on the shipped protocols.
@Suite struct RecommendationRuleTests {
    typealias Cases = RecommendationWorkedCaseTests

    // MARK: A6 indications of the other protocols

    @Test func parkProphylaxisFromDayPlus2() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 50, weightKg: 80)  // infused at -96 h: day +4
        let a = try c.assess(at: 0, "park-prophylaxis")
        #expect(a.grades.crs.grade == 0)
        #expect(a.action == .start && a.decisiveReason == .prophylaxisDay)
        #expect(a.dose?.mg == 100 && a.dose?.route == .sc && a.dose?.frequency == .q12h && a.dose?.dailyMg == 200)
    }

    @Test(arguments: [
        // (fever readings before day +2 as (hour, °C), met)
        ([(-20.0, 38.5), (-16, 37.0), (-10, 38.2)], true),
        ([(-20.0, 38.5), (-16, 38.6), (-10, 38.2)], false),  // one fever spell
        ([(-20.0, 37.5)], false),
    ])
    func parkProphylaxisAfterTwoFeversBeforeDayPlus2(readings: [(Double, Double)], met: Bool) throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 50, weightKg: 80, infusedAtHours: -30)
        for (h, temp) in readings { c.vitals(at: h, temp: temp, sbp: 120, oxygen: .roomAir) }
        let a = try c.assess(at: -9, "park-prophylaxis")
        #expect(a.action == (met ? .start : .none))
        #expect(a.decisiveReason == (met ? .prophylaxisFevers : .beforeProphylaxisDay))
        if !met { #expect(a.nextDecisionAt.map { $0 <= CourseBuilder.at(18) } == true) }  // day +2
    }

    @Test func parkWithoutAnInfusionDateCannotTimeProphylaxis() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 50, weightKg: 80, infusedAtHours: nil)
        #expect(try c.assess(at: 0, "park-prophylaxis").decisiveReason == .infusionDateRequired)
    }

    @Test(
        arguments: [
            // (temp, sbp, vasopressor, ICE, action, decisive)
            (37.0, 120.0, false, 8, RecommendationAction.start, ReasonCode.firstLine),  // any ICANS
            (39.0, 80.0, true, 10, .start, .firstLine),  // CRS 3 without ICANS
            (39.0, 120.0, false, 10, .none, .belowProtocolTrigger),  // CRS 1
        ] as [(Double, Double, Bool, Int, RecommendationAction, ReasonCode)]
    )
    func oliaiAnyICANSOrCRS3WithoutICANS(
        temp: Double,
        sbp: Double,
        vasopressor: Bool,
        ice: Int,
        action: RecommendationAction,
        decisive: ReasonCode
    ) throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 60, weightKg: 75)
        if vasopressor { c.med(at: -1, .norepinephrine, .infusionStarted) }
        c.vitals(at: 0, temp: temp, sbp: sbp, oxygen: .roomAir)
        c.neuro(at: 0, ice: ice)
        let a = try c.assess(at: 0, "oliai")
        #expect(a.action == action)
        #expect(a.decisiveReason == decisive)
        if action == .start {
            #expect(a.dose?.mg == 100 && a.dose?.frequency == .q6h && a.dose?.route == .sc && a.dose?.dailyMg == 400)
            #expect(!a.warningCodes.contains("above-common-cap"))
        }
    }

    @Test func oliaiCRS3WithICANSIsIndicatedByTheICANSRowNotTheCRSRow() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 60, weightKg: 75)
        c.med(at: -1, .norepinephrine, .infusionStarted)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.neuro(at: 0, ice: 8)
        let a = try c.assess(at: 0, "oliai")
        #expect(a.action == .start)
        let outcomes = c.timeline().allIndications(
            PreparedProtocol(try Shipped.protocolNamed("oliai")),
            at: CourseBuilder.at(0).timeIntervalSinceReferenceDate,
            grades: snapshot(c, at: 0),
            profile: c.timeline().profileFacts(at: CourseBuilder.at(0).timeIntervalSinceReferenceDate),
            dosing: .default
        )
        #expect(outcomes.map(\.code) == [.firstLine, .icansPresent])
    }

    @Test func muscICANSHasNoPublishedDoseTheCRSDoseIsOffered() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 10, weightKg: 30)
        c.vitals(at: -60, temp: 39.0, sbp: 110, oxygen: .roomAir)
        c.med(at: -58, .tocilizumab, doseMg: 240)
        c.vitals(from: -50, through: 30, temp: 37.0, sbp: 110)
        c.neuro(from: 0, through: 30, capd: 12, consciousness: .awakensToVoice)
        c.med(at: 2, .dexamethasone, doseMg: 10)
        let a = try c.assess(at: 27, "musc")
        #expect(a.grades.icans.grade == 3)
        #expect(a.action == .start && a.decisiveReason == .refractoryNotFallen)
        #expect(a.alertCodes.contains(.doseNotSpecifiedByProtocol))
        #expect(a.dose?.mg == 120 && a.dose?.frequency == .q12h && a.dose?.route == .sc)
    }

    @Test func chopProlongedRefractoryThrombocytopeniaIsAClinicianCodedIndication() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 12, weightKg: 40, target: "CD22")
        c.lab(at: 0, .platelets, 12)
        let none = try c.assess(at: 0, "chop")
        #expect(none.action == .none && none.decisiveReason == .noActiveToxicity)
        c.finding(at: 1, .prolongedRefractoryThrombocytopenia)
        let a = try c.assess(at: 1, "chop")
        #expect(a.action == .start && a.decisiveReason == .clinicianCodedFinding)
        #expect(a.dose?.dailyMg == 80 && a.dose?.frequency == nil && a.dose?.route == .iv)
        #expect(a.reasonCodes.contains(.ivThrombocytopenia))
        #expect(!a.warningCodes.contains(.antigenTargetOutsideProtocol))
    }

    /// Seattle CRS: grade ≥ 2 persisting ≥ 8 h after the first tocilizumab, a corticosteroid given,
    /// before a second tocilizumab dose.
    @Test(
        arguments: [
            (9.5, false, true, RecommendationAction.start, ReasonCode.persistingAfterTocilizumab),
            (6.0, false, true, .none, .notPersistingAfterTocilizumab),
            (9.5, true, true, .none, .secondTocilizumabGiven),
            (9.5, false, false, .none, .corticosteroidNotGiven),
        ] as [(Double, Bool, Bool, RecommendationAction, ReasonCode)]
    )
    func seattleCRSAfterTheFirstTocilizumab(
        at hours: Double,
        secondToci: Bool,
        steroid: Bool,
        action: RecommendationAction,
        code: ReasonCode
    ) throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 10, weightKg: 30)
        c.vitals(from: 0, through: 12, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        c.neuro(from: 0, through: 12, capd: 0)
        c.med(at: 1, .tocilizumab, doseMg: 240)
        if steroid { c.med(at: 2, .dexamethasone, doseMg: 10) }
        if secondToci { c.med(at: 9, .tocilizumab, doseMg: 240) }
        let a = try c.assess(at: hours, "seattle-childrens")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == action && a.decisiveReason == code)
        if action == .start { #expect(a.dose?.mg == 60 && a.dose?.frequency == .q6h) }
        if code == .notPersistingAfterTocilizumab {
            #expect(a.nextDecisionAt.map { $0 <= CourseBuilder.at(9) } == true)
        }
    }

    @Test func antigenTargetOutsideTheProtocolIsAWarningNotABlock() throws {
        var c = Cases.refractoryCRS3()
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 16,
                weightKg: 70,
                infusion: Infusion(product: "cd22-car", target: "CD22", infusedAt: CourseBuilder.at(-96))
            )
        )
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .start)
        #expect(a.warningCodes.contains(.antigenTargetOutsideProtocol))
    }

    // MARK: A7 course

    /// CNH refractory CRS 3 started at hour 36, then 90 mg (45 kg) or 20 mg (10 kg) Q6H with CRS 3
    /// persisting.
    static func cnhOnTherapyNotImproving(weightKg: Double, mg: Double) -> CourseBuilder {
        var c = Cases.refractoryCRS3(ageYears: weightKg < 20 ? 2 : 14, weightKg: weightKg, through: 100)
        c.anakinra(from: 36, through: 60, every: 6, mg: mg)
        return c
    }

    @Test(arguments: [(45.0, 90.0, 100, 400), (10.0, 20.0, 25, 100)])
    func escalationWhenTheGradeHasNotFallenAfter24Hours(kg: Double, mg: Double, escalated: Int, daily: Int) throws {
        let c = Self.cnhOnTherapyNotImproving(weightKg: kg, mg: mg)
        let pending = try c.assess(at: 50, "childrens-national")
        #expect(pending.action == .continue && pending.dose?.mg == Int(mg))
        #expect(pending.reasonCodes.contains(.reassessmentPending))
        #expect(pending.nextDecisionAt.map { $0 <= CourseBuilder.at(60) } == true)
        let a = try c.assess(at: 60.5, "childrens-national")
        #expect(a.action == .escalate && a.decisiveReason == .gradeNotFallen)
        #expect(a.dose?.mg == escalated && a.dose?.frequency == .q6h && a.dose?.dailyMg == daily)
        #expect(a.dose.flatMap(\.mgPerKg).map { $0 * 4 <= 10.0001 } == true)
        #expect(!a.warningCodes.contains("escalation-above-seed-maximum"))
    }

    @Test func escalationRecordedRestartsTheReassessmentClock() throws {
        var c = Self.cnhOnTherapyNotImproving(weightKg: 45, mg: 90)
        let escalate = try c.assess(at: 60.5, "childrens-national")
        c.record(escalate, at: 60.5)
        #expect(try c.assess(at: 62, "childrens-national").action == .continue)
        c.anakinra(from: 66, through: 90, every: 6, mg: 100)
        // The clock restarts with the first 100 mg dose (66 h): reassessed 24 h later.
        #expect(try c.assess(at: 85, "childrens-national").alertCodes.contains(.atProtocolCeiling) == false)
        let atCap = try c.assess(at: 90.5, "childrens-national")
        #expect(atCap.action == .continue && atCap.dose?.mg == 100)
        #expect(atCap.alertCodes.contains(.atProtocolCeiling))
    }

    @Test func nextDoseOverdueAndDuplicate() throws {
        var c = Self.cnhOnTherapyNotImproving(weightKg: 45, mg: 90)
        let onTime = try c.assess(at: 65, "childrens-national")
        #expect(onTime.recommendation?.nextDoseDueAt == CourseBuilder.at(66))
        #expect(!onTime.alertCodes.contains(.doseOverdue))
        #expect(onTime.nextDecisionAt.map { $0 <= CourseBuilder.at(66) } == true)
        let late = try c.assess(at: 67.6, "childrens-national")  // > 60 + 1.25 × 6 h
        #expect(late.alertCodes.contains(.doseOverdue))
        #expect(try !c.assess(at: 67.4, "childrens-national").alertCodes.contains(.doseOverdue))
        c.med(at: 63, .anakinra, doseMg: 90)  // 3 h after the last: < 0.75 × 6 h
        let duplicate = try c.assess(at: 63.5, "childrens-national")
        #expect(duplicate.alertCodes.contains(.possibleDuplicateDose))
        #expect(duplicate.alerts.first { $0.code == .possibleDuplicateDose }?.eventIds.count == 2)
    }

    @Test func aCourseEndsWhenAnakinraIsDiscontinuedOrLapses() throws {
        var c = Self.cnhOnTherapyNotImproving(weightKg: 45, mg: 90)
        // No dose for more than max(24 h, 2 intervals): the course has lapsed with no recorded
        // decision; CRS 3 still meets the indication, so anakinra is started again.
        let lapsed = try c.assess(at: 90, "childrens-national")
        #expect(lapsed.action == .start)
        #expect([.refractoryGradeRose, .refractoryNotFallen].contains(lapsed.decisiveReason))
        // A clinician discontinued it: no restart until the toxicity recurs.
        c.med(at: 61, .anakinra, .discontinued)
        let discontinued = try c.assess(at: 62, "childrens-national")
        #expect(discontinued.action == .none && discontinued.decisiveReason == .courseCompleted)
    }

    @Test func stJudeWeansWhenStableFor24HoursWithoutACorticosteroid() throws {
        var c = Cases.iecHs(ageYears: 13, weightKg: 40, target: "CD19", fibrinogen: 200)
        c.anakinra(from: 111, through: 170, every: 6, mg: 100, route: .sc)
        c.vitals(from: 114, through: 170, temp: 37.0, sbp: 110, oxygen: .roomAir)
        c.lab(at: 140, .ferritin, 30000, uln: 300)
        c.lab(at: 140, .fibrinogen, 200)
        c.lab(at: 140, .alt, 250, uln: 40)
        c.neuro(from: 110, through: 170, ice: 10)
        let early = try c.assess(at: 120, "st-jude")
        #expect(early.action == .continue)
        let taper = try c.assess(at: 141, "st-jude")
        #expect(taper.action == .taper && taper.dose?.mg == 100 && taper.dose?.frequency == .q8h)
    }

    // MARK: A9 safety and A10 stock

    @Test(arguments: ["anc", "infection", "combination"])
    func infectionRiskWarning(trigger: String) throws {
        var c: CourseBuilder
        switch trigger {
        case "combination":
            c = Cases.refractoryCRS3()  // tocilizumab + dexamethasone in 72 h, anakinra planned
        default:
            c = Cases.iecHs(ageYears: 13, weightKg: 40, target: "CD19", fibrinogen: 200)
            if trigger == "anc" { c.lab(at: 109, .anc, 0.3) } else { c.finding(at: 109, .activeInfection) }
        }
        let a = try c.assess(
            at: trigger == "combination" ? 36 : 110,
            trigger == "combination" ? "childrens-national" : "st-jude"
        )
        #expect(a.action == .start)
        #expect(a.warningCodes.contains(.infectionRisk))
    }

    @Test func noInfectionRiskWarningWithoutACause() throws {
        let a = try Cases.iecHs(ageYears: 13, weightKg: 40, target: "CD19", fibrinogen: 200).assess(at: 110, "st-jude")
        #expect(!a.warningCodes.contains(.infectionRisk))  // one tocilizumab dose 108 h ago only
    }

    @Test func lowAnakinraStockWarnsOnTheRecommendation() throws {
        var c = Cases.refractoryCRS3()
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 16,
                weightKg: 70,
                infusion: Infusion(product: "tisa-cel", target: "CD19", infusedAt: CourseBuilder.at(-96)),
                site: "cnh"
            )
        )
        c.stock(at: 0, site: "cnh", .anakinra, .low, units: 6)
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .start && a.warningCodes.contains(.stockLow))
        #expect(a.alternatives.isEmpty)
    }

    @Test func anakinraShortageOffersAlternativesWithThePatientsOwnNeed() throws {
        var c = Self.cnhOnTherapyNotImproving(weightKg: 45, mg: 90)
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 14,
                weightKg: 45,
                infusion: Infusion(product: "tisa-cel", target: "CD19", infusedAt: CourseBuilder.at(-96)),
                site: "cnh"
            )
        )
        c.stock(at: 0, site: "cnh", .anakinra, .shortage, units: 2)
        c.stock(at: 0, site: "cnh", .siltuximab, .low)
        let a = try c.assess(at: 50, "childrens-national")
        #expect(a.action == .continue)
        let shortage = try #require(a.alternatives.first { $0.shortDrug == "anakinra" })
        #expect(shortage.cause == "shortage" && shortage.site == "cnh" && shortage.status == .shortage)
        #expect(shortage.alternatives.map(\.drug) == ["dexamethasone", "ruxolitinib", "siltuximab"])
        #expect(shortage.option("siltuximab")?.cautions.contains { $0.code == .stockLow } == true)
        #expect(shortage.excluded.map(\.drug) == ["emapalumab"])
        // Next 24 h from 50 h: doses due at 54, 60, 66, 72 → 4 × 90 mg, one syringe each.
        #expect(shortage.need24h == ShortageNeed(mg: 360, doses: 4, units: 4))
    }

    @Test func anakinraShortageWithIECHSFeaturesOffersEmapalumab() throws {
        var c = Cases.iecHs(ageYears: 13, weightKg: 40, target: "CD19", fibrinogen: 200)
        c.stock(at: 0, site: "x", .anakinra, .unavailable)
        let a = try c.assess(at: 110, "st-jude")
        #expect(a.action == .start)
        let shortage = try #require(a.alternatives.first)
        #expect(shortage.shortDrug == "anakinra" && shortage.site == "x")
        #expect(
            shortage.option("emapalumab")?.dose?.mg == 40
                && shortage.option("emapalumab")?.dose?.schedule == "twice weekly"
        )
        #expect(shortage.alternatives.first?.drug == "dexamethasone")
    }

    // MARK: Contract

    @Test func withoutAProtocolTheRecommendationIsNoneWithProtocolRequired() throws {
        let c = Cases.refractoryCRS3()
        let a = ToxicityEngine().assess(c.timeline(), at: CourseBuilder.at(36), protocol: nil)
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .none && a.recommendation?.protocolId == nil && a.dose == nil)
        #expect(a.alertCodes.contains(.protocolRequired))
    }

    @Test func theSameTimelineAndInstantGiveTheSameDocument() throws {
        let c = Cases.refractoryCRS3()
        let p = try Shipped.protocolNamed("childrens-national")
        var shuffled = c
        shuffled.events = c.events.reversed()
        let one = try encode(ToxicityEngine().assess(c.timeline(), at: CourseBuilder.at(36), protocol: p).report)
        let two = try encode(
            ToxicityEngine().assess(c.timeline(), at: CourseBuilder.at(36), prepared: PreparedProtocol(p)).report
        )
        let three = try encode(
            ToxicityEngine().assess(shuffled.timeline(), at: CourseBuilder.at(36), protocol: p).report)
        #expect(one == two && one == three)
    }

    @Test func eventsAfterTheInstantDoNotCount() throws {
        var c = Cases.refractoryCRS3()
        let before = try encode(try c.assess(at: 30, "childrens-national").report)
        c.med(at: 31, .etanercept, doseMg: 25)
        c.vitals(at: 32, temp: 36.5, sbp: 120, oxygen: .roomAir)
        let after = try encode(try c.assess(at: 30, "childrens-national").report)
        #expect(before == after)
    }

    @Test func theDocumentHasExactlyTheFourKeysAndRoundTrips() throws {
        let a = try Cases.refractoryCRS3().assess(at: 36, "childrens-national")
        let data = try encode(a.report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["grades", "recommendation", "alternatives", "alerts"])
        let recommendation = try #require(object["recommendation"] as? [String: Any])
        #expect(recommendation["requiresClinicianVerification"] as? Bool == true)
        #expect(recommendation["protocol"] as? String == "childrens-national")
        for key in ["action", "dose", "nextDoseDueAt", "caps", "rationale", "warnings", "evidence"] {
            #expect(recommendation.keys.contains(key), "\(key)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(AssessmentReportWire.self, from: data).report
        #expect(decoded == a.report)
        #expect(try encode(decoded) == data)
        #expect(decoded.recommendation?.action == .start && decoded.recommendation?.dose?.mg == 100)
    }

    @Test func priorRecommendationCarriesTheDoseAndInterval() throws {
        let a = try Cases.refractoryCRS3().assess(at: 36, "childrens-national")
        let prior = try #require(a.recommendation?.prior(id: "r1", issuedAt: CourseBuilder.at(36)))
        #expect(prior.action == .start && prior.doseMg == 100 && prior.intervalHours == 6 && prior.route == .iv)
        #expect(prior.protocolId == "childrens-national")
    }

    // MARK: Helpers

    /// The `toxctl evaluate` document of a report.
    func encode(_ report: AssessmentReport) throws -> Data { try encode(AssessmentReportWire(report)) }

    func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    func snapshot(_ c: CourseBuilder, at hours: Double) -> GradeSnapshot {
        let t = CourseBuilder.at(hours).timeIntervalSinceReferenceDate
        let timeline = c.timeline()
        return GradeSnapshot(
            time: t,
            crs: timeline.evaluateCRS(at: t),
            icans: timeline.evaluateICANS(at: t),
            iecHs: timeline.evaluateIECHS(at: t)
        )
    }
}
