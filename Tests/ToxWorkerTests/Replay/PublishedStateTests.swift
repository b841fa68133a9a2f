import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The worker publishes a patient's state, not every wobble of it (issue 12, item 2): a STOP and
/// its completion at one instant are one record, and shortage advice has hysteresis.
@Suite("Published state, not a flicker")
struct PublishedStateTests {
    static let repositoryRoot = BuildProducts.repositoryRoot

    /// The outputs of `Scripts/demo-data/course.json` fed live (one record per batch, partition time
    /// punctuating after each), as `Scripts/demo` feeds `toxd`.
    /// With `oneBatchFrom`, the records at or after that instant arrive as one batch (a backlog).
    static func demoOutputs(shortageHold: Duration, oneBatchFrom: Date? = nil) throws -> [OutputRecord] {
        let input = try EvaluationInput.decode(
            Data(contentsOf: repositoryRoot.appendingPathComponent("Scripts/demo-data/course.json")))
        var harness = ReplayHarness(evaluator: try ReplayHarness.catalogEvaluator(), shortageHold: shortageHold)
        let records: [InputEvent] =
            [.clinical(.patient(input.patient))] + input.inventory.map { .inventory($0) }
            + input.events.map { .clinical($0) }
        let ordered = records.enumerated().sorted {
            ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset)
        }
        .map(\.element)
        var offsets: [String: Int64] = [:]
        var backlog: [KafkaMessage] = []
        for record in ordered {
            switch record {
            case .inventory(let event):
                harness.restock(event, offset: Int64(harness.stock.count))
            case .clinical(let event):
                let topic = record.type.topic
                defer { offsets[topic, default: 0] += 1 }
                let message = KafkaMessage(
                    topic: topic, partition: 0, offset: offsets[topic, default: 0], key: Array(event.patientId.utf8),
                    value: Array(try encodeEvent(record)))
                if let oneBatchFrom, record.occurredAt >= oneBatchFrom {
                    backlog.append(message)
                } else {
                    harness.apply([message])
                }
            }
        }
        if !backlog.isEmpty { harness.apply(backlog) }
        #expect(harness.collisions.isEmpty)
        return harness.log
    }

    static func json(_ record: OutputRecord) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any]) ?? [:]
    }

    static func instant(_ record: OutputRecord) -> Substring { record.id.split(separator: "/")[2] }

    @Test(
        "the demo course: a STOP and its course completion are one record, the STOP, also when a stale-findings reassessment follows"
    )
    func stopAndCompletion() throws {
        let recommendations = try Self.demoOutputs(shortageHold: WorkerConfiguration.defaultShortageHold)
            .filter { $0.kind == .anakinraRecommendation }
        let stop = try #require(recommendations.last { Self.json($0)["action"] as? String == "stop" })
        #expect(
            !recommendations.contains { $0 != stop && Self.instant($0) == Self.instant(stop) },
            "\(recommendations.map(\.id))")
        // The demo's vitals end at the STOP; the reassessment when they go stale (§A13.12) finds the
        // course completed, which the STOP already said.
        #expect(recommendations.last == stop, "nothing after the STOP: \(recommendations.map(\.id))")
        #expect(Set(recommendations.map(Self.instant)).count == recommendations.count, "one recommendation per instant")
    }

    /// The demo's last anakinra dose (03-07 08:30) completes the taper; the next events are a day
    /// later. Fed live the STOP is published at the dose; when the dose and the next day's events
    /// arrive in one batch (a busy broker, a backlog) the dose's instant is still evaluated, so the
    /// STOP is not replaced by a "none" at the batch's last instant (the e2e sample course saw
    /// `taper, none` in about one run of four).
    @Test(
        "an administration's instant is evaluated even when later events share its batch: the demo's STOP survives a backlog"
    )
    func administrationInstantsAreEvaluated() throws {
        let actions = { (records: [OutputRecord]) in
            records.filter { $0.kind == .anakinraRecommendation }.map {
                "\(Self.instant($0)) \(Self.json($0)["action"] as? String ?? "")"
            }
        }
        let live = actions(try Self.demoOutputs(shortageHold: WorkerConfiguration.defaultShortageHold))
        let backlog = actions(
            try Self.demoOutputs(
                shortageHold: WorkerConfiguration.defaultShortageHold,
                oneBatchFrom: isoDate("2026-03-07T08:30:00Z")))
        #expect(live.last?.hasSuffix(" stop") == true, "\(live)")
        #expect(backlog == live)
    }

    @Test("the demo course: shortage advice is needed once and ends once, where a 0 h hold flaps with the grade")
    func shortageHysteresisOnTheDemoCourse() throws {
        func advice(_ hold: Duration) throws -> [(instant: Substring, cause: String)] {
            try Self.demoOutputs(shortageHold: hold).filter { $0.kind == .shortageAlternative }.map {
                (Self.instant($0), Self.json($0)["cause"] as? String ?? "")
            }
        }
        let flapping = try advice(.zero)
        let held = try advice(WorkerConfiguration.defaultShortageHold)
        #expect(flapping.filter { $0.cause == "no-longer-needed" }.count >= 3, "\(flapping)")
        #expect(held.filter { $0.cause == "no-longer-needed" }.count <= 1, "\(held)")
        #expect(held.first?.cause == "shortage")
        #expect(
            held.map(\.instant).first == flapping.map(\.instant).first,
            "needed as soon as the patient would receive the drug")
    }

    static let t0 = Date(timeIntervalSince1970: 1_772_611_200)
    static let advice = ShortageAlternative(
        shortDrug: "tocilizumab", site: "main", status: .shortage, cause: "shortage", reasons: [], alternatives: [],
        excluded: [],
        need24h: ShortageNeed(mg: 400, doses: 1, units: 1))

    @Test("a need absent for less than the hold is still published as needed; after it, no longer needed")
    func holdRule() {
        let hysteresis = ShortageHysteresis(hold: 12 * 3600)
        let first = hysteresis.step(
            published: [:], current: [(Self.advice, PublishedShortageAdvice(Self.advice))], at: Self.t0,
            courseEnded: false)
        #expect(first.changes == [.needed(Self.advice)])
        let absent = hysteresis.step(
            published: first.state, current: [], at: Self.t0.addingTimeInterval(3 * 3600), courseEnded: false)
        #expect(absent.changes.isEmpty)
        #expect(absent.state == first.state)
        let back = hysteresis.step(
            published: absent.state, current: [(Self.advice, PublishedShortageAdvice(Self.advice))],
            at: Self.t0.addingTimeInterval(5 * 3600), courseEnded: false)
        #expect(back.changes.isEmpty, "the same advice again: nothing new")
        let almost = hysteresis.step(
            published: back.state, current: [], at: Self.t0.addingTimeInterval(17 * 3600 - 1), courseEnded: false)
        #expect(almost.changes.isEmpty)
        let ended = hysteresis.step(
            published: back.state, current: [], at: Self.t0.addingTimeInterval(17 * 3600), courseEnded: false)
        #expect(ended.changes == [.noLongerNeeded(drug: "tocilizumab")])
        #expect(ended.state.isEmpty)
        let courseOver = hysteresis.step(
            published: back.state, current: [], at: Self.t0.addingTimeInterval(6 * 3600), courseEnded: true)
        #expect(courseOver.changes == [.noLongerNeeded(drug: "tocilizumab")], "the course's end ends the need at once")
    }
}
