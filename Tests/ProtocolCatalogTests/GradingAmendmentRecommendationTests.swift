import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// Clinical-spec §A13 grading amendments seen through a protocol's recommendation.
@Suite struct GradingAmendmentRecommendationTests {
    /// §A13.5 reproducer: routine grade-2 CRS (13 y, 40 kg: 39 °C, SBP 80) resolving after one
    /// tocilizumab dose; at 12 h ferritin 3 × ULN, ANC 0.4 and platelets 55, both higher than before
    /// infusion (ANC 0.2, platelets 30).
    static func resolvingCRSWithImprovedCounts() -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 13, weightKg: 40)
        c.lab(at: -100, .anc, 0.2)
        c.lab(at: -100, .platelets, 30)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.med(at: 2, .tocilizumab, doseMg: 320)
        c.vitals(at: 12, temp: 37.0, sbp: 110, oxygen: .roomAir)
        c.neuro(at: 12, ice: 10)
        c.lab(at: 12, .ferritin, 900, uln: 300)
        c.lab(at: 12, .anc, 0.4)
        c.lab(at: 12, .platelets, 55)
        return c
    }

    @Test("§A13.5: St. Jude does not start anakinra for counts that improved since before infusion")
    func stJudeDoesNotStartForImprovedCounts() throws {
        let a = try Self.resolvingCRSWithImprovedCounts().assess(at: 12, "st-jude")
        #expect(a.grades.crs.maxGrade == 2)
        #expect(!a.grades.iecHs.present)
        #expect(a.action != .start)
        #expect(a.dose == nil)
    }

    @Test("§A13.12: vitals 5 h old after SBP 80 and 39 °C: CRS not graded, the rationale says what and why")
    func staleVitalsRationaleSaysWhatCannotBeGraded() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 30, weightKg: 70)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.neuro(at: 0, ice: 10)
        let a = try c.assess(at: 5, "childrens-national")
        #expect(a.grades.crs.grade == nil && a.grades.crs.maxGrade == 2)
        #expect(a.grading.crs.lastGraded == LastGraded(grade: 2, at: CourseBuilder.at(0)))
        let rationale = try #require(a.body?.rationale)
        #expect(!rationale.contains { $0.contains("no toxicity the protocol treats is present") })
        let sentence = try #require(rationale.first { $0.hasPrefix("CRS cannot be graded") })
        #expect(sentence.contains("4 h freshness window") && sentence.contains("last graded CRS 2"))
        #expect(sentence.contains("temperatureC, systolicBP"))
    }
}
