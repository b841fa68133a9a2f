import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Both sides of every grading threshold.
@Suite("Grading boundaries")
struct GradingBoundaryTests {
    @Test("Fever: 37.9 °C is not fever, 38.0 °C is", arguments: [(37.9, 0), (37.999, 0), (38.0, 1), (38.1, 1)])
    func feverThreshold(_ temperature: Double, expected: Int) {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: temperature, sbp: 120, oxygen: .roomAir)
        #expect(course.grade(at: 1).crs.grade == expected)
    }

    @Test(
        "Nasal cannula: 6.0 L/min is low flow (2), 6.1 L/min is high flow (3)",
        arguments: [
            (OxygenSupport.nasalCannula(6.0), 2, false),
            (OxygenSupport.nasalCannula(6.1), 3, true),
            (OxygenSupport.highFlow(6.0), 2, true),
            (OxygenSupport.highFlow(6.1), 3, false),
            (OxygenSupport(device: .blowBy, flowLPerMin: 10), 2, false),
            (OxygenSupport(device: .venturiMask), 3, false),
            (OxygenSupport(device: .nonRebreather, flowLPerMin: 15), 3, false),
            (OxygenSupport(device: .cpap), 4, false),
            (OxygenSupport(device: .bipap), 4, false),
            (OxygenSupport(device: .mechanicalVentilation), 4, false),
            (OxygenSupport.roomAir, 1, false),
        ])
    func oxygenFlowThreshold(_ support: OxygenSupport, expected: Int, conflict: Bool) {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 38.5, sbp: 120, oxygen: support)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == expected)
        #expect(result.crs.has(.deviceFlowConflict) == conflict)
        let oxygen = result.crs.reasons.first { $0.rule == .crsOxygen }
        // Room air supports "no hypoxia", not a grade of its own.
        #expect(oxygen?.grade == (expected == 1 ? nil : expected))
    }

    /// (label, age in days or nil, years, SBP, hypotensive)
    static let ageBands: [(String, Int?, Int, Double, Bool)] = [
        ("28 d: SBP 59 < 60", 28, 0, 59, true),
        ("28 d: SBP 60", 28, 0, 60, false),
        ("29 d: SBP 69 < 70", 29, 0, 69, true),
        ("29 d: SBP 65 < 70 (infant band)", 29, 0, 65, true),
        ("28 d: SBP 65 (neonate band)", 28, 0, 65, false),
        ("11 mo: SBP 69", 335, 0, 69, true),
        ("11 mo: SBP 70", 335, 0, 70, false),
        ("1 y: SBP 71 < 72", nil, 1, 71, true),
        ("1 y: SBP 72", nil, 1, 72, false),
        ("6 y: SBP 81 < 82", nil, 6, 81, true),
        ("6 y: SBP 82", nil, 6, 82, false),
        ("10 y: SBP 89 < 90", nil, 10, 89, true),
        ("10 y: SBP 90", nil, 10, 90, false),
        ("11 y: SBP 89 < 90", nil, 11, 89, true),
        ("11 y: SBP 90", nil, 11, 90, false),
        ("17 y: SBP 89", nil, 17, 89, true),
        ("17 y: SBP 90", nil, 17, 90, false),
    ]

    @Test("Paediatric hypotension by age band (PALS), both sides of each edge", arguments: ageBands)
    func hypotensionAgeBands(_ label: String, days: Int?, years: Int, sbp: Double, hypotensive: Bool) {
        let now = CourseBuilder.at(1)
        let birth = days.map { birthDate(daysBefore: $0, now) } ?? birthDate(yearsBefore: years, plusDays: 100, now)
        var course = CourseBuilder()
        course.patient(birthDate: birth, weightKg: 10)
        course.vitals(at: 1, temp: 38.5, sbp: sbp, oxygen: .roomAir)
        let result = course.grade(at: 1)
        #expect(result.crs.grade == (hypotensive ? 2 : 1), "\(label)")
        #expect(result.crs.codes.contains(hypotensive ? .hypotension : .normotension), "\(label)")
    }

    @Test("Birthday edge: the day before the first birthday the threshold is 70, on it 72")
    func firstBirthdayEdge() {
        let now = CourseBuilder.at(1)
        for (plusDays, years, expected) in [(-1, 1, 1), (0, 1, 2)] {
            // plusDays −1: born one day less than a year ago (still 11 months); 0: exactly 1 year.
            let birth = birthDate(yearsBefore: years, plusDays: plusDays, now)
            var course = CourseBuilder()
            course.patient(birthDate: birth, weightKg: 10)
            course.vitals(at: 1, temp: 38.5, sbp: 71, oxygen: .roomAir)
            #expect(course.grade(at: 1).crs.grade == expected, "plusDays \(plusDays)")
        }
    }

    @Test("Adult MAP: 64 is hypotension from 18 y (policy), 65 is not; MAP is not used at 17 y")
    func adultMAP() {
        for (age, map, expected) in [(18.0, 64.0, 2), (18.0, 65.0, 1), (17.0, 60.0, 1)] {
            var course = CourseBuilder()
            course.patient(ageYears: age, weightKg: 70)
            course.vitals(at: 1, temp: 38.5, sbp: 100, map: map, oxygen: .roomAir)
            let result = course.grade(at: 1)
            #expect(result.crs.grade == expected, "age \(age), MAP \(map)")
            if expected == 2 {
                #expect(result.crs.reasons.first { $0.code == .hypotensionMAP }?.source == .policy)
            }
        }
    }

    @Test(
        "ICE: 10 → 0, 9 → 1, 7 → 1, 6 → 2, 3 → 2, 2 → 3, 0 → 3",
        arguments: [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (0, 3)])
    func iceThresholds(_ score: Int, expected: Int) {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.neuro(at: 1, ice: score, consciousness: .awake)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == expected)
        #expect(result.icans.reasons.first { $0.code == .iceScore }?.grade == expected)
    }

    @Test("CAPD: 0 → 0, 1 → 1, 8 → 1, 9 → 3, 32 → 3", arguments: [(0, 0), (1, 1), (8, 1), (9, 3), (32, 3)])
    func capdThresholds(_ score: Int, expected: Int) {
        var course = CourseBuilder()
        course.patient(ageYears: 7, weightKg: 20)
        course.neuro(at: 1, capd: score, consciousness: .awake)
        let result = course.grade(at: 1)
        #expect(result.icans.grade == expected)
        #expect(!result.icans.has(.instrumentAgeMismatch))
    }

    @Test(
        "Age-12 switch: the day before the 12th birthday ICE is out of age; 12 y 0 d flags the boundary; 12 y 1 d does not"
    )
    func age12Switch() {
        let now = CourseBuilder.at(1)
        let cases: [(years: Int, plusDays: Int, iceMismatch: Bool, boundary: Bool)] = [
            (12, -1, true, false), (12, 0, false, true), (12, 1, false, false),
        ]
        for c in cases {
            var course = CourseBuilder()
            course.patient(birthDate: birthDate(yearsBefore: c.years, plusDays: c.plusDays, now), weightKg: 40)
            course.neuro(at: 1, ice: 9, consciousness: .awake)
            let result = course.grade(at: 1)
            #expect(result.icans.has(.instrumentAgeMismatch) == c.iceMismatch, "\(c)")
            #expect(result.icans.has(.age12Boundary) == c.boundary, "\(c)")
            #expect(result.icans.grade == 1, "ICE is graded with its own table: \(c)")
        }
    }

    @Test(
        "Vitals freshness: a temperature 4 h old is current, 4 h + 1 s is stale",
        arguments: [(4.0, 1, false), (4.0 + 1 / 3600.0, nil, true)] as [(Double, Int?, Bool)])
    func vitalsFreshness(_ age: Double, expected: Int?, stale: Bool) {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        let result = course.grade(at: 1 + age)
        #expect(result.crs.grade == expected)
        #expect(result.hasAlert(.staleVitals) == stale)
        #expect(result.crs.has(.incompleteData) == stale)
    }

    @Test("Neuro freshness: 12 h old is current, 12 h + 1 s is stale")
    func neuroFreshness() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.neuro(at: 1, ice: 5, consciousness: .awake)
        #expect(course.grade(at: 13).icans.grade == 2)
        let stale = course.grade(at: 13 + 1 / 3600.0)
        #expect(stale.icans.grade == nil)  // §A13.12: stale is never normal
        #expect(stale.hasAlert(.staleNeuro))
        #expect(stale.icans.has(.incompleteData))
    }

    @Test("Episode close: 24 h after resolution the CRS episode closes (grade 1 indeterminate → 0)")
    func episodeCloseWindow() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        course.med(at: 2, .acetaminophen, doseMg: 1000, route: .po)
        for h in stride(from: 3.0, through: 40, by: 3) { course.vitals(at: h, temp: 37, sbp: 120, oxygen: .roomAir) }
        let timeline = course.timeline()
        let justBefore = ToxicityEngine().grade(timeline, at: CourseBuilder.at(27 - 1 / 3600.0))
        #expect(justBefore.crs.grade == 1)
        #expect(justBefore.crs.has(.indeterminateFeverMasked))
        let atClose = ToxicityEngine().grade(timeline, at: CourseBuilder.at(27))
        #expect(atClose.crs.grade == 0)
        #expect(atClose.crs.episode?.closedAt == CourseBuilder.at(27))
        var policy = GradingPolicy()
        policy.episodeCloseWindow = 72 * 3600
        #expect(course.grade(at: 27, policy: policy).crs.grade == 1)
    }

    @Test("Corticosteroid active: 24 h after the dose yes, 24 h + 1 s no")
    func corticosteroidWindow() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.med(at: 1, .methylprednisolone, doseMg: 80)
        let timeline = course.timeline()
        #expect(timeline.isCorticosteroidActive(at: CourseBuilder.at(25)))
        #expect(!timeline.isCorticosteroidActive(at: CourseBuilder.at(25 + 1 / 3600.0)))
        #expect(!timeline.isCorticosteroidActive(at: CourseBuilder.at(0.5)))
    }

    @Test("IEC-HS ferritin: 600 is not > 2 × ULN 300, 601 is")
    func ferritinTwiceULN() {
        for (ferritin, met) in [(600.0, false), (601.0, true)] {
            let result = TC28Variant.result(ferritin: ferritin)
            #expect(result.iecHs.codes.contains(.ferritinAbove2xULN) == met, "\(ferritin)")
            #expect(result.iecHs.present == met, "\(ferritin)")
        }
    }

    @Test("IEC-HS fibrinogen: 149 is < 150, 150 is not; ALT 200 is not > 5 × 40, 201 is")
    func fibrinogenAndTransaminases() {
        let low = TC28Variant.result(ferritin: 5000, fibrinogen: 149, alt: 200)
        #expect(low.iecHs.codes.contains(.hypofibrinogenemia))
        #expect(!low.iecHs.codes.contains(.transaminasesAbove5xULN))
        let high = TC28Variant.result(ferritin: 5000, fibrinogen: 150, alt: 201)
        #expect(!high.iecHs.codes.contains(.hypofibrinogenemia))
        #expect(high.iecHs.codes.contains(.transaminasesAbove5xULN))
    }

    @Test("CARTOX ferritin: 10,000 is not > 10,000, 10,001 is")
    func cartoxFerritin() {
        var policy = GradingPolicy()
        policy.iecHsCriteria = .cartox2018
        for (ferritin, met) in [(10_000.0, false), (10_001.0, true)] {
            var course = WorkedCaseGradingTests.tc27()
            course.lab(at: day(4, 7), .ferritin, ferritin, uln: 300)
            var filtered = CourseBuilder()
            filtered.events = course.events.filter {
                if case .lab(let l) = $0, l.test == .ferritin, l.value == 25_000 { return false }
                return true
            }
            let result = filtered.grade(at: day(4, 7), policy: policy)
            #expect(result.iecHs.present == met, "\(ferritin)")
        }
    }
}

