import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Missing, stale, implausible and inconsistent input is explicit (clinical-spec A1, issue item 6).
@Suite("Missing and inconsistent data")
struct MissingDataTests {
    @Test("No weight: missing-weight; grades as usual")
    func missingWeight() {
        var course = CourseBuilder()
        course.patient(ageYears: 9)
        course.vitals(at: 1, temp: 39, sbp: 100, oxygen: .nasalCannula(3))
        let result = course.grade(at: 1)
        #expect(result.hasAlert(.missingWeight))
        #expect(result.crs.grade == 2)
        #expect(course.timeline().currentWeight(at: CourseBuilder.at(1)) == nil)
    }

    @Test("Weight older than 30 days: stale-weight and no current weight; 30 days exactly is current")
    func staleWeight() {
        var course = CourseBuilder()
        course.patient(at: 0, ageYears: 9, weightKg: 28)
        let timeline = course.timeline()
        let thirtyDays = 30 * 24.0
        #expect(timeline.currentWeight(at: CourseBuilder.at(thirtyDays))?.kilograms == 28)
        #expect(timeline.currentWeight(at: CourseBuilder.at(thirtyDays + 1 / 3600.0)) == nil)
        #expect(course.grade(at: thirtyDays + 1).hasAlert(.staleWeight))
        #expect(!course.grade(at: thirtyDays).hasAlert(.staleWeight))
    }

    @Test("Implausible weight (700 kg) is ignored with implausible-value and missing-weight")
    func implausibleWeight() {
        var course = CourseBuilder()
        course.patient(at: 0, id: "adm", ageYears: 40, weightKg: 700)
        let result = course.grade(at: 1)
        #expect(result.hasAlert(.missingWeight))
        #expect(result.alert(.implausibleValue)?.eventIds.contains("adm") == true)
        #expect(course.timeline().currentWeight(at: CourseBuilder.at(1)) == nil)
    }

    @Test("Implausible temperature (60 °C) is ignored: alert, and the previous reading stays current")
    func implausibleTemperature() {
        var course = CourseBuilder()
        course.patient(ageYears: 40, weightKg: 80)
        course.vitals(at: 1, temp: 38.5, sbp: 120, oxygen: .roomAir)
        course.vitals(at: 2, id: "typo", temp: 60, sbp: 120, oxygen: .roomAir)
        let result = course.grade(at: 2)
        #expect(result.alert(.implausibleValue)?.eventIds.contains("typo") == true)
        #expect(result.alert(.implausibleValue)?.fields.contains(.temperatureC) == true)
        #expect(result.crs.grade == 1)
    }

    @Test("No age: missing-age; SBP 70 cannot be judged (incomplete), SBP 55 is hypotension at any age")
    func missingAge() {
        for (sbp, expected, incomplete) in [(70.0, 1, true), (55.0, 2, false)] {
            var course = CourseBuilder()
            course.patient(weightKg: 30)
            course.vitals(at: 1, temp: 39, sbp: sbp, oxygen: .roomAir)
            let result = course.grade(at: 1)
            #expect(result.hasAlert(.missingAge))
            #expect(result.crs.grade == expected, "SBP \(sbp)")
            #expect(result.crs.has(.incompleteData) == incomplete, "SBP \(sbp)")
        }
    }

