import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Hours from the builder's reference for day `n` after infusion at `hour` o'clock (the infusion is
/// at D0 06:00 = reference − 96 h, as in the pinned examples).
func day(_ n: Int, _ hour: Double) -> Double { Double(n) * 24 + hour - 6 - 96 }

/// The grading parts of the worked cases of clinical-spec Part A §A12 and Part B §12.
@Suite("Worked cases: grading")
struct WorkedCaseGradingTests {
    @Test("A12: 6 y, 38.8 °C, room air: SBP 82 is CRS 1 (threshold 82), SBP 81 is CRS 2")
    func a12SixYearOldHypotensionThreshold() {
        for (sbp, expected) in [(82.0, 1), (81.0, 2)] {
            var course = CourseBuilder()
            course.patient(ageYears: 6, weightKg: 20)
            course.vitals(at: 1, temp: 38.8, sbp: sbp, oxygen: .roomAir)
            let result = course.grade(at: 1)
            #expect(result.crs.grade == expected, "SBP \(sbp)")
            let hypotension = result.crs.reasons.first { $0.code == .hypotension || $0.code == .normotension }
            #expect(hypotension?.thresholds.first?.value == 82)
        }
    }

    static func tc01() -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(at: day(0, 6), ageYears: 16, weightKg: 70, infusedAtHours: day(0, 6))
        var h = day(3, 6)
        while h <= day(4, 22) {
            course.vitals(at: h, temp: 39.2, sbp: 85, oxygen: .nasalCannula(4))
            h += 4
        }
        course.med(at: day(3, 10), .tocilizumab, doseMg: 560)
        course.med(at: day(3, 12), .norepinephrine, .infusionStarted)
        var dex = day(3, 20)
        while dex <= day(4, 22) {
            course.med(at: dex, id: "dex-\(Int(dex))", .dexamethasone, doseMg: 10)
            dex += 6
        }
        course.neuro(at: day(4, 20), ice: 10, consciousness: .awake, seizure: Seizure.none, motor: MotorWeakness.none)
        course.lab(at: day(4, 6), .ferritin, 4000, uln: 300)
        return course
    }

    @Test("TC01: CRS 3 (one vasopressor, NC 4 L/min), ICANS 0, no carHLH, not improved 26 h after the first steroid")
    func tc01CNHRefractoryCRS3() throws {
        let course = Self.tc01()
        let timeline = course.timeline()
        let result = ToxicityEngine().grade(timeline, at: CourseBuilder.at(day(4, 22)))
        #expect(result.crs.grade == 3)
        #expect(result.crs.maxGrade == 3)
        #expect(result.crs.decisiveCodes.contains(.vasopressor))
        #expect(result.crs.reasons.contains { $0.code == .lowFlowOxygen && $0.grade == 2 })
        #expect(result.icans.grade == 0)
        #expect(result.iecHs.present == false)
        #expect(result.iecHs.codes.contains(.ferritinAbove2xULN))
        #expect(result.iecHs.codes.contains(.timingNotMet))

        // R-REFR-1 inputs: the first corticosteroid, and the grade 26 h later has not fallen.
        let now = CourseBuilder.at(day(4, 22))
        let firstSteroid = try #require(timeline.firstCorticosteroid(from: CourseBuilder.at(day(3, 0)), through: now))
        #expect(firstSteroid.occurredAt == CourseBuilder.at(day(3, 20)))
        let gradeAtSteroid = timeline.crsCourse.grade(at: firstSteroid.occurredAt)
        #expect(gradeAtSteroid == 3)
        #expect(timeline.crsCourse.minGrade(in: firstSteroid.occurredAt...now) == 3)
        #expect(timeline.tocilizumabDoses(at: now).total == 1)
        #expect(timeline.isCorticosteroidActive(at: now))
        #expect(timeline.activeVasopressors(at: now) == [.norepinephrine])
    }

    @Test("TC02: ICE 2 and awakens to voice → ICANS 3; afebrile after tocilizumab → CRS 1 indeterminate, then 0")
    func tc02CNHICANS() {
        var course = CourseBuilder()
        course.patient(at: day(0, 6), ageYears: 14, weightKg: 45, infusedAtHours: day(0, 6))
        course.vitals(at: day(1, 8), temp: 39.0, sbp: 110, oxygen: .roomAir)
        course.med(at: day(2, 8), .tocilizumab, doseMg: 360)
        course.med(at: day(5, 9), .dexamethasone, doseMg: 10)
        var h = day(5, 18)
        while h <= day(6, 22) {
            course.vitals(at: h, temp: 36.9, sbp: 112, oxygen: .roomAir)
            h += 4
        }
        for hours in [day(5, 8), day(5, 16), day(6, 0), day(6, 10)] {
            course.neuro(at: hours, ice: 2, consciousness: .awakensToVoice)
        }
        let timeline = course.timeline()
        let now = CourseBuilder.at(day(6, 10))
        let result = ToxicityEngine().grade(timeline, at: now)
        #expect(result.icans.grade == 3)
        #expect(result.icans.decisiveCodes == [.iceScore])
        #expect(result.icans.reasons.contains { $0.code == .consciousness && $0.grade == 2 })
        #expect(result.crs.grade == 1)
        #expect(result.crs.has(.indeterminateFeverMasked))
        #expect(result.crs.has(.feverWaived))
        // Still ICE 2 after a day of dexamethasone: the ICANS grade has not fallen.
        #expect(timeline.icansCourse.minGrade(in: CourseBuilder.at(day(5, 9))...now) == 3)
        // 24 h after every CRS finding resolved, the episode closes: CRS 0, maxGrade of the episode 1.
        let later = ToxicityEngine().grade(timeline, at: CourseBuilder.at(day(6, 18)))
        #expect(later.crs.grade == 0)
        #expect(later.crs.maxGrade == 1)
        #expect(later.crs.episode?.isOpen == false)
        #expect(later.crs.codes.contains(.crsResolved))
    }

    @Test("TC03: 8 y, CAPD 12, awakens spontaneously → ICANS 3; no CRS")
    func tc03SeattleCAPD() {
        var course = CourseBuilder()
        course.patient(ageYears: 8, weightKg: 25)
        course.neuro(at: 1, capd: 12, consciousness: .awakensSpontaneously)
        course.vitals(at: 1, temp: 37.0, sbp: 100, oxygen: .roomAir)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 3)
        #expect(result.icans.decisiveCodes == [.capdScore])
        #expect(result.crs.grade == 0)
    }

    @Test("TC04: 6 y, CAPD 6 (grade 1), awakens to voice (grade 2) → ICANS 2")
    func tc04SeattleBelowTrigger() {
        var course = CourseBuilder()
        course.patient(ageYears: 6, weightKg: 20)
        course.neuro(at: 1, capd: 6, consciousness: .awakensToVoice)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 2)
        #expect(result.icans.decisiveCodes == [.consciousness])
        #expect(result.icans.reasons.contains { $0.code == .capdScore && $0.grade == 1 })
    }

    @Test("TC05: vasopressin only → CRS 3 with vasopressin-only")
    func tc05VasopressinOnly() {
        var course = CourseBuilder()
        course.patient(ageYears: 17, weightKg: 60)
        course.med(at: 0.5, .vasopressin, .infusionStarted)
        course.vitals(at: 1, temp: 38.6, sbp: 84, oxygen: .roomAir)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 3)
        #expect(result.crs.has(.vasopressinOnly))
        #expect(result.crs.decisiveCodes == [.vasopressinOnly])
        #expect(result.icans.grade == 0 || result.icans.has(.incompleteData))
    }

    @Test("TC06a: norepinephrine + vasopressin, HFNC 40 L/min → CRS 3")
    func tc06aVasopressinNotCountedAsSecond() {
        var course = CourseBuilder()
        course.patient(ageYears: 19, weightKg: 80)
        course.med(at: 0.2, .norepinephrine, .infusionStarted)
        course.med(at: 0.3, .vasopressin, .infusionStarted)
        course.vitals(at: 1, temp: 38.9, sbp: 88, oxygen: .highFlow(40))
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 3)
        #expect(!result.crs.has(.vasopressinOnly))
        #expect(Set(result.crs.decisiveCodes) == [.vasopressor, .highFlowOxygen])
    }

    @Test("TC06b: norepinephrine + epinephrine → CRS 4")
    func tc06bTwoVasopressors() {
        var course = CourseBuilder()
        course.patient(ageYears: 19, weightKg: 80)
        course.med(at: 0.2, .norepinephrine, .infusionStarted)
        course.med(at: 0.3, .epinephrine, .infusionStarted)
        course.vitals(at: 1, temp: 38.9, sbp: 88, oxygen: .highFlow(40))
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 4)
        #expect(result.crs.decisiveCodes == [.multipleVasopressors])
        #expect(result.crs.reasons.first { $0.code == .multipleVasopressors }?.observed.count == 2)
    }

    @Test("TC07: afebrile after tocilizumab, SBP 80 < 90, NC 2 L/min → CRS 2 (fever waived)")
    func tc07MaskedFever() {
        var course = CourseBuilder()
        course.patient(at: day(0, 0), ageYears: 10, weightKg: 32)
        course.vitals(at: day(1, 6), temp: 39.5, sbp: 100, oxygen: .roomAir)
        course.med(at: day(2, 8), .tocilizumab, doseMg: 256)
        course.med(at: day(2, 12), .acetaminophen, doseMg: 480, route: .po)
        course.vitals(at: day(2, 18), temp: 37.2, sbp: 80, oxygen: .nasalCannula(2))
        let timeline = course.timeline()
        let now = CourseBuilder.at(day(2, 18))
        let result = ToxicityEngine().grade(timeline, at: now)
        #expect(result.crs.grade == 2)
        #expect(result.crs.has(.feverWaived))
        #expect(result.crs.codes.contains(.feverWaived))
        #expect(result.crs.reasons.first { $0.code == .hypotension }?.thresholds.first?.value == 90)
        #expect(timeline.isFeverWaived(at: now))
        #expect(
            timeline.tocilizumabDoses(at: now) == TocilizumabDoseCount(total: 1, inCurrentEpisode: 1, inLast24Hours: 1))
        #expect(
            timeline.lastAdministration(of: .tocilizumab, atOrBefore: now)?.occurredAt == CourseBuilder.at(day(2, 8)))
    }

    @Test("TC08: no prior CRS, 37.6 °C, SBP 82 (GI bleed) → CRS 0 with hypotension-without-fever")
    func tc08NoCRS() {
        var course = CourseBuilder()
        course.patient(ageYears: 15, weightKg: 50, infusedAtHours: day(0, 6) - 16 * 24)
        course.vitals(at: 1, temp: 37.6, sbp: 82, oxygen: .roomAir)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 0)
        #expect(result.crs.has(.hypotensionWithoutFever))
        #expect(result.hasAlert(.hypotensionWithoutFever))
        #expect(result.crs.episode == nil)
    }

    @Test("TC09: 5 y, CAPD 10, awakens spontaneously → ICANS 3")
    func tc09CAPD10() {
        var course = CourseBuilder()
        course.patient(ageYears: 5, weightKg: 18)
        course.neuro(at: 1, capd: 10, consciousness: .awakensSpontaneously)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 3)
        #expect(result.icans.reasons.first { $0.code == .capdScore }?.thresholds.first?.value == 9)
    }

    @Test("TC10: 4 y, unarousable without sedatives → ICANS 4; on a midazolam infusion → not assessable")
    func tc10UnableToPerformCAPD() {
        var course = CourseBuilder()
        course.patient(ageYears: 4, weightKg: 16)
        course.neuro(at: 1, consciousness: .unarousable)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 4)
        #expect(result.icans.codes.contains(.unableToAssessUnarousable))
        #expect(!result.icans.has(.incompleteData))

        var sedated = course
        sedated.med(at: 0.5, .midazolam, .infusionStarted)
        let sedatedResult = sedated.grade(at: 1)
        #expect(sedatedResult.icans.has(.notAssessableSedated))
        #expect(sedatedResult.icans.has(.incompleteData))
        #expect(sedatedResult.icans.grade == 0)
        #expect(sedatedResult.hasAlert(.notAssessableSedated))
    }

    @Test("TC24: 9 y, 39.0 °C, NC 3 L/min, normotensive → CRS 2")
    func tc24ShortageCRS2() {
        var course = CourseBuilder()
        course.patient(ageYears: 9, weightKg: 28)
        course.vitals(at: 1, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 2)
        #expect(result.crs.decisiveCodes == [.lowFlowOxygen])
    }

    @Test("TC25: tocilizumab 08:00, 16:00, 00:00 = 3 in 24 h; a fourth at 08:00 makes 4 in total")
    func tc25TocilizumabCounts() {
        var course = CourseBuilder()
        course.patient(ageYears: 24, weightKg: 110)
        course.vitals(at: day(4, 6), temp: 39.1, sbp: 100, oxygen: .roomAir)
        for hour in [8.0, 16.0, 24.0, 32.0] { course.med(at: day(4, hour), .tocilizumab, doseMg: 800) }
        let timeline = course.timeline()
        let midnight = timeline.tocilizumabDoses(at: CourseBuilder.at(day(4, 24)))
        #expect(midnight.inLast24Hours == 3)
        #expect(midnight.total == 3)
        let fourth = timeline.tocilizumabDoses(at: CourseBuilder.at(day(4, 32)))
        #expect(fourth.total == 4)
        #expect(fourth.inCurrentEpisode == 4)
        #expect(fourth.inLast24Hours == 3)
    }

    @Test(
        "TC26: adult ICANS by the worst domain",
        arguments: [
            (
                "a: ICE 3 + generalized seizure resolved", 3, Consciousness.awake, Seizure.focalOrGeneralizedResolving,
                MotorWeakness.none, 3
            ),
            ("b: ICE 0, awake (global aphasia)", 0, .awake, Seizure.none, MotorWeakness.none, 3),
            ("c: ICE 0, unarousable", 0, .unarousable, Seizure.none, MotorWeakness.none, 4),
            ("d: ICE 8, new hemiparesis", 8, .awake, Seizure.none, .deepFocal, 4),
            ("e: ICE 10, tremor only", 10, .awake, Seizure.none, MotorWeakness.none, 0),
        ])
    func tc26AdultICANSDomainMax(
        _ label: String, ice: Int, consciousness: Consciousness, seizure: Seizure, motor: MotorWeakness, expected: Int
    ) {
        var course = CourseBuilder()
        course.patient(ageYears: 45, weightKg: 80)
        course.neuro(
            at: 1, ice: ice, consciousness: consciousness, seizure: seizure, motor: motor, edema: CerebralEdema.none)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == expected, "\(label)")
        #expect(!result.icans.has(.incompleteData), "\(label)")
    }

    static func tc27(infuse: Bool = true) -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(at: day(0, 0), ageYears: 12, weightKg: 40, infusedAtHours: day(0, 6))
        course.lab(at: day(0, 4), .creatinine, 0.4)
        var h = day(1, 6)
        while h <= day(4, 6) {
            course.vitals(at: h, temp: 39.0, sbp: 80, oxygen: .roomAir)
            h += 4
        }
        course.med(at: day(2, 8), .tocilizumab, doseMg: 320)
        course.lab(at: day(4, 6), .ferritin, 25_000, uln: 300)
        course.lab(at: day(4, 6), .alt, 250, uln: 40)
        course.lab(at: day(4, 6), .creatinine, 1.3)
        course.lab(at: day(4, 6), .bilirubin, 1.0, uln: 1.2)
        return course
    }

    @Test("TC27: CARTOX carHLH yes during CRS 2 (ferritin 25,000, ALT 6.25× ULN, creatinine 3.25× baseline)")
    func tc27CARTOXDuringCRS() {
        var policy = GradingPolicy()
        policy.iecHsCriteria = .cartox2018
        let result = Self.tc27().grade(at: day(4, 6), policy: policy)
        #expect(result.crs.grade == 2)
        #expect(result.iecHs.criteria == .cartox2018)
        #expect(result.iecHs.present)
        #expect(result.iecHs.grade == 1)
        #expect(result.iecHs.codes.contains(.ferritinAbove10000DuringCRS))
        #expect(result.iecHs.codes.contains(.liverToxicityGrade3))
        #expect(result.iecHs.codes.contains(.renalToxicityGrade3))
        let renal = result.iecHs.reasons.first { $0.code == .renalToxicityGrade3 }
        #expect(renal?.thresholds.first?.value == 3 * 0.4)
    }

    @Test("TC27: IEC-HS provisional not met (ferritin yes, but CRS is not resolving)")
    func tc27IECHSTimingNotMet() {
        let result = Self.tc27().grade(at: day(4, 6))
        #expect(result.iecHs.criteria == .astct2023)
        #expect(result.iecHs.provisional)
        #expect(!result.iecHs.present)
        #expect(result.iecHs.grade == 0)
        #expect(result.iecHs.codes.contains(.ferritinAbove2xULN))
        #expect(result.iecHs.codes.contains(.timingNotMet))
        #expect(result.iecHs.codes.contains(.transaminasesAbove5xULN))
    }

    static func tc28() -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(at: day(0, 0), ageYears: 16, weightKg: 30, infusedAtHours: day(0, 6), baselineFerritin: 800)
        course.vitals(at: day(2, 6), temp: 39.2, sbp: 100, oxygen: .roomAir)
        course.vitals(at: day(3, 6), temp: 38.5, sbp: 100, oxygen: .roomAir)
        course.lab(at: day(3, 6), .ferritin, 5000, uln: 300)
        course.vitals(at: day(5, 6), temp: 37.0, sbp: 110, oxygen: .roomAir)
        course.lab(at: day(10, 6), .platelets, 120)
        course.lab(at: day(12, 6), .ferritin, 20_000, uln: 300)
        for h in stride(from: day(13, 6), through: day(14, 6), by: 6) {
            course.vitals(at: h, temp: 36.8, sbp: 112, oxygen: .roomAir)
        }
        course.lab(at: day(14, 6), .ferritin, 48_000, uln: 300)
        course.lab(at: day(14, 6), .fibrinogen, 90)
        course.lab(at: day(14, 6), .alt, 300, uln: 40)
        course.lab(at: day(14, 6), .platelets, 60)
        return course
    }

    @Test("TC28: late isolated carHLH: CRS 0, CARTOX not met (timing), IEC-HS consistent (provisional)")
    func tc28LateIsolatedCarHLH() {
        let course = Self.tc28()
        let result = course.grade(at: day(14, 6))
        #expect(result.crs.grade == 0)
        #expect(result.crs.maxGrade == 1)
        #expect(result.iecHs.present)
        #expect(result.iecHs.provisional)
        #expect(result.iecHs.grade == 1)
        for code in [
            ReasonCode.ferritinAbove2xULN, .ferritinAbove2xBaseline, .timingCRSResolved, .hypofibrinogenemia,
            .transaminasesAbove5xULN, .cytopenia,
        ] {
            #expect(result.iecHs.codes.contains(code), "\(code)")
        }
        var cartox = GradingPolicy()
        cartox.iecHsCriteria = .cartox2018
        let cartoxResult = course.grade(at: day(14, 6), policy: cartox)
        #expect(!cartoxResult.iecHs.present)
        #expect(cartoxResult.iecHs.codes.contains(.ferritinNotMet))
    }

    @Test("TC29: infant 10 months: 38.4 °C, SBP 65 < 70, blow-by → CRS 2; CAPD 7, spontaneous → ICANS 1")
    func tc29Infant() {
        let now = CourseBuilder.at(1)
        var course = CourseBuilder()
        course.patient(birthDate: birthDate(daysBefore: 304, now), weightKg: 8)
        course.vitals(at: 1, temp: 38.4, sbp: 65, oxygen: OxygenSupport(device: .blowBy))
        course.neuro(at: 1, capd: 7, consciousness: .awakensSpontaneously)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 2)
        #expect(result.crs.reasons.first { $0.code == .hypotension }?.thresholds.first?.value == 70)
        #expect(result.icans.grade == 1)
    }

    @Test(
        "TC30: oxygen boundaries at 13 y, febrile, normotensive",
        arguments: [
            (OxygenSupport.nasalCannula(6.0), 2, false),
            (OxygenSupport.nasalCannula(6.5), 3, true),
            (OxygenSupport(device: .simpleFaceMask, flowLPerMin: 5), 3, false),
            (OxygenSupport.highFlow(5), 2, true),
        ])
    func tc30OxygenBoundaries(_ support: OxygenSupport, expected: Int, conflict: Bool) {
        var course = CourseBuilder()
        course.patient(ageYears: 13, weightKg: 40)
        course.vitals(at: 1, temp: 38.7, sbp: 105, oxygen: support)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == expected)
        #expect(result.crs.has(.deviceFlowConflict) == conflict)
    }

    @Test("TC31: 100.4 °F = 38.0 °C is fever (CRS 1); 100.3 °F = 37.94 °C is not (CRS 0)")
    func tc31TemperatureUnits() {
        for (fahrenheit, expected) in [(100.4, 1), (100.3, 0)] {
            var course = CourseBuilder()
            course.patient(ageYears: 30, weightKg: 70)
            course.vitals(at: 1, temp: (fahrenheit - 32) * 5 / 9, sbp: 120, oxygen: .roomAir)
            #expect(course.grade(at: 1).crs.grade == expected, "\(fahrenheit) °F")
        }
    }

    @Test("TC32: exactly 12 y 0 d uses ICE (ICE 5 → ICANS 2) and flags age-12-boundary; CAPD 10 → 3, flagged")
    func tc32Age12Boundary() {
        let now = CourseBuilder.at(1)
        var course = CourseBuilder()
        course.patient(birthDate: birthDate(yearsBefore: 12, now), weightKg: 40)
        var withICE = course
        withICE.neuro(at: 1, ice: 5, consciousness: .awake)
        let ice = withICE.grade(at: 1)
        #expect(ice.icans.grade == 2)
        #expect(ice.icans.has(.age12Boundary))
        #expect(!ice.icans.has(.instrumentAgeMismatch))
        #expect(ice.icans.codes.contains(.age12Boundary))

        var withCAPD = course
        withCAPD.neuro(at: 1, capd: 10, consciousness: .awake)
        let capd = withCAPD.grade(at: 1)
        #expect(capd.icans.grade == 3)
        #expect(capd.icans.has(.age12Boundary))
        #expect(capd.icans.has(.instrumentAgeMismatch))
        #expect(capd.hasAlert(.instrumentAgeMismatch))
    }

    @Test("TC33: on dexamethasone 5 mg Q12H the corticosteroid is active; CRS ≤ 1, ICANS 0")
    func tc33LastAgentWeaned() {
        var course = CourseBuilder()
        course.patient(ageYears: 10, weightKg: 45)
        course.vitals(at: day(1, 6), temp: 39.0, sbp: 100, oxygen: .roomAir)
        course.med(at: day(1, 8), .tocilizumab, doseMg: 360)
        for h in stride(from: day(3, 8), through: day(9, 8), by: 12) {
            course.med(at: h, .dexamethasone, doseMg: 5)
        }
        for h in stride(from: day(8, 6), through: day(9, 10), by: 4) {
            course.vitals(at: h, temp: 36.8, sbp: 108, oxygen: .roomAir)
            course.neuro(at: h, capd: 0, consciousness: .awake)
        }
        let timeline = course.timeline()
        let now = CourseBuilder.at(day(9, 10))
        let result = ToxicityEngine().grade(timeline, at: now)
        #expect(result.crs.grade.map { $0 <= 1 } == true)
        #expect(result.icans.grade == 0)
        #expect(timeline.isCorticosteroidActive(at: now))
        #expect(!timeline.isCorticosteroidActive(at: CourseBuilder.at(day(10, 9))))
        #expect(timeline.lastCorticosteroid(atOrBefore: now)?.doseMg == 5)
    }
}
