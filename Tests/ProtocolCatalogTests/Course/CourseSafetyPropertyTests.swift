import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// Property tests of the course invariants (issue 11, clinical-spec §A13) over ≥ 10,000 seeded
/// random courses: each random course (``RecommendationPropertyTests/randomCourse(seed:)``: random
/// vitals, neuro, labs, tocilizumab, corticosteroids, vasopressors, anakinra at random doses and
/// intervals) runs a short closed loop under a random protocol — two assessments 6 h apart, the
/// first recorded as the worker records it and its dose given — and every turn keeps
/// ``CourseInvariants`` (the start → none → start flips need longer loops: ``ClosedLoopCourseTests``).
@Suite struct CourseSafetyPropertyTests {
    static let courses = 10_000
    static let chunks = 20

    @Test("random courses keep the course invariants", arguments: 0..<chunks)
    func randomCoursesKeepTheCourseInvariants(chunk: Int) throws {
        let catalog = try Shipped.catalog.get()
        let ids = RecommendationPropertyTests.ids
        let perChunk = Self.courses / Self.chunks
        for seed in chunk * perChunk..<(chunk + 1) * perChunk {
            var rng = SplitMix64(seed &* 7919)
            let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
            let p = try #require(catalog[id])
            let random = RecommendationPropertyTests.randomCourse(seed: seed)
            guard let weight = random.course.weightKg, weight <= 350 else { continue }
            var loop = SimulatedPharmacy(random.course, protocolId: id)
            try loop.run(from: random.at, through: random.at + 6, every: 6, protocol: p)
            CourseInvariants.check(
                p, weightKg: weight, turns: loop.turns.map(\.courseTurn), label: "seed \(seed) \(id)")
        }
    }
}