    @Test("No age: whatever ICANS instrument is given is graded, without a mismatch flag")
    func missingAgeICANS() {
        var course = CourseBuilder()
        course.patient(weightKg: 30)
        course.neuro(at: 1, capd: 10, consciousness: .awake)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 3)
        #expect(!result.icans.has(.instrumentAgeMismatch))
        #expect(result.hasAlert(.missingAge))
    }

    @Test("No vitals at all: missing-vitals names temperature, blood pressure and oxygen; CRS 0 incomplete")
    func missingVitals() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 0)
        #expect(result.crs.has(.incompleteData))
        let alert = result.alert(.missingVitals)
        #expect(alert?.fields.contains(.temperatureC) == true)
        #expect(alert?.fields.contains(.oxygenDevice) == true)
        #expect(result.crs.codes.contains(.feverUnknown))
    }

    @Test("Stale vitals in an open episode with fever waived: cannot be graded (§A13.12), flagged, last grade shown")
    func staleVitalsInEpisode() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, id: "v1", temp: 39, sbp: 85, oxygen: .nasalCannula(3))
        course.med(at: 2, .tocilizumab, doseMg: 560)
        let result = course.grade(at: 6)
        #expect(result.crs.grade == nil)
        #expect(result.crs.has(.cannotGrade))
        #expect(result.crs.lastGraded == LastGraded(grade: 2, at: CourseBuilder.at(1)))
        #expect(result.crs.has(.incompleteData))
        #expect(result.alert(.staleVitals)?.eventIds.contains("v1") == true)
        #expect(result.crs.maxGrade == 2)
        #expect(course.timeline().crsCourse.isComplete(at: CourseBuilder.at(6)) == false)
    }

    @Test("No neuro assessment: missing-neuro names the instrument and consciousness; ICANS 0 incomplete")
    func missingNeuro() {
        var course = CourseBuilder()
        course.patient(ageYears: 8, weightKg: 25)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 0)
        #expect(result.icans.has(.incompleteData))
        let alert = result.alert(.missingNeuro)
        #expect(alert?.fields.contains(.capdScore) == true)
        #expect(alert?.fields.contains(.consciousness) == true)
    }

    @Test("A CAPD given to a 15-year-old: graded with the CAPD table, flagged, alert, and ICE reported missing")
    func capdInFifteenYearOld() {
        var course = CourseBuilder()
        course.patient(ageYears: 15, weightKg: 50)
        course.neuro(at: 1, id: "capd", capd: 10, consciousness: .awake)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 3)
        #expect(result.icans.has(.instrumentAgeMismatch))
        #expect(result.alert(.instrumentAgeMismatch)?.eventIds.contains("capd") == true)
        #expect(result.alert(.missingNeuro)?.fields.contains(.iceScore) == true)
        #expect(result.icans.has(.incompleteData))
    }

    @Test("CAPD at 15 y with developmental delay is the expected instrument")
    func developmentalDelay() {
        var course = CourseBuilder()
        course.patient(ageYears: 15, weightKg: 50)
        course.finding(at: 0.5, .developmentalDelay)
        course.neuro(at: 1, capd: 10, consciousness: .awake)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == 3)
        #expect(!result.icans.has(.instrumentAgeMismatch))
        #expect(result.icans.has(.developmentalDelay))
        #expect(!result.icans.has(.incompleteData))
    }

    @Test("Sedated by the assessor: not assessable, other domains still graded")
    func sedatedAssessment() {
        var course = CourseBuilder()
        course.patient(ageYears: 6, weightKg: 20)
        course.neuro(at: 1, consciousness: .unarousable, seizure: .focalOrGeneralizedResolving, sedated: true)
        let result = course.grade(at: 1)
        #expect(result.icans.has(.notAssessableSedated))
        #expect(result.icans.grade == 3)
        #expect(result.icans.decisiveCodes == [.seizure])
        #expect(result.hasAlert(.notAssessableSedated))
    }

    @Test("No infusion date: fever is CRS (missing-infusion); fever before the infusion is not CRS")
    func infusionDate() {
        var unknown = CourseBuilder()
        unknown.patient(ageYears: 30, weightKg: 70, infusedAtHours: nil)
        unknown.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        let result = unknown.grade(at: 1)
        #expect(result.crs.grade == 1)
        #expect(result.hasAlert(.missingInfusion))

        var before = CourseBuilder()
        before.patient(ageYears: 30, weightKg: 70, infusedAtHours: 2)
        before.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        let early = before.grade(at: 2)
        #expect(early.crs.grade == 0)
        #expect(early.crs.has(.feverBeforeInfusion))
        #expect(early.hasAlert(.feverBeforeInfusion))
        #expect(early.crs.episode == nil)
    }

    @Test("Nasal cannula without flow: graded by the device, alert missing-oxygen-flow")
    func missingFlow() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: OxygenSupport(device: .highFlowNasalCannula))
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 3)
        #expect(result.hasAlert(.missingOxygenFlow))
    }

    @Test("Oxygen needed before infusion is not counted; more than baseline is")
    func baselineOxygen() {
        var course = CourseBuilder()
        course.patient(at: -30, ageYears: 30, weightKg: 70, infusedAtHours: -24)
        course.vitals(at: -25, temp: 37, sbp: 120, oxygen: .nasalCannula(2))
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .nasalCannula(2))
        let same = course.grade(at: 1)
        #expect(same.crs.grade == 1)
        #expect(same.crs.has(.baselineOxygenExcluded))
        #expect(same.crs.reasons.first { $0.code == .baselineOxygen }?.source == .policy)
        course.vitals(at: 2, temp: 39, sbp: 120, oxygen: .highFlow(20))
        #expect(course.grade(at: 2).crs.grade == 3)
    }

    @Test("Inotropes are not vasopressors by default (policy), and are when the policy says so")
    func inotropes() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.med(at: 0.5, .dobutamine, .infusionStarted)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 1)
        #expect(result.crs.has(.inotropeNotCounted))
        #expect(result.crs.reasons.first { $0.code == .inotropeNotCounted }?.source == .policy)
        var policy = GradingPolicy()
        policy.countInotropesAsVasopressors = true
        #expect(course.grade(at: 1, policy: policy).crs.grade == 3)
    }

    @Test("Hypoxia without fever raises hypoxia-without-fever")
    func hypoxiaWithoutFever() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 37.2, sbp: 120, oxygen: .highFlow(30))
        let result = course.grade(at: 1)
        #expect(result.crs.grade == 0)
        #expect(result.hasAlert(.hypoxiaWithoutFever))
    }

    @Test("IEC-HS possible but no recent ferritin: missing-labs / stale-labs for ferritin")
    func ferritinMissing() {
        var course = CourseBuilder()
        course.patient(at: day(0, 0), ageYears: 16, weightKg: 30, infusedAtHours: day(0, 6))
        course.vitals(at: day(2, 6), temp: 39.2, sbp: 100, oxygen: .roomAir)
        course.vitals(at: day(5, 6), temp: 37.0, sbp: 110, oxygen: .roomAir)
        var stale = course
        let missing = course.grade(at: day(8, 6))
        #expect(missing.alert(.missingLabs)?.fields.contains("ferritin") == true)
        stale.lab(at: day(5, 6), .ferritin, 900, uln: 300)
        #expect(stale.grade(at: day(8, 6)).hasAlert(.staleLabs))
        #expect(!stale.grade(at: day(6, 6)).hasAlert(.staleLabs))
    }
}
