import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// The grading parts of the pinned `toxctl evaluate` examples (shared/examples/evaluate/*.json),
/// with the same timelines built in Swift (JSON decoding is not this module's job). Each is
/// evaluated at its last event, as `toxctl evaluate` without `--at` does.
@Suite("Pinned evaluate examples: grading")
struct EvaluateExampleGradingTests {
    struct Example {
        let name: String
        let events: [ClinicalEvent]
        let patientId: String

        init(_ name: String) {
            self.name = name
            self.events = []
            self.patientId = "ex-\(name)"
        }

        private init(name: String, events: [ClinicalEvent], patientId: String) {
            self.name = name
            self.events = events
            self.patientId = patientId
        }

        func id(_ suffix: String) -> String { "ex-\(name)-\(suffix)" }

        func with(_ event: ClinicalEvent) -> Example {
            Example(name: name, events: events + [event], patientId: patientId)
        }

        func patient(ageYears: Double, weightKg: Double, allergies: [String] = []) -> Example {
            with(
                .patient(
                    PatientEvent(
                        eventId: id("adm"), patientId: patientId, occurredAt: isoDate("2026-03-02T06:00:00Z"),
                        ageYears: ageYears, weightKg: weightKg, allergies: allergies,
                        infusion: Infusion(
                            product: "tisagenlecleucel", target: "CD19", infusedAt: isoDate("2026-02-26T06:00:00Z")))))
        }

        func vitals(_ n: Int, _ at: String, temp: Double, sbp: Double, oxygen: OxygenSupport) -> Example {
            with(
                .vitals(
                    VitalsEvent(
                        eventId: id("\(n)"), patientId: patientId, occurredAt: isoDate(at), temperatureC: temp,
                        systolicBP: sbp, oxygen: oxygen)))
        }

        func med(_ n: Int, _ at: String, _ drug: Drug, _ action: MedicationAction, doseMg: Double? = nil) -> Example {
            with(
                .medication(
                    MedicationEvent(
                        eventId: id("\(n)"), patientId: patientId, occurredAt: isoDate(at), drug: drug, action: action,
                        doseMg: doseMg, route: .iv)))
        }

        func lab(_ n: Int, _ at: String, _ test: LabTest, _ value: Double, uln: Double? = nil) -> Example {
            with(
                .lab(
                    LabEvent(
                        eventId: id("\(n)"), patientId: patientId, occurredAt: isoDate(at), test: test, value: value,
                        upperLimitOfNormal: uln)))
        }

        func neuro(_ n: Int, _ at: String, ice: Int? = nil, capd: Int? = nil, consciousness: Consciousness) -> Example {
            with(
                .neuro(
                    NeuroEvent(
                        eventId: id("\(n)"), patientId: patientId, occurredAt: isoDate(at), iceScore: ice,
                        capdScore: capd, consciousness: consciousness, seizure: Seizure.none,
                        motorWeakness: MotorWeakness.none, cerebralEdema: CerebralEdema.none)))
        }

        func timeline() -> PatientTimeline { PatientTimeline(events: events) }

        func evaluate() -> GradingResult {
            let timeline = timeline()
            let last = timeline.events.last?.occurredAt ?? .distantPast
            return ToxicityEngine().grade(timeline, at: last)
        }
    }

    @Test("tc01-cnh-70kg-refractory-crs3: CRS 3, ICANS 0")
    func tc01CNH70kgRefractoryCRS3() {
        let result = Example("tc01-cnh-70kg-refractory-crs3")
            .patient(ageYears: 16, weightKg: 70)
            .vitals(1, "2026-03-02T06:00:00Z", temp: 39.2, sbp: 95, oxygen: .nasalCannula(4))
            .med(2, "2026-03-02T07:00:00Z", .tocilizumab, .administered, doseMg: 560)
            .med(3, "2026-03-02T16:00:00Z", .dexamethasone, .administered, doseMg: 10)
            .med(4, "2026-03-02T18:00:00Z", .norepinephrine, .infusionStarted)
            .neuro(5, "2026-03-03T18:00:00Z", ice: 10, consciousness: .awake)
            .vitals(6, "2026-03-03T18:00:00Z", temp: 39.0, sbp: 85, oxygen: .nasalCannula(4))
            .evaluate()
        #expect(result.crs.grade == 3)
        #expect(result.icans.grade == 0)
        #expect(!result.icans.has(.incompleteData))
        #expect(result.eventIds.contains("ex-tc01-cnh-70kg-refractory-crs3-4"))
    }

