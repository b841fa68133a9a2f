import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Building blocks of the recommendation rules: the inventory snapshot, documented grades over a
/// course, and the engine contract without a protocol.
@Suite struct RecommendationBuildingBlockTests {
    func stock(
        _ id: String,
        at hours: Double,
        site: String,
        _ drug: Drug,
        _ status: StockStatus
    ) -> InventoryEvent {
        InventoryEvent(eventId: id, occurredAt: CourseBuilder.at(hours), site: site, drug: drug, status: status)
    }

    @Test func inventoryKeepsTheLatestEventPerSiteAndDrug() {
        let snapshot = InventorySnapshot([
            stock("a", at: 2, site: "cnh", .tocilizumab, .shortage),
            stock("b", at: 1, site: "cnh", .tocilizumab, .available),  // older, listed later
            stock("c", at: 3, site: "cnh", .anakinra, .low),
            stock("d", at: 3, site: "cnh", .anakinra, .unavailable),  // same instant: the later wins
            stock("e", at: 0, site: "other", .tocilizumab, .unavailable),
            stock("f", at: 0, site: "other", .other("bevacizumab"), .unavailable),
        ])
        #expect(snapshot.entry(.tocilizumab, site: "cnh")?.status == .shortage)
        #expect(snapshot.entry(.anakinra, site: "cnh")?.eventId == "d")
        #expect(snapshot.entry(.siltuximab, site: "cnh") == nil)
        #expect(snapshot.entry(.tocilizumab, site: "nowhere") == nil)
        // A patient without a site sees the worst status of any site.
        #expect(snapshot.entry(.tocilizumab, site: nil)?.site == "other")
        #expect(snapshot.entries.count == 3)
        #expect(InventorySnapshot.empty.entry(.tocilizumab, site: nil) == nil)
    }

    @Test func documentedGradesCarryForwardOverMissingData() {
        var c = CourseBuilder()
        c.patient(ageYears: 14, weightKg: 45)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)  // CRS 2 (14 y: SBP < 90)
        c.vitals(at: 10, temp: 39.0, sbp: 110, oxygen: .roomAir)  // CRS 1; stale from 14 h
        c.vitals(at: 30, temp: 37.0, sbp: 110, oxygen: .roomAir)
        let timeline = c.timeline()
        let course = timeline.crsCourse
        func t(_ h: Double) -> Double { CourseBuilder.at(h).timeIntervalSinceReferenceDate }
        #expect(course.documentedGrade(at: t(5)) == 2)
        #expect(course.documentedGrade(at: t(20)) == 1)  // stale since 14 h: the last documented grade
        #expect(course.grade(at: CourseBuilder.at(20)) <= 1)
        let range = course.documentedRange(from: t(2), through: t(29))
        #expect(range?.atStart == 2 && range?.maximum == 2 && range?.minimum == 1)
        #expect(course.documentedRange(from: t(-10), through: t(-5)) == nil)  // nothing documented yet
        #expect(course.lastDocumentedDrop(toAtMost: 1, atOrBefore: t(20)) == t(10))
    }

    @Test func withoutAProtocolAssessmentIsNoneWithProtocolRequired() throws {
        var c = CourseBuilder()
        c.patient(ageYears: 14, weightKg: 45)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        let a = ToxicityEngine().assess(c.timeline(), at: CourseBuilder.at(0), protocol: nil)
        #expect(a.action == .none)
        #expect(a.grades.crs.grade == 2)
        let report = Explainer(a).report
        #expect(report.alerts.contains { $0.code == .protocolRequired })
        #expect(report.recommendation?.body.reasons.map(\.code) == [.protocolRequired])
        #expect(report.alternatives.isEmpty)
    }

    @Test func fixtureProtocolStartsWhenRefractory() throws {
        let p = try ProtocolFixture.perDoseCapped()
        var c = CourseBuilder()
        c.patient(ageYears: 14, weightKg: 45)
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        c.med(at: 1, .tocilizumab, doseMg: 360)
        c.med(at: 2, .dexamethasone, doseMg: 10)
        c.vitals(at: 26, temp: 38.5, sbp: 80, oxygen: .roomAir)
        let a = ToxicityEngine().assess(c.timeline(), at: CourseBuilder.at(26), protocol: p)
        #expect(a.action == .start)
        let recommendation = Explainer(a).recommendation
        #expect(recommendation.dose?.mg == 90 && recommendation.dose?.frequency == .q6h)
        #expect(recommendation.protocolId == "test-protocol")
    }
}
