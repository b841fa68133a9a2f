import PropertyBased
import Testing
import ToxOps

/// Burrow's rules over sample sequences: `(time s, committed offset, lag, owner active?)`.
@Suite("Burrow status rules")
struct BurrowEvaluationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var samples: [(Double, Int64, Int64, Bool?)]
        var expected: PartitionLagStatus
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no lag now", samples: [(0, 10, 5, nil), (10, 10, 8, nil), (20, 30, 0, nil)], expected: .ok),
        Case(
            name: "lag was zero within the window", samples: [(0, 10, 0, nil), (10, 10, 4, nil), (20, 10, 9, nil)],
            expected: .ok),
        Case(name: "one sample with lag", samples: [(0, 10, 4, nil)], expected: .warn),
        Case(name: "one sample without lag", samples: [(0, 10, 0, nil)], expected: .ok),
        Case(
            name: "offset went back",
            samples: [(0, 50, 5, nil), (10, 60, 5, nil), (20, 40, 30, nil), (30, 45, 25, nil)],
            expected: .rewind),
        Case(name: "offset never moves, owner unknown", samples: [(0, 10, 5, nil), (10, 10, 9, nil)], expected: .stop),
        Case(
            name: "offset never moves, no owner", samples: [(0, 10, 5, false), (10, 10, 5, false), (20, 10, 5, false)],
            expected: .stop),
        Case(
            name: "offset never moves, owner active",
            samples: [(0, 10, 5, true), (10, 10, 9, true), (20, 10, 12, true)], expected: .stall),
        Case(
            name: "offset moves, lag never decreases",
            samples: [(0, 10, 5, nil), (10, 20, 5, nil), (20, 30, 8, nil), (30, 40, 9, nil)], expected: .warn),
        Case(
            name: "offset moves, lag decreases at times",
            samples: [(0, 10, 5, nil), (10, 20, 9, nil), (20, 30, 3, nil), (30, 40, 7, nil)], expected: .ok),
        // Commits observed at 0, 10, 20; stuck from 20 to 50: 30 s without a commit > 20 s of commits.
        Case(
            name: "offset stopped for longer than it moved",
            samples: [
                (0, 10, 5, nil), (10, 20, 6, nil), (20, 30, 7, nil), (30, 30, 8, nil), (40, 30, 9, nil),
                (50, 30, 9, nil),
            ],
            expected: .stop),
        // Commits at 0, 10, 20, 30; stuck 30 → 40: 10 s ≤ 30 s, and the lag never decreased: WARN, not STOP.
        Case(
            name: "offset stopped for shorter than it moved",
            samples: [(0, 10, 5, nil), (10, 20, 6, nil), (20, 30, 7, nil), (30, 40, 8, nil), (40, 40, 9, nil)],
            expected: .warn),
        // REWIND is checked before STOP.
        Case(
            name: "rewind beats stop", samples: [(0, 10, 5, nil), (10, 8, 7, nil), (20, 8, 7, nil), (30, 8, 7, nil)],
            expected: .rewind),
        // An owner that keeps the partition and commits the same offset is STALL even after a move.
        Case(
            name: "owner active, moved then stuck for the whole window",
            samples: [(0, 10, 5, true), (10, 10, 6, true), (20, 10, 7, true)], expected: .stall),
    ]

    @Test("partition status", arguments: cases)
    func partitionStatus(_ example: Case) {
        let samples = example.samples.map { OffsetObservation(time: $0.0, offset: $0.1, lag: $0.2, ownerActive: $0.3) }
        let evaluation = BurrowEvaluator.evaluate(samples)
        #expect(evaluation.status == example.expected, "\(evaluation.reason)")
        #expect(evaluation.samples == samples.count)
        #expect(!evaluation.reason.isEmpty)
    }

    @Test("only the last 10 samples count: a zero lag that left the window no longer makes it OK")
    func windowSlides() {
        var samples = [OffsetObservation(time: 0, offset: 0, lag: 0)]
        for index in 1...10 {
            samples.append(OffsetObservation(time: Double(index * 10), offset: Int64(index * 10), lag: Int64(index)))
        }
        #expect(BurrowEvaluator.evaluate(samples).status == .warn)
        #expect(BurrowEvaluator.evaluate(samples).isComplete)
        #expect(BurrowEvaluator.evaluate(samples, window: 11).status == .ok)
        #expect(!BurrowEvaluator.evaluate(Array(samples.prefix(3))).isComplete)
    }

    @Test("group status: the worst partition, STOP/STALL/REWIND as ERR")
    func groupStatus() {
        #expect(GroupLagStatus(worstOf: [PartitionLagStatus]()) == .ok)
        #expect(GroupLagStatus(worstOf: [.ok, .ok]) == .ok)
        #expect(GroupLagStatus(worstOf: [.ok, .warn]) == .warn)
        for error in [PartitionLagStatus.stop, .stall, .rewind] {
            #expect(GroupLagStatus(worstOf: [.ok, .warn, error]) == .error)
            #expect(error.isError)
        }
        #expect(!PartitionLagStatus.warn.isError)
        #expect(PartitionLagStatus.allCases.sorted() == [.ok, .warn, .rebalancing, .stop, .stall, .rewind])
    }

    @Test("properties: any zero lag gives OK; non-decreasing offsets never give REWIND")
    func properties() async {
        await propertyCheck(
            count: 500, input: Gen.int(in: 1...12), Gen.uint64(in: 0...UInt64.max)
        ) { count, seed in
            var random = SeededRandom(seed: seed)
            var offset: Int64 = 100
            var samples: [OffsetObservation] = []
            for index in 0..<count {
                offset += Int64(random.integer(0...3))
                let lag = Int64(random.integer(0...4))
                samples.append(
                    OffsetObservation(
                        time: Double(index) * 5, offset: offset, lag: lag, ownerActive: random.chance(0.5)))
            }
            let status = BurrowEvaluator.evaluate(samples).status
            if samples.suffix(10).contains(where: { $0.lag == 0 }) { #expect(status == .ok) }
            #expect(status != .rewind)
            if samples.count == 1 { #expect(status == .ok || status == .warn) }
        }
    }
}
