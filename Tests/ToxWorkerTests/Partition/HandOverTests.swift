import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract

@testable import ToxWorker

/// Exactly-once across several owners of one partition (Docs/worker.md, DESIGN.md §2): what a
/// dead owner wrote after its last checkpoint is written by no later owner again.
@Suite("Partition hand-over")
struct HandOverTests {
    /// The end-to-end flake of a worker killed and restarted: owner 1 writes a timer's outputs and
    /// dies before its checkpoint; owner 2 finds them in the log, but its patient's timer does not
    /// fall due again before owner 2 writes other outputs (its checkpoint's output end passes the
    /// found ones) and hands the partition back; owner 3 scans only after that end.
    @Test(
        "outputs of a dead owner's punctuation, then a second hand-over before the patient's timer fires again: written once",
        arguments: 0..<4)
    func timerOutputsAcrossTwoHandOvers(seed: UInt64) throws {
        var rng = SplitMix64(state: 5000 + seed)
        let records = try RandomCourses.records(patients: 2, using: &rng)
        var owner1 = ReplayHarness(evaluator: try ReplayHarness.catalogEvaluator())
        var scenarios = 0
        for (index, record) in records.enumerated() where scenarios < 6 {
            owner1.apply([record])
            for (patientId, state) in owner1.processor.patients.sorted(by: { $0.key < $1.key }) {
                guard let due = state.nextDecisionAt else { continue }
                // Owner 2 applies only other patients' inputs from before the due instant.
                let others = records[(index + 1)...]
                    .prefix { (RandomCourses.occurredAt($0) ?? due) < due }
                    .filter { $0.key != Array(patientId.utf8) }
                guard !others.isEmpty else { continue }
                var harness = owner1
                let durable = harness.log.count
                try harness.crash(punctuatingAt: due)
                let orphaned = harness.log.count
                guard orphaned > durable else { continue }
                harness.apply(Array(others))
                guard harness.log.count > orphaned else { continue }
                try harness.handOver()
                harness.punctuate(at: due)
                #expect(harness.duplicates.isEmpty, "written twice: \(harness.duplicates)")
                #expect(harness.collisions.isEmpty)
                // The patient whose timer fired again reflects its found outputs: they are carried no longer.
                let carried = try harness.lastCheckpoint?.foundOutputs ?? [:]
                #expect(!carried.keys.contains { OutputID(parsing: $0)?.patientId == patientId })
                scenarios += 1
            }
        }
        #expect(scenarios > 0, "the courses offer the situation")
    }
}
