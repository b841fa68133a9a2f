import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// The grading parts of the pinned `toxctl evaluate` examples (shared/examples/evaluate/*.json),
/// with the same timelines built in Swift (JSON decoding is not this module's job). Each is
/// evaluated at its last event, as `toxctl evaluate` without `--at` does.
@Suite("Pinned evaluate examples: grading")
struct EvaluateExampleGradingTests {
    /// An example's course: the patient `ex-<name>`, admitted at the reference (day +4), a neuro
    /// assessment normal where it says nothing; its events are named `ex-<name>-<n>` as in the JSON.
    static func example(_ name: String) -> CourseBuilder {
        CourseBuilder(
            .init(admissionHours: 0, unstatedNeuroFindingsAreNormal: true), patientId: "ex-\(name)")
    }

    /// Hours from the reference to an instant spelled as in the JSON examples.
    static func h(_ text: String) -> Double { CourseBuilder.hours(at: text) }

    /// Grades the course at its last event, as `toxctl evaluate` without `--at` does.
    static func evaluate(_ course: CourseBuilder) -> GradingResult {
        let timeline = course.timeline()
        return ToxicityEngine().grade(timeline, at: timeline.events.last?.occurredAt ?? .distantPast)
    }

    @Test("tc01-cnh-70kg-refractory-crs3: CRS 3, ICANS 0")
    func tc01CNH70kgRefractoryCRS3() {
        var course = Self.example("tc01-cnh-70kg-refractory-crs3")
        course.patient(id: course.eventId("adm"), ageYears: 16, weightKg: 70)
        course.vitals(
            at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(1), temp: 39.2, sbp: 95, oxygen: .nasalCannula(4))
        course.med(at: Self.h("2026-03-02T07:00:00Z"), id: course.eventId(2), .tocilizumab, .administered, doseMg: 560)
        course.med(at: Self.h("2026-03-02T16:00:00Z"), id: course.eventId(3), .dexamethasone, .administered, doseMg: 10)
        course.med(at: Self.h("2026-03-02T18:00:00Z"), id: course.eventId(4), .norepinephrine, .infusionStarted)
        course.neuro(at: Self.h("2026-03-03T18:00:00Z"), id: course.eventId(5), ice: 10, consciousness: .awake)
        course.vitals(
            at: Self.h("2026-03-03T18:00:00Z"), id: course.eventId(6), temp: 39.0, sbp: 85, oxygen: .nasalCannula(4))
        let result = Self.evaluate(course)
        #expect(result.crs.grade == 3)
        #expect(result.icans.grade == 0)
        #expect(!result.icans.has(.incompleteData))
        #expect(result.eventIds.contains("ex-tc01-cnh-70kg-refractory-crs3-4"))
    }

    @Test("tc07-masked-fever-crs2: CRS 2")
    func tc07MaskedFeverCRS2() {
        var course = Self.example("tc07-masked-fever-crs2")
        course.patient(id: course.eventId("adm"), ageYears: 10, weightKg: 32)
        course.vitals(at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(1), temp: 39.5, sbp: 100, oxygen: .roomAir)
        course.med(at: Self.h("2026-03-02T08:00:00Z"), id: course.eventId(2), .tocilizumab, .administered, doseMg: 256)
        course.med(
            at: Self.h("2026-03-02T12:00:00Z"), id: course.eventId(3), .acetaminophen, .administered, doseMg: 480)
        course.vitals(
            at: Self.h("2026-03-02T18:00:00Z"), id: course.eventId(4), temp: 37.2, sbp: 80, oxygen: .nasalCannula(2))
        let result = Self.evaluate(course)
        #expect(result.crs.grade == 2)
        #expect(result.crs.has(.feverWaived))
    }

