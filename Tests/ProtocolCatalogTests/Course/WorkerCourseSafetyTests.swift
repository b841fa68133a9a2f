import Foundation
import Testing
import ToxTestSupport
import ToxWorker

@testable import ProtocolCatalog
@testable import ToxicityRules

/// The course invariants (``CourseInvariants``) through the worker's evaluator (``PatientEvaluator``,
/// the path `toxd` takes): a sample of the random courses of ``CourseSafetyPropertyTests``, each
/// evaluated twice 6 h apart from a ``PatientState``, the first recommendation recorded as
/// `PartitionProcessor` records it (when its action or dose changed) and its dose given.
@Suite struct WorkerCourseSafetyTests {
    static let sample = 500

    @Test("random courses through the worker's evaluator keep the course invariants")
    func workerEvaluatorKeepsTheCourseInvariants() throws {
        let catalog = try Shipped.catalog.get()
        let ids = RecommendationPropertyTests.ids
        var evaluators: [String: PatientEvaluator] = [:]
        for seed in 0..<Self.sample {
            var rng = SplitMix64(seed &* 7919)
            let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
            let p = try #require(catalog[id])
            let random = RecommendationPropertyTests.randomCourse(seed: seed)
            guard let weight = random.course.weightKg, weight <= 350 else { continue }
            let evaluator = evaluators[id] ?? PatientEvaluator(protocols: catalog.protocols, defaultProtocol: id)
            evaluators[id] = evaluator
            var state = PatientState(patientId: random.course.patientId)
            for event in random.course.events { state.insert(event) }
            let inventory = InventorySnapshot(random.course.inventory)
            var turns: [CourseTurn] = []
            var doses = 0
            for t in [random.at, random.at + 6] {
                let instant = CourseBuilder.at(t)
                let evaluation = evaluator.evaluate(state, at: instant, inventory: inventory)
                let recommendation = try #require(evaluation.recommendation, "seed \(seed) \(id)")
                if evaluation.summary.recommendation != state.published.recommendation {
                    state.recommendations.append(recommendation.prior(id: "r\(seed)-\(t)", issuedAt: instant))
                    state.published.recommendation = evaluation.summary.recommendation
                }
                var turn = CourseTurn(at: t, body: recommendation.body, givenMg: nil)
                if recommendation.action.dosesAnakinra, let dose = recommendation.body.dose,
                    let mg = SimulatedPharmacy.mgToGive(dose),
                    recommendation.nextDoseDueAt.map({ $0 <= instant }) ?? true
                {
                    doses += 1
                    state.insert(
                        .medication(
                            MedicationEvent(
                                eventId: "worker-dose-\(doses)",
                                patientId: random.course.patientId,
                                occurredAt: instant,
                                drug: .anakinra,
                                action: .administered,
                                doseMg: Double(mg),
                                route: dose.route
                            )
                        )
                    )
                    turn.givenMg = mg
                }
                turns.append(turn)
            }
            CourseInvariants.check(p, weightKg: weight, turns: turns, label: "worker seed \(seed) \(id)")
        }
    }
}

extension CourseBuilder {
    /// The weight of the course's patient event.
    var weightKg: Double? {
        events.lazy.compactMap { event -> Double? in
            if case .patient(let patient) = event { return patient.weightKg }
            return nil
        }.first
    }
}
