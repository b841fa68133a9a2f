import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract

#if canImport(Glibc)
import Glibc
#endif

/// A worker that takes over after a crash publishes what one that never crashed publishes (issue 12):
/// 120 generated 36 h CRS and ICANS courses (one in eight grade-4 CRS with norepinephrine from h10,
/// BiPAP from h20 and epinephrine from h22) go to one `toxd` (the reference), and again to two
/// workers of which one is SIGKILLed at a point the test observes from the outside and replaced.
/// Every output is written exactly once, every event reaches its patient's state, and each
/// patient's latest grades record and latest recommendation equal the reference run's.
@Suite("toxd after a SIGKILL", .serialized, .timeLimit(.minutes(15)))
struct CrashFinalStateTests {
    /// Where the chaos run kills its second worker.
    enum KillPoint: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// The first third of the stream is committed, nothing more is in flight.
        case afterFirstThird = "after the first third"
        /// The group has committed half of the second half while the rest is still being produced.
        case midSecondHalf = "mid second half"
        /// The victim logged a failed offset commit: a batch whose outputs and changelog are
        /// written but whose input offsets are not committed.
        case beforeOffsetCommit = "changelog written, offsets not committed"

        var testDescription: String { rawValue }
    }

    static let patients = 120
    static let seed = 12

    /// The reference run's final state, computed once for every kill point.
    static let reference = ReferenceRun()

    @Test(
        "two workers, one SIGKILLed and replaced: every output once, and each patient's latest grades and recommendation equal a run that never crashed",
        arguments: KillPoint.allCases)
    func crashKeepsFinalState(killPoint: KillPoint) async throws {
        let expected = try await Self.reference.finalState()
        let started = ContinuousClock.now
        try await E2EHarness.with(partitions: 12) { harness in
            let generated = try await Self.generate(harness)
            for name in ["w1", "w2"] { try await harness.startWorker(name) }
            let victim = try #require(harness.workers["w2"])
            let cut = killPoint == .afterFirstThird ? generated.count / 3 : generated.count / 2
            try await harness.produce(try harness.write(Array(generated[..<cut]), name: "first.jsonl"))
            try await harness.waitUntilConsumed()
            let rest = try harness.write(Array(generated[cut...]), name: "rest.jsonl")
            func replaceVictim() async throws {
                victim.send(SIGKILL)
                #expect(try await victim.waitForExit(timeout: .seconds(20)) != 0)
                try await harness.startWorker("w2-restarted")
            }
            switch killPoint {
            case .afterFirstThird:
                try await replaceVictim()
                try await harness.produce(rest)
            case .midSecondHalf:
                async let produced: Void = harness.produce(rest, rate: 500)
                try await harness.waitUntilCommitted(atLeast: Int64(cut + (generated.count - cut) / 2))
                try await replaceVictim()
                try await produced
            case .beforeOffsetCommit:
                // Commits fail, whichever worker sends them first, until the victim has met one; it
                // dies right after. (Errors pushed once could all go to the other worker's commits.)
                async let produced: Void = harness.produce(rest, rate: 250)
                try await eventually(
                    "w2 meets a failed offset commit", timeout: .seconds(120), every: .seconds(1)
                ) {
                    if victim.standardError.contains("offset commit failed") { return true }
                    harness.cluster.pushRequestErrors(apiKey: .offsetCommit, errors: [.rebalanceInProgress])
                    return false
                }
                harness.cluster.clearRequestErrors(apiKey: .offsetCommit)
                try await replaceVictim()
                try await produced
            }
            try await harness.waitUntilConsumed()
            let audit = try await ToxdEndToEndTests.audit(harness, generated: generated)
            try await ToxdEndToEndTests.compareWithReference(harness, audit: audit)
            let actual = FinalPublishedState(audit)
            let differing = expected.differences(from: actual)
            print(
                "kill point '\(killPoint.rawValue)': \(differing.count) of \(expected.grades.count) patients end differently from the reference run"
            )
            for line in differing.prefix(8) { print("  \(line)") }
            #expect(
                differing.isEmpty,
                "\(differing.count) of \(expected.grades.count) patients end differently from the reference run: \(differing.prefix(5))"
            )
        }
        print("kill point '\(killPoint.rawValue)': \(ContinuousClock.now - started)")
    }

    /// The generated courses in event time (poison included), in a file of the harness.
    static func generate(_ harness: E2EHarness) async throws -> [InputLine] {
        let (_, generated) = try await harness.generate(profile: "crs", patients: patients, poison: 4, seed: seed)
        return generated
    }

    /// One `toxd` fed the whole stream at once: the state a worker that never crashed publishes.
    actor ReferenceRun {
        private var state: FinalPublishedState?

        func finalState() async throws -> FinalPublishedState {
            if let state { return state }
            let started = ContinuousClock.now
            let computed = try await E2EHarness.with(partitions: 12) { harness in
                let generated = try await CrashFinalStateTests.generate(harness)
                try await harness.startWorker("reference")
                try await harness.produce(try harness.write(generated, name: "all.jsonl"))
                try await harness.waitUntilConsumed()
                let audit = try await ToxdEndToEndTests.audit(harness, generated: generated)
                return FinalPublishedState(audit)
            }
            #expect(computed.grades.count == CrashFinalStateTests.patients, "every patient graded in the reference run")
            print("reference run: \(ContinuousClock.now - started)")
            state = computed
            return computed
        }
    }
}

