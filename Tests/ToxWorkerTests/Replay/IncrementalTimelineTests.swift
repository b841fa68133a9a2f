import Foundation
import ProtocolCatalog
import Testing
import ToxTestSupport
import ToxicityRules

@testable import ToxWorker

/// A timeline extended event by event (``PatientTimeline/adding(_:)``: the index extended and the
/// grade courses built on from their resume points, or everything rebuilt for a late or patient
/// event) must be the timeline built from all of its events at once.
@Suite("Incremental timeline")
struct IncrementalTimelineTests {
    /// The course in arrival order: mostly event time, but some events arrive a few events late,
    /// some are sent twice, and a weight update (a patient event) arrives in the course.
    static func arrivals(_ events: [ClinicalEvent], using rng: inout SplitMix64) -> [ClinicalEvent] {
        var arrivals: [ClinicalEvent] = []
        var held: [(event: ClinicalEvent, releaseAfter: Int)] = []
        for (k, event) in events.enumerated() {
            if k > 0, Double.random(in: 0..<1, using: &rng) < 0.1 {
                held.append((event, k + Int.random(in: 1...4, using: &rng)))
            } else {
                arrivals.append(event)
            }
            if Double.random(in: 0..<1, using: &rng) < 0.05, let earlier = arrivals.randomElement(using: &rng) {
                arrivals.append(earlier)
            }
            if k == events.count / 2, case .patient(var admission) = events[0] {
                admission.eventId += "-weight"
                admission.occurredAt = event.occurredAt
                admission.weightKg = (admission.weightKg ?? 60) + 2
                arrivals.append(.patient(admission))
            }
            arrivals += held.filter { $0.releaseAfter <= k }.map(\.event)
            held.removeAll { $0.releaseAfter <= k }
        }
        return arrivals + held.map(\.event)
    }

    /// The decisions and the whole explained report of `timeline` at `instant`.
    static func assessed(_ timeline: PatientTimeline, at instant: Date, rules: PreparedProtocol?)
        -> (Assessment, AssessmentReport)
    {
        let assessment = ToxicityEngine().assess(timeline, at: instant, prepared: rules)
        return (assessment, Explainer(assessment).report)
    }

    static func expectSameCourses(_ actual: PatientTimeline, _ expected: PatientTimeline, after step: Int) {
        #expect(actual.events == expected.events, "events after arrival \(step)")
        for (a, e) in [
            (actual.crsCourse, expected.crsCourse), (actual.icansCourse, expected.icansCourse),
            (actual.iecHsCourse, expected.iecHsCourse),
        ] {
            #expect(a.points == e.points, "grade points after arrival \(step)")
            #expect(a.allEpisodes == e.allEpisodes, "episodes after arrival \(step)")
        }
    }

    @Test(
        "a timeline extended one arrival at a time equals the one built from every arrival, late and resent events included",
        arguments: 0..<4)
    func extendedEqualsBuilt(seed: UInt64) throws {
        var rng = SplitMix64(state: 14_200 + seed)
        let events = RandomCourses.events(patientId: "P", severe: seed % 2 == 0, using: &rng)
        let arrivals = Self.arrivals(events, using: &rng)
        guard case .patient(let admission) = events[0], let id = admission.protocolId else {
            Issue.record("the course starts with an admission naming a protocol")
            return
        }
        let rules = try AnakinraProtocolCatalog.load()[id].map(PreparedProtocol.init)
        let policy = ToxicityEngine().policy(for: rules)
        var extended = PatientTimeline(events: [], policy: policy)
        var received: [ClinicalEvent] = []
        var decisionInstants: Set<Date> = []
        for (step, event) in arrivals.enumerated() {
            extended = extended.adding([event])
            received.append(event)
            let built = PatientTimeline(events: received, policy: policy)
            Self.expectSameCourses(extended, built, after: step)
            let instant = event.occurredAt
            let (actual, actualReport) = Self.assessed(extended, at: instant, rules: rules)
            let (expected, expectedReport) = Self.assessed(built, at: instant, rules: rules)
            #expect(actual == expected, "decisions at arrival \(step)")
            #expect(actualReport == expectedReport, "report at arrival \(step)")
            if let due = expected.nextDecisionAt { decisionInstants.insert(due) }
        }
        let built = PatientTimeline(events: arrivals, policy: policy)
        var compared = 0
        for instant in Set(events.map(\.occurredAt)).union(decisionInstants).sorted() {
            let (actual, actualReport) = Self.assessed(extended, at: instant, rules: rules)
            let (expected, expectedReport) = Self.assessed(built, at: instant, rules: rules)
            #expect(actual == expected, "decisions at \(instant)")
            #expect(actualReport == expectedReport, "report at \(instant)")
            compared += 1
        }
        #expect(compared > 60)
        #expect(arrivals.count > events.count)
    }

    @Test("the worker's patient state extends the timeline it holds by an event in order, and drops it for a late one")
    func stateKeepsItsTimeline() throws {
        var rng = SplitMix64(state: 14_300)
        let events = RandomCourses.events(patientId: "P", severe: true, using: &rng)
        let evaluator = try ReplayHarness.catalogEvaluator()
        let latest = try #require(events.last)
        let late = try #require(events.last { $0.occurredAt < latest.occurredAt })
        var state = PatientState(patientId: "P")
        for event in events where event.eventId != latest.eventId && event.eventId != late.eventId {
            state.insert(event)
        }
        var course: PatientTimeline?
        _ = evaluator.evaluate(state, at: state.latestEventAt!, inventory: .empty, course: &course)
        state.timeline = course
        let held = try #require(state.timeline)
        state.insert(latest)
        let extended = try #require(state.timeline, "an event in event-time order extends the timeline")
        #expect(extended.events == state.events)
        #expect(extended.events.count == held.events.count + 1)
        Self.expectSameCourses(extended, PatientTimeline(events: state.events, policy: held.policy), after: 0)
        state.insert(late)
        #expect(state.timeline == nil, "a late event drops it: the next evaluation builds it from the events")
    }

    @Test("a partition holds the timelines of its most recently evaluated patients only")
    func heldTimelinesAreBounded() throws {
        var processor = PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600))
        let count = PartitionProcessor.maxHeldTimelines + 2
        for index in 0..<count {
            let patient = "P\(index)"
            _ = processor.process(
                [
                    try PartitionProcessorTests.message(
                        PartitionProcessorTests.admission(patient), offset: Int64(2 * index)),
                    try PartitionProcessorTests.message(
                        PartitionProcessorTests.vitals(patient, "v", hours: 2, temperature: 37),
                        offset: Int64(2 * index + 1)),
                ], inventory: .empty, now: ReplayHarness.now)
        }
        let holding = processor.patients.values.filter { $0.timeline != nil }.map(\.patientId)
        #expect(holding.count == PartitionProcessor.maxHeldTimelines)
        #expect(!holding.contains("P0") && !holding.contains("P1"), "the least recently evaluated went first")
        #expect(holding.contains("P\(count - 1)"))
    }
}