    @Test("tc07-masked-fever-crs2: CRS 2")
    func tc07MaskedFeverCRS2() {
        let result = Example("tc07-masked-fever-crs2")
            .patient(ageYears: 10, weightKg: 32)
            .vitals(1, "2026-03-02T06:00:00Z", temp: 39.5, sbp: 100, oxygen: .roomAir)
            .med(2, "2026-03-02T08:00:00Z", .tocilizumab, .administered, doseMg: 256)
            .med(3, "2026-03-02T12:00:00Z", .acetaminophen, .administered, doseMg: 480)
            .vitals(4, "2026-03-02T18:00:00Z", temp: 37.2, sbp: 80, oxygen: .nasalCannula(2))
            .evaluate()
        #expect(result.crs.grade == 2)
        #expect(result.crs.has(.feverWaived))
    }

    @Test("tc09-seattle-capd10: ICANS 3, CRS 0")
    func tc09SeattleCAPD10() {
        let result = Example("tc09-seattle-capd10")
            .patient(ageYears: 5, weightKg: 18)
            .neuro(1, "2026-03-02T06:00:00Z", capd: 10, consciousness: .awakensSpontaneously)
            .med(2, "2026-03-02T07:00:00Z", .dexamethasone, .administered, doseMg: 9)
            .vitals(3, "2026-03-02T07:00:00Z", temp: 37.1, sbp: 96, oxygen: .roomAir)
            .evaluate()
        #expect(result.icans.grade == 3)
        #expect(result.crs.grade == 0)
        #expect(!result.crs.has(.incompleteData))
    }

    @Test("tc17-st-jude-40kg-carhlh: IEC-HS present")
    func tc17StJude40kgCarHLH() {
        let result = Example("tc17-st-jude-40kg-carhlh")
            .patient(ageYears: 12, weightKg: 40)
            .vitals(1, "2026-03-02T06:00:00Z", temp: 39.0, sbp: 100, oxygen: .roomAir)
            .lab(2, "2026-03-02T06:00:00Z", .ferritin, 900, uln: 300)
            .med(3, "2026-03-02T08:00:00Z", .tocilizumab, .administered, doseMg: 320)
            .vitals(4, "2026-03-04T18:00:00Z", temp: 37.0, sbp: 104, oxygen: .roomAir)
            .vitals(5, "2026-03-06T20:00:00Z", temp: 38.6, sbp: 102, oxygen: .roomAir)
            .lab(6, "2026-03-06T20:00:00Z", .ferritin, 38_000, uln: 300)
            .lab(7, "2026-03-06T20:00:00Z", .fibrinogen, 95)
            .lab(8, "2026-03-06T20:00:00Z", .alt, 320, uln: 40)
            .lab(9, "2026-03-06T20:00:00Z", .platelets, 80)
            .evaluate()
        #expect(result.iecHs.present)
        #expect(result.iecHs.provisional)
        #expect(result.iecHs.codes.contains(.timingWorseningAfterImprovement))
        #expect(result.iecHs.codes.contains(.ferritinRapidlyRising) == false)  // 900 is 4 days earlier
        #expect(result.crs.grade == 1)
    }

    @Test("tc23-ecoli-hold: CRS 3")
    func tc23EcoliHold() {
        let example = Example("tc23-ecoli-hold")
            .patient(ageYears: 16, weightKg: 60, allergies: ["e-coli-derived-protein"])
            .vitals(1, "2026-03-02T06:00:00Z", temp: 39.4, sbp: 84, oxygen: .roomAir)
            .med(2, "2026-03-02T07:00:00Z", .tocilizumab, .administered, doseMg: 480)
            .med(3, "2026-03-02T08:00:00Z", .dexamethasone, .administered, doseMg: 10)
            .med(4, "2026-03-02T09:00:00Z", .norepinephrine, .infusionStarted)
            .vitals(
                5, "2026-03-02T14:00:00Z", temp: 38.8, sbp: 86,
                oxygen: OxygenSupport(device: .nonRebreather, flowLPerMin: 12))
        let result = example.evaluate()
        #expect(result.crs.grade == 3)
        #expect(Set(result.crs.decisiveCodes) == [.vasopressor, .maskOxygen])
        // Worse after both tocilizumab and dexamethasone: 2 (hypotension, no vasopressor) before
        // norepinephrine, 3 once it runs.
        let timeline = example.timeline()
        #expect(timeline.crsCourse.grade(at: isoDate("2026-03-02T08:30:00Z")) == 2)
        #expect(timeline.crsCourse.grade(at: isoDate("2026-03-02T09:00:00Z")) == 3)
        #expect(timeline.profile(at: isoDate("2026-03-02T14:00:00Z")).allergies == ["e-coli-derived-protein"])
    }
}