/// The worker still evaluates a changed patient once per batch, so batching (and a takeover, which
/// re-reads a batch in other shapes) still changes what is published: issue 12's every-instant
/// evaluation is in flight. Until it lands, a difference is recorded as that known issue (the
/// test output still prints the count); when it lands, this wrapper goes and the checks are hard.

/// Each patient's latest published grades record and latest recommendation (log order of the
/// patient's partition), as canonical JSON. The bodies carry no wall-clock time or Kafka
/// coordinates (those are in the `toxwatch-*` headers, which are left out); the id keeps its
/// type/patient/instant and loses only a revision suffix (`/rN`), which a takeover legitimately
/// adds when a dead owner published an instant before all of its records had arrived.
struct FinalPublishedState: Sendable, Equatable {
    var grades: [String: String] = [:]
    var recommendations: [String: String] = [:]

    init(_ audit: OutputAudit) {
        grades = audit.last(ToxWatchTopics.toxicityGrades).mapValues(Self.canonical)
        recommendations = audit.last(ToxWatchTopics.anakinraRecommendations).mapValues(Self.canonical)
    }

    static func canonical(_ body: [String: Any]) -> String {
        var body = body
        if let id = body["id"] as? String { body["id"] = id.replacing(/\/r[0-9]+$/, with: "") }
        let data =
            (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The patients whose final grades or recommendation differ, each with what differs (CRS
    /// grade, recommended action and the names of the differing fields, never a payload).
    func differences(from other: FinalPublishedState) -> [String] {
        let patients = Set(grades.keys).union(other.grades.keys).union(recommendations.keys).union(
            other.recommendations.keys)
        return patients.sorted().compactMap { patient in
            let changed = [
                ("grades", grades[patient], other.grades[patient]),
                ("recommendation", recommendations[patient], other.recommendations[patient]),
            ].filter { $0.1 != $0.2 }
            guard !changed.isEmpty else { return nil }
            func summary(_ state: FinalPublishedState) -> String {
                "CRS \(Self.field(state.grades[patient], "crs", "grade")) \(Self.field(state.recommendations[patient], "action"))"
            }
            let fields = changed.map { "\($0.0) \(Self.differingKeys($0.1, $0.2))" }.joined(separator: ", ")
            return "\(patient): reference \(summary(self)), this run \(summary(other)); differing: \(fields)"
        }
    }

    private static func object(_ json: String?) -> [String: Any]? {
        json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The top-level fields in which two bodies differ (`assessedAt`, `crs` …).
    private static func differingKeys(_ first: String?, _ second: String?) -> String {
        guard let first = object(first), let second = object(second) else {
            return first == nil ? "(reference has none)" : "(none published)"
        }
        let keys = Set(first.keys).union(second.keys).sorted().filter { key in
            canonical(first[key].map { ["v": $0] } ?? [:]) != canonical(second[key].map { ["v": $0] } ?? [:])
        }
        let instants =
            keys.contains("assessedAt") ? " (\(first["assessedAt"] ?? "") vs \(second["assessedAt"] ?? ""))" : ""
        return "[\(keys.joined(separator: ","))]\(instants)"
    }

    private static func field(_ json: String?, _ path: String...) -> String {
        guard var value: Any = object(json) else { return "none" }
        for key in path { value = (value as? [String: Any])?[key] ?? NSNull() }
        return "\(value)"
    }
}