/// TC28 with adjustable laboratory values (late IEC-HS after resolved CRS).
enum TC28Variant {
    static func result(ferritin: Double, fibrinogen: Double = 90, alt: Double = 300) -> GradingResult {
        var course = CourseBuilder()
        course.patient(at: day(0, 0), ageYears: 16, weightKg: 30, infusedAtHours: day(0, 6))
        course.vitals(at: day(2, 6), temp: 39.2, sbp: 100, oxygen: .roomAir)
        course.vitals(at: day(5, 6), temp: 37.0, sbp: 110, oxygen: .roomAir)
        course.lab(at: day(14, 6), .ferritin, ferritin, uln: 300)
        course.lab(at: day(14, 6), .fibrinogen, fibrinogen)
        course.lab(at: day(14, 6), .alt, alt, uln: 40)
        return course.grade(at: day(14, 6))
    }
}

@Suite("Decisive criteria")
struct DecisiveReasonTests {
    @Test("CRS 1 is set by the fever alone; normotension and room air support it without a grade")
    func crsGradeOneIsFever() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 38.4, sbp: 120, oxygen: .roomAir)
        let crs = course.grade(at: 1).crs
        #expect(crs.grade == 1)
        #expect(crs.decisiveCodes == [.fever])
        #expect(crs.codes.contains(.normotension))
        #expect(crs.codes.contains(.roomAir))
    }

    @Test("Every decisive reason's grade equals the assessment grade")
    func decisiveMatchesGrade() {
        let result = WorkedCaseGradingTests.tc01().grade(at: day(4, 22))
        for assessment in [result.crs, result.icans] {
            let decisive = assessment.reasons.filter(\.decisive)
            #expect(!decisive.isEmpty)
            #expect(decisive.allSatisfy { $0.grade == assessment.grade })
        }
    }
}
