import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The worker builds one timeline per patient and batch and assesses every instant of the batch
/// from it. That is only right if an assessment at T reads nothing after T: a timeline holding
/// later events must answer exactly as one cut at T.
@Suite("Timeline prefix")
struct TimelinePrefixTests {
    /// The evaluation's outputs, and its next decision when it falls before `nextEvent`: a later
    /// event may add a candidate decision instant, but never one before itself, and the worker
    /// evaluates that event's instant before (so instead of) any decision due at or after it.
    static func encoded(_ evaluation: PatientEvaluator.Evaluation, nextEvent: Date?) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let parts = [
            try encoder.encode(evaluation.grades),
            try encoder.encode(evaluation.recommendation.map(AnakinraRecommendationWire.init)),
            try encoder.encode(evaluation.alternatives.wire),
        ]
        return parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
            + "\n\(evaluation.nextDecisionAt.flatMap { due in nextEvent.map { due < $0 } ?? true ? due : nil }.map(\.timeIntervalSinceReferenceDate) ?? -1)"
    }

    @Test(
        "at every event instant (and every decision it schedules), the whole course's timeline assesses as the course cut there",
        arguments: 0..<3)
    func wholeCourseAssessesAsCutCourse(seed: UInt64) throws {
        var rng = SplitMix64(state: 13000 + seed)
        let events = RandomCourses.events(patientId: "P", severe: seed != 2, using: &rng)
        let evaluator = try ReplayHarness.catalogEvaluator()
        var whole = PatientState(patientId: "P")
        for event in events { whole.insert(event) }
        var course: PatientTimeline?
        var instants = Set(events.map(\.occurredAt))
        for event in events {
            var cut = PatientState(patientId: "P")
            for earlier in events where earlier.occurredAt <= event.occurredAt { cut.insert(earlier) }
            if let due = evaluator.evaluate(cut, at: event.occurredAt, inventory: .empty).nextDecisionAt {
                instants.insert(due)
            }
        }
        var compared = 0
        for instant in instants.sorted() where instant <= whole.latestEventAt! {
            var cut = PatientState(patientId: "P")
            for event in events where event.occurredAt <= instant { cut.insert(event) }
            let nextEvent = events.first { $0.occurredAt > instant }?.occurredAt
            let expected = try Self.encoded(
                evaluator.evaluate(cut, at: instant, inventory: .empty), nextEvent: nextEvent)
            let actual = try Self.encoded(
                evaluator.evaluate(whole, at: instant, inventory: .empty, course: &course), nextEvent: nextEvent)
            #expect(actual == expected, "at \(instant)")
            compared += 1
        }
        #expect(compared > 40)
    }
}