    @Test("tc09-seattle-capd10: ICANS 3, CRS 0")
    func tc09SeattleCAPD10() {
        var course = Self.example("tc09-seattle-capd10")
        course.patient(id: course.eventId("adm"), ageYears: 5, weightKg: 18)
        course.neuro(
            at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(1), capd: 10, consciousness: .awakensSpontaneously)
        course.med(at: Self.h("2026-03-02T07:00:00Z"), id: course.eventId(2), .dexamethasone, .administered, doseMg: 9)
        course.vitals(at: Self.h("2026-03-02T07:00:00Z"), id: course.eventId(3), temp: 37.1, sbp: 96, oxygen: .roomAir)
        let result = Self.evaluate(course)
        #expect(result.icans.grade == 3)
        #expect(result.crs.grade == 0)
        #expect(!result.crs.has(.incompleteData))
    }

    @Test("tc17-st-jude-40kg-carhlh: IEC-HS present")
    func tc17StJude40kgCarHLH() {
        var course = Self.example("tc17-st-jude-40kg-carhlh")
        course.patient(id: course.eventId("adm"), ageYears: 12, weightKg: 40)
        course.vitals(at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(1), temp: 39.0, sbp: 100, oxygen: .roomAir)
        course.lab(at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(2), .ferritin, 900, uln: 300)
        course.med(at: Self.h("2026-03-02T08:00:00Z"), id: course.eventId(3), .tocilizumab, .administered, doseMg: 320)
        course.vitals(at: Self.h("2026-03-04T18:00:00Z"), id: course.eventId(4), temp: 37.0, sbp: 104, oxygen: .roomAir)
        course.vitals(at: Self.h("2026-03-06T20:00:00Z"), id: course.eventId(5), temp: 38.6, sbp: 102, oxygen: .roomAir)
        course.lab(at: Self.h("2026-03-06T20:00:00Z"), id: course.eventId(6), .ferritin, 38_000, uln: 300)
        course.lab(at: Self.h("2026-03-06T20:00:00Z"), id: course.eventId(7), .fibrinogen, 95)
        course.lab(at: Self.h("2026-03-06T20:00:00Z"), id: course.eventId(8), .alt, 320, uln: 40)
        course.lab(at: Self.h("2026-03-06T20:00:00Z"), id: course.eventId(9), .platelets, 80)
        let result = Self.evaluate(course)
        #expect(result.iecHs.present)
        #expect(result.iecHs.provisional)
        #expect(result.iecHs.codes.contains(.timingWorseningAfterImprovement))
        #expect(result.iecHs.codes.contains(.ferritinRapidlyRising) == false)  // 900 is 4 days earlier
        #expect(result.crs.grade == 1)
    }

    @Test("tc23-ecoli-hold: CRS 3")
    func tc23EcoliHold() {
        var course = Self.example("tc23-ecoli-hold")
        course.patient(id: course.eventId("adm"), ageYears: 16, weightKg: 60, allergies: ["e-coli-derived-protein"])
        course.vitals(at: Self.h("2026-03-02T06:00:00Z"), id: course.eventId(1), temp: 39.4, sbp: 84, oxygen: .roomAir)
        course.med(at: Self.h("2026-03-02T07:00:00Z"), id: course.eventId(2), .tocilizumab, .administered, doseMg: 480)
        course.med(at: Self.h("2026-03-02T08:00:00Z"), id: course.eventId(3), .dexamethasone, .administered, doseMg: 10)
        course.med(at: Self.h("2026-03-02T09:00:00Z"), id: course.eventId(4), .norepinephrine, .infusionStarted)
        course.vitals(
            at: Self.h("2026-03-02T14:00:00Z"), id: course.eventId(5), temp: 38.8, sbp: 86,
            oxygen: OxygenSupport(device: .nonRebreather, flowLPerMin: 12))
        let result = Self.evaluate(course)
        #expect(result.crs.grade == 3)
        #expect(Set(result.crs.decisiveCodes) == [.vasopressor, .maskOxygen])
        // Worse after both tocilizumab and dexamethasone: 2 (hypotension, no vasopressor) before
        // norepinephrine, 3 once it runs.
        let timeline = course.timeline()
        #expect(timeline.crsCourse.grade(at: isoDate("2026-03-02T08:30:00Z")) == 2)
        #expect(timeline.crsCourse.grade(at: isoDate("2026-03-02T09:00:00Z")) == 3)
        #expect(timeline.profile(at: isoDate("2026-03-02T14:00:00Z")).allergies == ["e-coli-derived-protein"])
    }
}
