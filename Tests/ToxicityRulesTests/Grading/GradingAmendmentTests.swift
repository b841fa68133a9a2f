import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Clinical-spec §A13 amendments to grading: cytopenia against the pre-infusion baseline (§A13.5),
/// an order discontinuation ends an infusion (§A13.13), baseline oxygen counts by flow (§A13.15),
/// stale is never normal (§A13.12).
@Suite struct GradingAmendmentTests {
    // MARK: §A13.5 cytopenia is new only against the pre-infusion baseline

    /// Routine grade-2 CRS (39 °C, SBP 80 at 13 y) resolving after one tocilizumab dose, ferritin
    /// 3 × ULN at 12 h; ANC and platelets measured before infusion (−100 h) and at 12 h.
    static func resolvingCRS(
        preInfusion: (anc: Double, platelets: Double)?, postInfusion: [(hours: Double, anc: Double, platelets: Double)]
    ) -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(at: -100, ageYears: 13, weightKg: 40)
        if let preInfusion {
            course.lab(at: -100, .anc, preInfusion.anc)
            course.lab(at: -100, .platelets, preInfusion.platelets)
        }
        course.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        course.med(at: 2, .tocilizumab, doseMg: 320)
        course.vitals(at: 12, temp: 37.0, sbp: 110, oxygen: .roomAir)
        course.lab(at: 12, .ferritin, 900, uln: 300)
        for value in postInfusion {
            course.lab(at: value.hours, .anc, value.anc)
            course.lab(at: value.hours, .platelets, value.platelets)
        }
        return course
    }

    @Test("§A13.5: ANC 0.4 and platelets 55 improved since before infusion are not new → IEC-HS absent")
    func countsImprovedSinceInfusionAreNotNewCytopenias() {
        let result = Self.resolvingCRS(preInfusion: (0.2, 30), postInfusion: [(12, 0.4, 55)]).grade(at: 12)
        #expect(result.crs.maxGrade == 2 && result.crs.grade == 1)
        #expect(result.iecHs.codes.contains(.ferritinAbove2xULN) && result.iecHs.codes.contains(.timingCRSResolving))
        #expect(!result.iecHs.codes.contains(.cytopenia))
        #expect(!result.iecHs.present)
    }

    @Test("§A13.5: a count below the HLH threshold and lower than the last pre-infusion value counts")
    func countBelowThePreInfusionValueIsNew() throws {
        let result = Self.resolvingCRS(preInfusion: (0.8, 120), postInfusion: [(12, 0.4, 55)]).grade(at: 12)
        #expect(result.iecHs.present)
        let cytopenias = result.iecHs.reasons.filter { $0.code == .cytopenia }
        #expect(cytopenias.count == 2)
        // Each reason shows the count and the pre-infusion value it fell from.
        let anc = try #require(cytopenias.first { $0.observed.first?.field == .lab(.anc) })
        #expect(anc.observed.map(\.value) == [0.4, 0.8])
        #expect(anc.observed.last?.observedAt == CourseBuilder.at(-100))
    }

    @Test(
        "§A13.5: a fall of ≥ 25 % between post-infusion values counts even above the pre-infusion value",
        arguments: [(0.6, true), (0.61, false)])
    func fallBetweenPostInfusionValues(anc: Double, counts: Bool) {
        let result = Self.resolvingCRS(preInfusion: (0.2, 150), postInfusion: [(6, 0.8, 150), (12, anc, 150)])
            .grade(at: 12)
        #expect(result.iecHs.codes.contains(.cytopenia) == counts, "ANC 0.8 → \(anc)")
        #expect(result.iecHs.present == counts)
    }

    @Test("§A13.5: with no pre-infusion value a count counts only when it worsens after infusion")
    func withoutAPreInfusionValueOnlyAWorseningCounts() {
        let first = Self.resolvingCRS(preInfusion: nil, postInfusion: [(12, 0.4, 150)]).grade(at: 12)
        #expect(!first.iecHs.codes.contains(.cytopenia) && !first.iecHs.present)
        let improving = Self.resolvingCRS(preInfusion: nil, postInfusion: [(6, 0.3, 150), (12, 0.4, 150)])
            .grade(at: 12)
        #expect(!improving.iecHs.codes.contains(.cytopenia))
        let worsening = Self.resolvingCRS(preInfusion: nil, postInfusion: [(6, 0.45, 150), (12, 0.4, 150)])
            .grade(at: 12)
        #expect(worsening.iecHs.codes.contains(.cytopenia) && worsening.iecHs.present)
    }

    // MARK: §A13.13 order discontinuation ends an infusion

    /// 30 y, febrile and hypotensive on norepinephrine from 0 h (CRS 3); the order is discontinued
    /// at 4 h with no `infusion-stopped` event; at 5 h 39 °C, SBP 110, room air.
    static func discontinuedVasopressor() -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        course.med(at: 0, .norepinephrine, .infusionStarted)
        course.med(at: 4, id: "dc", .norepinephrine, .discontinued)
        course.vitals(at: 5, temp: 39.0, sbp: 110, oxygen: .roomAir)
        return course
    }

    @Test("§A13.13: a discontinued vasopressor order without infusion-stopped ends the infusion: CRS 3 → 1")
    func discontinuedVasopressorOrderEndsTheInfusion() throws {
        let course = Self.discontinuedVasopressor()
        #expect(course.grade(at: 3).crs.grade == 3)
        let result = course.grade(at: 5)
        #expect(result.crs.grade == 1)
        #expect(result.crs.maxGrade == 3)
        let alert = try #require(result.alerts.first { $0.code == .infusionEndAssumed })
        #expect(alert.eventIds == ["dc"])
        #expect(course.timeline().activeVasopressors(at: CourseBuilder.at(4)).isEmpty)
    }

    @Test("§A13.13: an infusion-stopped event after the discontinuation replaces the assumption")
    func stoppedAfterDiscontinuationNeedsNoAssumption() {
        var course = Self.discontinuedVasopressor()
        course.med(at: 4.5, .norepinephrine, .infusionStopped)
        let result = course.grade(at: 5)
        #expect(result.crs.grade == 1)
        #expect(!result.alertCodes.contains(.infusionEndAssumed))
    }

    @Test("§A13.13: a discontinued order with no running infusion assumes nothing")
    func discontinuedOrderWithoutARunningInfusion() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.med(at: 0, .norepinephrine, .infusionStarted)
        course.med(at: 1, .norepinephrine, .infusionStopped)
        course.med(at: 2, .norepinephrine, .discontinued)
        course.vitals(at: 3, temp: 39.0, sbp: 110, oxygen: .roomAir)
        #expect(!course.grade(at: 3).alertCodes.contains(.infusionEndAssumed))
    }

    @Test("§A13.13: any infusion, tracked or not, ends at its order's discontinuation")
    func discontinuedOrderEndsAnUntrackedInfusion() {
        var course = CourseBuilder()
        course.med(at: 1, .other("heparin"), .infusionStarted)
        course.med(at: 3, .other("heparin"), .discontinued)
        let timeline = course.timeline()
        #expect(timeline.isInfusionActive(.other("heparin"), at: CourseBuilder.at(2)))
        #expect(!timeline.isInfusionActive(.other("heparin"), at: CourseBuilder.at(3)))
    }

    // MARK: §A13.15 baseline oxygen counts by flow

    /// 30 y on 2 L/min nasal cannula the day before infusion; febrile and normotensive at 1 h on `now`.
    static func onBaselineOxygen(_ now: OxygenSupport) -> GradingResult {
        var course = CourseBuilder()
        course.patient(at: -30, ageYears: 30, weightKg: 70, infusedAtHours: -24)
        course.vitals(at: -25, temp: 37, sbp: 120, oxygen: .nasalCannula(2))
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: now)
        return course.grade(at: 1)
    }

    @Test("§A13.15: 2 L NC before infusion and 5 L NC now → CRS 2 (a higher flow on the same device)")
    func higherFlowThanBaselineCounts() {
        let result = Self.onBaselineOxygen(.nasalCannula(5))
        #expect(result.crs.grade == 2)
        #expect(!result.crs.has(.baselineOxygenExcluded))
        let baseline = result.crs.reasons.first { $0.code == .baselineOxygen }
        #expect(baseline?.observed.map(\.value) == [2, 5])
        #expect(baseline?.thresholds.contains { $0.field == .oxygenFlow && $0.value == 2 } == true)
    }

    @Test(
        "§A13.15: a higher tier than baseline counts; the same flow or less does not",
        arguments: [
            (OxygenSupport.nasalCannula(2), 1),
            (OxygenSupport.nasalCannula(1), 1),
            (OxygenSupport(device: .blowBy), 1),
            (OxygenSupport(device: .simpleFaceMask, flowLPerMin: 6), 3),
            (OxygenSupport.highFlow(20), 3),
        ])
    func oxygenAgainstBaseline(now: OxygenSupport, expected: Int) {
        let result = Self.onBaselineOxygen(now)
        #expect(result.crs.grade == expected)
        #expect(result.crs.has(.baselineOxygenExcluded) == (expected == 1))
    }

    // MARK: §A13.12 stale is never normal

    /// 30 y: 39 °C and SBP 80 on room air at 0 h (CRS 2), ICE 10 and awake at 0 h, nothing since.
    static func staleAfterHypotension() -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        course.neuro(at: 0, ice: 10, consciousness: .awake)
        return course
    }

    @Test("§A13.12: vitals 5 h old after SBP 80 and 39 °C → CRS grade nil, cannot-grade, last graded 2, maxGrade kept")
    func staleVitalsCannotBeGraded() throws {
        let result = Self.staleAfterHypotension().grade(at: 5)
        #expect(result.crs.grade == nil)
        #expect(result.crs.has(.cannotGrade))
        #expect(result.crs.maxGrade == 2)
        #expect(result.crs.lastGraded == LastGraded(grade: 2, at: CourseBuilder.at(0)))
        let reason = try #require(result.crs.reasons.first { $0.code == .cannotGrade })
        #expect(reason.decisive && result.crs.reasons.filter(\.decisive).count == 1)
        #expect(reason.observed.map(\.field) == [.temperatureC, .systolicBP, .oxygenDevice])
        #expect(reason.thresholds.first?.value == 4)
        #expect(result.alertCodes.contains(.staleVitals))
        // ICANS: neuro 5 h old is within its 12 h window.
        #expect(result.icans.grade == 0 && result.icans.lastGraded == nil)
    }

    @Test("§A13.12: exactly at the freshness window the grade stands; one second later it cannot be graded")
    func freshnessWindowBoundary() {
        let course = Self.staleAfterHypotension()
        let atWindow = course.grade(at: 4)
        #expect(atWindow.crs.grade == 2 && !atWindow.crs.has(.cannotGrade) && atWindow.crs.lastGraded == nil)
        let after = course.grade(at: 4 + 1 / 3600.0)
        #expect(after.crs.grade == nil && after.crs.lastGraded?.grade == 2)
        let neuro = course.grade(at: 12 + 1 / 3600.0)
        #expect(neuro.icans.grade == nil && neuro.icans.has(.cannotGrade))
        #expect(neuro.icans.lastGraded == LastGraded(grade: 0, at: CourseBuilder.at(0)))
        #expect(course.grade(at: 12).icans.grade == 0)
    }

    @Test("§A13.12: a stale domain that cannot change the grade does not stop it; afebrile stays 0")
    func staleOnlyMattersWhenItCouldChangeTheGrade() {
        var afebrile = CourseBuilder()
        afebrile.patient(ageYears: 30, weightKg: 70)
        afebrile.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        afebrile.vitals(at: 3, temp: 37.0)  // a temperature alone; SBP and oxygen go stale at 4 h
        #expect(afebrile.grade(at: 5).crs.grade == 0)

        var onTwoPressors = CourseBuilder()
        onTwoPressors.patient(ageYears: 30, weightKg: 70)
        onTwoPressors.vitals(at: 0, temp: 39.0, sbp: 70, oxygen: .roomAir)
        onTwoPressors.med(at: 0, .norepinephrine, .infusionStarted)
        onTwoPressors.med(at: 0, .epinephrine, .infusionStarted)
        onTwoPressors.vitals(at: 3, temp: 39.0)  // SBP and oxygen stale at 5 h: grade 4 regardless
        #expect(onTwoPressors.grade(at: 5).crs.grade == 4)

        var neverMeasured = CourseBuilder()
        neverMeasured.patient(ageYears: 30, weightKg: 70)
        neverMeasured.vitals(at: 0, temp: 39.0, sbp: 110, oxygen: .roomAir)
        // No neuro assessment ever: missing, not stale — ICANS keeps grade 0 with incomplete-data.
        #expect(neverMeasured.grade(at: 1).icans.grade == 0)
    }
}
