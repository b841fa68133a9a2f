import Foundation
import Testing
import ToxOps

@Suite("Lag report")
struct LagReportTests {
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)  // 2026-03-02T08:00:00Z

    static func snapshot(
        at seconds: Double, _ partitions: [PartitionSnapshot], ownership: OwnershipInfo = .unknown(reason: "mock")
    )
        -> LagSnapshot
    {
        LagSnapshot(group: "toxd", time: t0.addingTimeInterval(seconds), partitions: partitions, ownership: ownership)
    }

    static func partition(
        _ topic: String, _ id: Int, committed: Int64?, start: Int64 = 0, end: Int64, nextAt: Double? = nil,
        owner: PartitionOwner? = nil
    ) -> PartitionSnapshot {
        PartitionSnapshot(
            topic: topic, partition: id, committedOffset: committed, logStartOffset: start, logEndOffset: end,
            owner: owner,
            nextMessageTimestamp: nextAt.map { t0.addingTimeInterval($0) })
    }

    @Test("rows, totals per topic and group, time behind from the next message's timestamp")
    func totals() throws {
        var tracker = LagTracker()
        let report = tracker.add(
            Self.snapshot(
                at: 100,
                [
                    Self.partition("cart.vitals.v1", 1, committed: 40, end: 50, nextAt: 40),
                    Self.partition("cart.vitals.v1", 0, committed: 10, end: 10),
                    Self.partition("cart.labs.v1", 0, committed: nil, start: 3, end: 8, nextAt: 70),
                ]))
        #expect(
            report.partitions.map { "\($0.topic)[\($0.partition)]" } == [
                "cart.vitals.v1[0]", "cart.vitals.v1[1]", "cart.labs.v1[0]",
            ])
        #expect(report.partitions.map(\.lag) == [0, 10, 5])
        #expect(report.partitions.map(\.timeBehindSeconds) == [0, 60, 30])
        #expect(report.partitions[2].committedOffset == nil)
        #expect(report.topics.map(\.lag) == [10, 5])
        #expect(report.topics.map(\.maxTimeBehindSeconds) == [60, 30])
        #expect(report.totalLag == 15)
        #expect(report.maxTimeBehindSeconds == 60)
        #expect(report.status == .warn)
        #expect(report.windowSamples == 1)
        #expect(!report.exceedsLimits)
        let table = report.renderTable()
        #expect(table.contains("status from 1 sample"))
        #expect(table.contains("Owners unknown: mock"))
        #expect(table.contains("group toxd"))
        let json = try JSONSerialization.jsonObject(with: Data(try report.renderJSON().utf8)) as? [String: Any]
        #expect(json?["totalLag"] as? Int == 15)
        let rows = json?["partitions"] as? [[String: Any]]
        #expect(rows?.count == 3)
        #expect(rows?[2]["committedOffset"] is NSNull)
        #expect((json?["ownership"] as? [String: Any])?["known"] as? Bool == false)
    }

    @Test("limits: --max-lag is the group total, strictly above; --max-lag-seconds any partition")
    func limits() {
        let partitions = [
            Self.partition("t", 0, committed: 0, end: 6, nextAt: 0),
            Self.partition("t", 1, committed: 0, end: 4, nextAt: 50),
        ]
        var atLimit = LagTracker(limits: LagLimits(maxLag: 10))
        #expect(!atLimit.add(Self.snapshot(at: 100, partitions)).exceedsLimits)
        var below = LagTracker(limits: LagLimits(maxLag: 9))
        let over = below.add(Self.snapshot(at: 100, partitions))
        #expect(over.exceedsLimits)
        #expect(over.limitViolations == ["total lag 10 is above --max-lag 9"])
        var seconds = LagTracker(limits: LagLimits(maxLagSeconds: 60))
        let late = seconds.add(Self.snapshot(at: 100, partitions))
        #expect(late.limitViolations.count == 1)
        #expect(late.limitViolations.first?.hasPrefix("t[0] is 1 min 40 s behind") == true)
        var enough = LagTracker(limits: LagLimits(maxLagSeconds: 100))
        #expect(!enough.add(Self.snapshot(at: 100, partitions)).exceedsLimits)
    }

    @Test("statuses evolve over samples; a group with no commit is NOTFOUND")
    func samples() {
        var tracker = LagTracker()
        let first = tracker.add(Self.snapshot(at: 0, [Self.partition("t", 0, committed: 5, end: 9)]))
        #expect(first.status == .warn)
        let second = tracker.add(Self.snapshot(at: 10, [Self.partition("t", 0, committed: 5, end: 12)]))
        #expect(second.partitions[0].status == .stop)
        #expect(second.status == .error)
        #expect(second.sampleNumber == 2)
        #expect(second.renderTable().contains("t[0] STOP"))
        var empty = LagTracker()
        #expect(empty.add(Self.snapshot(at: 0, [Self.partition("t", 0, committed: nil, end: 3)])).status == .notFound)
    }

    @Test("owners when the group is described")
    func owners() {
        var tracker = LagTracker()
        let owner = PartitionOwner(memberID: "m-1", clientID: "toxd", host: "/10.0.0.7")
        let report = tracker.add(
            Self.snapshot(
                at: 0,
                [
                    Self.partition("t", 0, committed: 5, end: 5, owner: owner),
                    Self.partition("t", 1, committed: 5, end: 5),
                ],
                ownership: .known(groupState: "Stable")))
        #expect(report.partitions[0].owner == owner)
        let table = report.renderTable()
        #expect(table.contains("toxd@/10.0.0.7"))
        #expect(table.contains("group state Stable"))
        #expect(!table.contains("unknown"))
    }

    @Test(
        "durations read well",
        arguments: [
            (0.0, "0 s"), (0.25, "250 ms"), (0.9999, "1 s"), (59.4, "59 s"), (61, "1 min 1 s"), (3600, "1 h"),
            (5400, "1 h 30 min"),
            (90_000, "1 d 1 h"),
        ])
    func durations(_ seconds: Double, _ text: String) {
        #expect(formatDuration(seconds) == text)
    }
}
