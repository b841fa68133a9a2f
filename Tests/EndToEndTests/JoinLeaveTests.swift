import Foundation
import KafkaClient
import Testing
import ToxTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Every partition is served after every rebalance: three `toxd` workers join and leave at random
/// (SIGTERM or SIGKILL) while a stream flows under back-pressure (small inboxes and batches, so
/// partitions are paused when they are revoked). At the end the group has lag 0 on every partition
/// and every patient's effects are there exactly once. `TOXWATCH_JOIN_LEAVE_STEPS` (default 6) and
/// `TOXWATCH_JOIN_LEAVE_SEED` make it longer or different (`Scripts/soak`).
@Suite("toxd workers joining and leaving", .serialized, .timeLimit(.minutes(30)))
struct JoinLeaveTests {

    @Test("three workers join and leave at random under back-pressure: lag 0 on every partition, every patient served")
    func randomJoinLeave() async throws {
        let environment = ProcessInfo.processInfo.environment
        let steps = environment["TOXWATCH_JOIN_LEAVE_STEPS"].flatMap { Int($0) } ?? 6
        let seed = environment["TOXWATCH_JOIN_LEAVE_SEED"].flatMap { UInt64($0) } ?? 18
        print("join/leave: \(steps) steps, seed \(seed) (TOXWATCH_JOIN_LEAVE_SEED replays it)")
        var random = SplitMix64(state: seed)
        let backPressure = [
            "TOXD_PARTITION_BUFFER_SIZE": "100", "TOXD_MAX_BATCH_SIZE": "10", "TOXD_STALL_TIMEOUT_SECONDS": "60",
        ]
        try await E2EHarness.with(partitions: 6) { harness in
            let (file, generated) = try await harness.generate(
                patients: 120, eventsPerPatient: 25, poison: 5, seed: Int(seed))
            var running: [String] = []
            var started = 0
            var leaves = 0
            func start() async throws {
                started += 1
                let name = "w\(started)"
                try await harness.startWorker(name, environment: backPressure)
                running.append(name)
            }
            try await start()
            async let produced: Void = harness.produce(file, rate: 600)
            for step in 1...steps {
                // The scenario: membership changes at random moments of the stream (seeded), not on a condition.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1500...4000, using: &random)))
                if running.count < 3 && (running.count < 2 || Bool.random(using: &random)) {
                    try await start()
                    print("join/leave step \(step): \(running.last ?? "") joined; running \(running)")
                } else {
                    let victim = running.remove(at: Int.random(in: 0..<running.count, using: &random))
                    // The first departure is a crash; later ones either way.
                    let signal = leaves == 0 || Bool.random(using: &random) ? SIGKILL : SIGTERM
                    leaves += 1
                    let worker = try #require(harness.workers[victim])
                    worker.send(signal)
                    _ = try await worker.waitForExit(timeout: .seconds(60))
                    print(
                        "join/leave step \(step): \(victim) left with \(signal == SIGTERM ? "SIGTERM" : "SIGKILL"); running \(running)"
                    )
                }
            }
            if running.count < 2 { try await start() }
            try await produced
            try await harness.waitUntilConsumed(timeout: .seconds(300))
            let audit = try await ToxdEndToEndTests.audit(harness, generated: generated)
            try await ToxdEndToEndTests.compareWithReference(harness, audit: audit)
            #expect(audit.states.count == 120, "every patient served")
        }
    }
}
