import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// One course, one story (issue 12): what the worker publishes for a patient depends on the
/// patient's events alone, never on how they were batched, redelivered or interrupted by a crash.
@Suite("Replay equivalence")
struct ReplayEquivalenceTests {
    /// Several patients of one partition (the first two go to CRS 4 with vasopressors and BiPAP),
    /// in arrival (event-time) order.
    static func courses(seed: UInt64) throws -> [KafkaMessage] {
        var rng = SplitMix64(state: 7000 + seed)
        let events = (0..<4).flatMap {
            RandomCourses.events(patientId: "P\($0)", severe: $0 < 2 ? true : nil, using: &rng)
        }
        return try RandomCourses.messages(events.sorted { $0.occurredAt < $1.occurredAt })
    }

    /// Per patient, the ids and bodies published, in order.
    static func published(_ harness: ReplayHarness) -> [String: [String]] {
        var streams: [String: [String]] = [:]
        for record in harness.log {
            streams[String(decoding: record.key, as: UTF8.self), default: []].append(
                record.id + " " + String(decoding: record.value, as: UTF8.self))
        }
        return streams
    }

    /// The single pass: each instant's records as one batch, punctuated after each.
    static func singlePass(_ records: [KafkaMessage], evaluator: PatientEvaluator) -> ReplayHarness {
        var harness = ReplayHarness(evaluator: evaluator)
        for batch in instants(records) { harness.apply(batch) }
        return harness
    }

    /// `records` cut between instants only.
    static func instants(_ records: [KafkaMessage]) -> [[KafkaMessage]] {
        var batches: [[KafkaMessage]] = []
        for record in records {
            if let last = batches.last?.last, RandomCourses.occurredAt(last) == RandomCourses.occurredAt(record) {
                batches[batches.count - 1].append(record)
            } else {
                batches.append([record])
            }
        }
        return batches
    }

    /// Feeds `batches` with already-handled records redelivered at random and a crash (outputs
    /// written, changelog not; a new owner restores from the changelog so far) at a random batch.
    static func disturbed(
        _ batches: [[KafkaMessage]], evaluator: PatientEvaluator, grace: Duration = .zero, using rng: inout SplitMix64
    ) throws -> ReplayHarness {
        var harness = ReplayHarness(evaluator: evaluator, grace: grace)
        let crashAt = Int.random(in: 0..<batches.count, using: &rng)
        var delivered: [KafkaMessage] = []
        var index = 0
        while index < batches.count {
            var batch = batches[index]
            if !delivered.isEmpty, Int.random(in: 0..<4, using: &rng) == 0 {
                // A redelivery: a run of records already handled arrives again before the batch.
                let start = Int.random(in: 0..<delivered.count, using: &rng)
                batch =
                    Array(delivered[start..<min(delivered.count, start + Int.random(in: 1...20, using: &rng))]) + batch
            }
            if index == crashAt {
                try harness.crash(during: batch)
                // The new owner reads again everything its restored checkpoint does not cover.
                let unhandled = harness.unhandled(delivered + batches[index])
                if !unhandled.isEmpty { harness.apply(unhandled) }
            } else {
                harness.apply(batch)
            }
            delivered += batches[index]
            index += 1
        }
        return harness
    }

    @Test(
        "random batch splits (between instants), redeliveries and a crash publish, per patient, the single pass's records",
        arguments: 0..<8)
    func splitsBetweenInstants(seed: UInt64) throws {
        let records = try Self.courses(seed: seed)
        let evaluator = try ReplayHarness.catalogEvaluator()
        let reference = Self.singlePass(records, evaluator: evaluator)
        var rng = SplitMix64(state: 9000 + seed)
        let batches = RandomCourses.split(records, maxSize: 60, atInstants: true, using: &rng)
        let run = try Self.disturbed(batches, evaluator: evaluator, using: &rng)
        #expect(run.collisions.isEmpty)
        let expected = Self.published(reference)
        let actual = Self.published(run)
        #expect(expected.values.map(\.count).reduce(0, +) > 40)
        for patient in expected.keys.sorted() {
            #expect(
                actual[patient] == expected[patient],
                "\(patient): \(actual[patient]?.count ?? 0) records, single pass \(expected[patient]?.count ?? 0)")
        }
    }

    @Test(
        "random batch splits anywhere (an instant's records apart), redeliveries and a crash: the grace holds each instant until it is whole",
        arguments: 0..<4)
    func splitsAnywhereWithGrace(seed: UInt64) throws {
        let records = try Self.courses(seed: seed)
        let evaluator = try ReplayHarness.catalogEvaluator()
        let reference = Self.singlePass(records, evaluator: evaluator)
        var rng = SplitMix64(state: 11000 + seed)
        let batches = RandomCourses.split(records, maxSize: 60, using: &rng)
        // The wall clock stands still while the batches arrive (no grace runs out: the labs topic
        // of these courses never passes an instant); then one punctuation after the grace.
        var run = try Self.disturbed(batches, evaluator: evaluator, grace: .seconds(3600), using: &rng)
        run.punctuate(at: try #require(run.processor.streamTime), now: ReplayHarness.now.addingTimeInterval(3600))
        #expect(run.collisions.isEmpty)
        let expected = Self.published(reference)
        let actual = Self.published(run)
        for patient in expected.keys.sorted() {
            #expect(
                actual[patient] == expected[patient],
                "\(patient): \(actual[patient]?.count ?? 0) records, single pass \(expected[patient]?.count ?? 0)")
        }
    }

    /// Issue 12, item 4: the demo course produced at once gave one grades record, the final state.
    @Test(
        "the demo course in one batch publishes its course, not its final state: the live run's grades and recommendations"
    )
    func demoCourseInOneBatch() throws {
        let hold = WorkerConfiguration.defaultShortageHold
        let live = try PublishedStateTests.demoOutputs(shortageHold: hold)
        let backlog = try PublishedStateTests.demoOutputs(shortageHold: hold, oneBatchFrom: .distantPast)
        func grades(_ records: [OutputRecord]) -> [String] {
            // Live, an instant's records arrive one per batch (grace 0): its last revision is its state.
            var latest: [Substring: String] = [:]
            for record in records where record.kind == .toxicityGrades {
                let body = PublishedStateTests.json(record)
                let grade = { (name: String) in
                    ((body[name] as? [String: Any])?["grade"] as? Int).map(String.init) ?? "null"
                }
                latest[PublishedStateTests.instant(record)] = "crs \(grade("crs")) icans \(grade("icans"))"
            }
            return latest.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        }
        let actions = { (records: [OutputRecord]) in
            records.filter { $0.kind == .anakinraRecommendation }.map {
                "\(PublishedStateTests.instant($0)) \(PublishedStateTests.json($0)["action"] ?? "")"
            }
        }
        #expect(grades(backlog).count >= 15, "\(grades(backlog).count) grades records")
        #expect(grades(backlog) == grades(live))
        #expect(actions(backlog) == actions(live))
    }
}
