import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Output ids name what a record is about (patient, type, instant), so that an id identifies one
/// content whatever batches, crashes or tool produced it (issue 12, issue 18 item 7).
@Suite("Output identity")
struct OutputIdentityTests {
    static let instant = Date(timeIntervalSince1970: 1_772_611_200.25)

    /// Tocilizumab's stock at the site `main` at `instant`.
    static func tocilizumab(_ status: StockStatus, at instant: Date, id: String) -> InventoryEvent {
        InventoryEvent(
            eventId: id, occurredAt: instant, site: "main", drug: .tocilizumab, status: status,
            unitsOnHand: status == .available ? 10 : 0)
    }

    @Test(
        "an id names the type, the patient and the instant in ms; shortage advice its drug; a second record a revision")
    func idScheme() {
        #expect(
            OutputID(type: .toxicityGrades, patientId: "MRN1", instant: Self.instant).description
                == "toxicity-grades/MRN1/1772611200250")
        #expect(
            OutputID(
                type: .shortageAlternative, patientId: "MRN1", instant: Self.instant, drug: "tocilizumab", revision: 2
            ).description
                == "shortage-alternative/MRN1/1772611200250/tocilizumab/r2")
        var state = PatientState(patientId: "MRN1")
        let first = state.nextOutputID(.anakinraRecommendation, at: Self.instant)
        state.noteIssued(first)
        let second = state.nextOutputID(.anakinraRecommendation, at: Self.instant)
        #expect(second.revision == 1)
        #expect(state.nextOutputID(.toxicityGrades, at: Self.instant).revision == 0, "each type counts its own records")
        #expect(state.nextOutputID(.anakinraRecommendation, at: Self.instant.addingTimeInterval(0.001)).revision == 0)
    }

    @Test("an id reads back as written, a patient id with slashes too; a dead letter's id is no output id")
    func idParsing() {
        let ids = [
            OutputID(type: .toxicityGrades, patientId: "MRN1", instant: Self.instant),
            OutputID(type: .anakinraRecommendation, patientId: "A/r1/2", instant: Self.instant, revision: 3),
            OutputID(type: .shortageAlternative, patientId: "MRN/7", instant: Self.instant, drug: "tocilizumab"),
            OutputID(
                type: .shortageAlternative, patientId: "MRN1", instant: Self.instant, drug: "anakinra", revision: 1),
        ]
        for id in ids { #expect(OutputID(parsing: id.description) == id) }
        #expect(OutputID(parsing: "dead-letter/cart.vitals.v1/0/17") == nil)
        #expect(OutputID(parsing: "toxicity-grades/MRN1/r2") == nil)
    }

    @Test(
        "no two different records share an id: random courses, live or in random batches, stock changing in between",
        arguments: 0..<12)
    func noSharedIds(seed: UInt64) throws {
        var rng = SplitMix64(state: 1000 + seed)
        let records = try RandomCourses.records(patients: 4, using: &rng)
        var harness = ReplayHarness(evaluator: try ReplayHarness.catalogEvaluator())
        var short = seed % 2 == 0
        if short { harness.stock = [Self.tocilizumab(.shortage, at: RandomCourses.infusedAt, id: "inv-0")] }
        let live = seed % 3 == 0
        for (index, batch) in RandomCourses.split(records, maxSize: live ? 1 : 40, using: &rng).enumerated() {
            harness.apply(batch)
            // Stock changes at partition time re-evaluate patients at instants they were already
            // evaluated at.
            if index % 7 == 3, let time = harness.processor.streamTime {
                short.toggle()
                harness.restock(
                    Self.tocilizumab(short ? .shortage : .available, at: time, id: "inv-\(index)"), offset: Int64(index)
                )
            }
        }
        #expect(harness.collisions.isEmpty, "ids written twice with different content: \(harness.collisions)")
        #expect(Set(harness.log.map(\.id)).count == harness.log.count)
        #expect(harness.log.count > 20)
        for record in harness.log where record.kind != .deadLetter {
            let body = ReplayHarness.content(record)
            let assessedAt = try #require(body["assessedAt"] as? String)
            let date = try #require(
                ISO8601DateFormatter.fractional.date(from: assessedAt) ?? ISO8601DateFormatter().date(from: assessedAt))
            #expect(
                record.id.hasPrefix(
                    "\(record.kind.rawValue)/\(body["patientId"] as? String ?? "")/\(OutputID.milliseconds(date))"))
        }
    }

    @Test("two batch splits of one patient's course: a grades id names the same grades in both", arguments: 0..<6)
    func splitsAgree(seed: UInt64) throws {
        var rng = SplitMix64(state: 2000 + seed)
        // One patient: with several, partition time (the latest event of any patient) can fire one
        // patient's timer at an instant before its own events of that instant arrived (issue 12, item 4).
        let records = try RandomCourses.records(patients: 1, using: &rng)
        let evaluator = try ReplayHarness.catalogEvaluator()
        var logs: [[String: String]] = []
        for maxSize in [3, 50] {
            var harness = ReplayHarness(evaluator: evaluator)
            for batch in RandomCourses.split(records, maxSize: maxSize, atInstants: true, using: &rng) {
                harness.apply(batch)
            }
            #expect(harness.collisions.isEmpty)
            logs.append(
                Dictionary(
                    uniqueKeysWithValues: harness.log.filter { $0.kind == .toxicityGrades }.map {
                        ($0.id, String(decoding: $0.value, as: UTF8.self))
                    }))
        }
        let shared = Set(logs[0].keys).intersection(logs[1].keys)
        #expect(!shared.isEmpty)
        for id in shared { #expect(logs[0][id] == logs[1][id], "\(id)") }
    }

    @Test(
        "a crash between an instant's records, then other batches: no content is lost under a taken id, and the new owner publishes what a run without the crash does",
        arguments: 0..<16)
    func crashAndRestore(seed: UInt64) throws {
        var rng = SplitMix64(state: 3000 + seed)
        let records = try RandomCourses.records(patients: 3, using: &rng)
        let evaluator = try ReplayHarness.catalogEvaluator()
        // The dying owner's last batch ends between two records of one patient at one instant (its
        // vitals and its neuro check, say); the new owner reads that instant whole.
        let cuts = records.indices.dropFirst().filter { index in
            records[index].key == records[index - 1].key
                && RandomCourses.occurredAt(records[index]) == RandomCourses.occurredAt(records[index - 1])
        }
        let cut = try #require(cuts.randomElement(using: &rng))
        let durableEnd = Int.random(in: max(0, cut - 40)..<cut, using: &rng)
        var instantEnd = cut
        while instantEnd < records.count,
            RandomCourses.occurredAt(records[instantEnd]) == RandomCourses.occurredAt(records[cut])
        {
            instantEnd += 1
        }
        let before = RandomCourses.split(Array(records[..<durableEnd]), maxSize: 30, using: &rng)
        let after =
            [Array(records[durableEnd..<instantEnd])]
            + RandomCourses.split(Array(records[instantEnd...]), maxSize: 30, using: &rng)

        var crashed = ReplayHarness(evaluator: evaluator)
        for batch in before { crashed.apply(batch) }
        let durable = crashed.log.count
        try crashed.crash(during: Array(records[durableEnd..<cut]))
        let orphaned = crashed.log.count
        #expect(
            crashed.unhandled(records) == Array(records[durableEnd...]),
            "the new owner reads the dead owner's batch again")
        for batch in after { crashed.apply(batch) }

        var reference = ReplayHarness(evaluator: evaluator)
        for batch in before + after { reference.apply(batch) }

        #expect(crashed.collisions.isEmpty, "content dropped because its id held other content: \(crashed.collisions)")
        #expect(Array(crashed.log[..<durable]) == Array(reference.log[..<durable]))
        // What the new owner publishes: the reference's records, except those the dead owner had
        // already written (same id, same content).
        func written(_ record: OutputRecord) -> String {
            record.id + "\n" + String(decoding: record.value, as: UTF8.self)
        }
        let orphans = Set(crashed.log[durable..<orphaned].map(written))
        let expected = reference.log[durable...].filter { !orphans.contains(written($0)) }.map(ReplayHarness.content)
        #expect(crashed.log[orphaned...].map(ReplayHarness.content) == expected)
    }
}

extension ISO8601DateFormatter {
    /// ISO-8601 with fractional seconds (how outputs write `assessedAt`).
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
