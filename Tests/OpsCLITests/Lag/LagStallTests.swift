import Foundation
import Testing
import ToxOps

/// `toxctl lag --stall-seconds`: an owned partition with lag and no progress for the configured time
/// is STALL; while the group rebalances it is REBALANCING instead.
@Suite("Lag: stalled or rebalancing")
struct LagStallTests {
    typealias Samples = LagReportTests
    static let owner = PartitionOwner(memberID: "m1", clientID: "toxd", host: "/10.0.0.1")

    static func sample(_ tracker: inout LagTracker, at seconds: Double, committed: Int64, state: String) -> LagReport {
        tracker.add(
            Samples.snapshot(
                at: seconds,
                [Samples.partition("cart.vitals.v1", 9, committed: committed, end: 16_722 + 29_278, owner: owner)],
                ownership: .known(groupState: state)))
    }

    @Test("lag without progress for the stall time is STALL; the same while the group rebalances is REBALANCING")
    func stalledOrRebalancing() {
        var stable = LagTracker(stallSeconds: 120)
        _ = Self.sample(&stable, at: 0, committed: 16_722, state: "Stable")
        let early = Self.sample(&stable, at: 60, committed: 16_722, state: "Stable")
        #expect(!early.partitions[0].statusReason.contains("no progress for"), "60 s without progress is not yet 120 s")
        let stalled = Self.sample(&stable, at: 130, committed: 16_722, state: "Stable")
        #expect(stalled.partitions[0].status == .stall)
        #expect(stalled.partitions[0].statusReason.contains("no progress for 2 min 10 s with lag 29278"))
        #expect(stalled.status == .error)

        var rebalancing = LagTracker(stallSeconds: 120)
        _ = Self.sample(&rebalancing, at: 0, committed: 16_722, state: "PreparingRebalance")
        let held = Self.sample(&rebalancing, at: 130, committed: 16_722, state: "CompletingRebalance")
        #expect(held.partitions[0].status == .rebalancing)
        #expect(held.partitions[0].statusReason.contains("rebalances (state CompletingRebalance)"))
        #expect(held.status == .rebalancing)
    }

    @Test("without the group's state (no DescribeGroups, the development broker) a STALL says it may be a rebalance")
    func stallWithUnknownGroupState() {
        // Before: the reason read as a certain stall although a rebalance on the mock looks the same.
        var tracker = LagTracker(stallSeconds: 30)
        func sample(at seconds: Double) -> LagReport {
            tracker.add(
                Samples.snapshot(
                    at: seconds, [Samples.partition("cart.vitals.v1", 9, committed: 16_722, end: 46_000, owner: nil)],
                    ownership: .unknown(reason: "the broker does not describe groups")))
        }
        _ = sample(at: 0)
        let held = sample(at: 55)
        #expect(held.partitions[0].status == .stall)
        #expect(held.partitions[0].statusReason.hasSuffix("; the group's state is unknown, so this may be a rebalance"))
    }

    @Test("a committed offset that moves is never STALL, however long the lag lasts")
    func progressIsNotAStall() {
        var tracker = LagTracker(stallSeconds: 120)
        var report = Self.sample(&tracker, at: 0, committed: 100, state: "Stable")
        for step in 1...5 {
            report = Self.sample(&tracker, at: Double(step) * 100, committed: 100 + Int64(step) * 50, state: "Stable")
        }
        #expect(report.partitions[0].status != .stall)
    }
}
