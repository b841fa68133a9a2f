import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// When an instant is evaluated: once the grace has passed since its last record arrived (issue
/// 12, "every instant, once").
@Suite("Evaluation gate")
struct EvaluationGateTests {
    static let now = ReplayHarness.now

    static func processor(grace: Duration) -> PartitionProcessor {
        PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600), evaluationGrace: grace)
    }

    static func grades(_ outcome: BatchOutcome) -> [String] {
        outcome.outputs.filter { $0.kind == .toxicityGrades }.map(\.id)
    }

    static func instant(_ hours: Double) -> String {
        String(OutputID.milliseconds(PartitionProcessorTests.at(hours: hours)))
    }

    @Test("an instant waits for its grace; its later records join it; a punctuation after the grace evaluates it once")
    func graceWaits() throws {
        var processor = Self.processor(grace: .seconds(2))
        let first = processor.process(
            [
                try PartitionProcessorTests.message(PartitionProcessorTests.admission("P1"), offset: 0),
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 1),
            ], inventory: .empty, now: Self.now)
        #expect(first.outputs.isEmpty, "no topic passed the instants yet, and no grace has passed")
        #expect(first.changelog.count == 1, "the events are durable though")
        // Within the grace nothing is evaluated, at its end both instants are, in order.
        #expect(
            processor.punctuate(
                at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(1.9), inventory: .empty
            ).outputs.isEmpty)
        let due = processor.punctuate(
            at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(2), inventory: .empty)
        #expect(Self.grades(due).map { String($0.split(separator: "/")[2]) } == [Self.instant(-1), Self.instant(20)])
        #expect(due.changelog.count == 1)
        #expect(
            processor.punctuate(
                at: PartitionProcessorTests.at(hours: 21), now: Self.now.addingTimeInterval(60), inventory: .empty
            ).outputs.isEmpty)
    }

    @Test("the partition task is woken when the earliest grace ends, and then evaluates what is ready")
    func wakesAtTheEarliestDeadline() throws {
        var processor = Self.processor(grace: .seconds(2))
        #expect(processor.nextReadyAt(after: Self.now) == nil)
        _ = processor.process(
            [try PartitionProcessorTests.message(PartitionProcessorTests.admission("P1"), offset: 0)],
            inventory: .empty, now: Self.now)
        _ = processor.process(
            [
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P2", "v1", hours: 20, temperature: 38.4), offset: 1)
            ], inventory: .empty, now: Self.now.addingTimeInterval(0.7))
        #expect(processor.nextReadyAt(after: Self.now.addingTimeInterval(0.7)) == Self.now.addingTimeInterval(2))
        #expect(processor.evaluateReady(inventory: .empty, now: Self.now.addingTimeInterval(1.99)).outputs.isEmpty)
        let first = processor.evaluateReady(inventory: .empty, now: Self.now.addingTimeInterval(2))
        #expect(Self.grades(first) == ["toxicity-grades/P1/\(Self.instant(-1))"])
        #expect(
            processor.nextReadyAt(after: Self.now.addingTimeInterval(2)) == Self.now.addingTimeInterval(2.7),
            "P2's instant is next")
        let second = processor.evaluateReady(inventory: .empty, now: Self.now.addingTimeInterval(2.7))
        #expect(Self.grades(second) == ["toxicity-grades/P2/\(Self.instant(20))"])
        #expect(processor.nextReadyAt(after: Self.now.addingTimeInterval(2.7)) == nil, "nothing waits")
    }

    @Test("the punctuation loop sleeps until a wake that falls before its next look, never less than a millisecond")
    func sleepsUntilTheRequestedWake() {
        let now = Self.now
        #expect(WorkerPipeline.untilNextLook(requestedWake: nil, now: now) == .milliseconds(50))
        #expect(WorkerPipeline.untilNextLook(requestedWake: now.addingTimeInterval(2), now: now) == .milliseconds(50))
        #expect(
            WorkerPipeline.untilNextLook(requestedWake: now.addingTimeInterval(0.05), now: now) == .milliseconds(50))
        #expect(
            WorkerPipeline.untilNextLook(requestedWake: now.addingTimeInterval(0.0123), now: now) == .milliseconds(13))
        #expect(WorkerPipeline.untilNextLook(requestedWake: now, now: now) == .milliseconds(1), "due now")
        #expect(WorkerPipeline.untilNextLook(requestedWake: now.addingTimeInterval(-5), now: now) == .milliseconds(1))
        #expect(WorkerPipeline.untilNextLook(requestedWake: .distantFuture, now: now) == .milliseconds(50))
    }

    @Test("an instant whose grace ended but waits for an earlier one wakes the task at the earlier one's deadline")
    func wakesForTheBlockingInstant() throws {
        var processor = Self.processor(grace: .seconds(2))
        // P1's 21 h reading (fever and oxygen) arrives first, its 20 h reading (fever only, earlier in
        // event time) a second later.
        _ = processor.process(
            [
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v2", hours: 21, temperature: 39.0, flow: 3), offset: 0)
            ], inventory: .empty, now: Self.now)
        _ = processor.process(
            [
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 1)
            ], inventory: .empty, now: Self.now.addingTimeInterval(1))
        let blocked = processor.evaluateReady(inventory: .empty, now: Self.now.addingTimeInterval(2))
        #expect(blocked.outputs.isEmpty, "21 h is past its grace but 20 h is not")
        #expect(processor.nextReadyAt(after: Self.now.addingTimeInterval(2)) == Self.now.addingTimeInterval(3))
        let both = processor.evaluateReady(inventory: .empty, now: Self.now.addingTimeInterval(3))
        #expect(
            Self.grades(both) == ["toxicity-grades/P1/\(Self.instant(20))", "toxicity-grades/P1/\(Self.instant(21))"])
    }

    @Test(
        "other patients' later records on every topic do not make an instant ready: its own records may still come"
    )
    func otherPatientsDoNotDecide() throws {
        var processor = Self.processor(grace: .seconds(2))
        let at = PartitionProcessorTests.at(hours: 20)
        // Another patient's records on all five topics, later than 20 h, read first (a live
        // patient beside a course produced at once).
        let later = at.addingTimeInterval(60)
        let other: [ClinicalEvent] = [
            .patient(
                PatientEvent(
                    eventId: "P2-adm", patientId: "P2", occurredAt: later, ageYears: 30, weightKg: 70, allergies: [])),
            .vitals(VitalsEvent(eventId: "P2-v", patientId: "P2", occurredAt: later, temperatureC: 37)),
            .neuro(NeuroEvent(eventId: "P2-n", patientId: "P2", occurredAt: later, iceScore: 10)),
            .lab(LabEvent(eventId: "P2-l", patientId: "P2", occurredAt: later, test: .ferritin, value: 500)),
            .medication(
                MedicationEvent(
                    eventId: "P2-m", patientId: "P2", occurredAt: later, drug: .dexamethasone, action: .administered,
                    doseMg: 10, route: .iv)),
        ]
        _ = processor.process(
            try other.enumerated().map { try PartitionProcessorTests.message($0.element, offset: Int64($0.offset)) },
            inventory: .empty, now: Self.now)
        let vitals = processor.process(
            [
                try PartitionProcessorTests.message(PartitionProcessorTests.admission("P1"), offset: 5),
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 6),
            ], inventory: .empty, now: Self.now.addingTimeInterval(0.5))
        #expect(
            Self.grades(vitals).allSatisfy { !$0.contains("/P1/") },
            "every topic is past 20 h, but P1's hypotension is on its way")
        // The same instant's low blood pressure, on the vitals topic a moment later.
        let pressure = VitalsEvent(
            eventId: "P1-v2", patientId: "P1", occurredAt: at, temperatureC: 38.4, systolicBP: 70)
        _ = processor.process(
            [try PartitionProcessorTests.message(.vitals(pressure), offset: 7)], inventory: .empty,
            now: Self.now.addingTimeInterval(1))
        let due = processor.punctuate(at: later, now: Self.now.addingTimeInterval(3), inventory: .empty)
        let p1 = Self.grades(due).filter { $0.contains("/P1/") }
        #expect(
            p1 == ["toxicity-grades/P1/\(Self.instant(-1))", "toxicity-grades/P1/\(Self.instant(20))"],
            "one record for the instant, no revision")
        let body = try PartitionProcessorTests.json(try #require(due.outputs.first { $0.id == p1.last }))
        #expect((body["crs"] as? [String: Any])?["grade"] as? Int == 2, "fever with hypotension, evaluated together")
    }

    @Test(
        "an event at an instant already evaluated (the grace ran out before it) re-evaluates it under the next revision"
    )
    func lateRecordTakesARevision() throws {
        var processor = Self.processor(grace: .seconds(2))
        _ = processor.process(
            [
                try PartitionProcessorTests.message(PartitionProcessorTests.admission("P1"), offset: 0),
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 1),
            ], inventory: .empty, now: Self.now)
        let evaluated = processor.punctuate(
            at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(5), inventory: .empty)
        #expect(Self.grades(evaluated).last == "toxicity-grades/P1/\(Self.instant(20))")
        // A second reading at 20 h, arriving after the grace: hypotension changes the grade.
        let late = VitalsEvent(
            eventId: "P1-v2", patientId: "P1", occurredAt: PartitionProcessorTests.at(hours: 20), temperatureC: 38.4,
            systolicBP: 70)
        let outcome = processor.process(
            [try PartitionProcessorTests.message(.vitals(late), offset: 2)], inventory: .empty,
            now: Self.now.addingTimeInterval(6))
        #expect(Self.grades(outcome) == ["toxicity-grades/P1/\(Self.instant(20))/r1"])
    }

    @Test("pending instants survive a crash: the restored owner evaluates them as the first would have")
    func pendingSurvivesRestore() throws {
        var processor = Self.processor(grace: .seconds(2))
        let batch = processor.process(
            [
                try PartitionProcessorTests.message(PartitionProcessorTests.admission("P1"), offset: 0),
                try PartitionProcessorTests.message(
                    PartitionProcessorTests.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 1),
            ], inventory: .empty, now: Self.now)
        var restored = Self.processor(grace: .seconds(2))
        for record in batch.changelog {
            _ = try restored.restore(key: record.key, value: record.value, headers: record.headers)
        }
        let reference = processor.punctuate(
            at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(2), inventory: .empty)
        // The restored owner never saw the records arrive: their grace starts when it first looks.
        #expect(
            restored.punctuate(
                at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(2), inventory: .empty
            ).outputs.isEmpty)
        let after = restored.punctuate(
            at: PartitionProcessorTests.at(hours: 20), now: Self.now.addingTimeInterval(4), inventory: .empty)
        #expect(after.outputs.map(\.id) == reference.outputs.map(\.id))
        #expect(after.outputs.map(\.value) == reference.outputs.map(\.value))
    }
}
