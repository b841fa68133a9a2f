import Foundation
import Testing

@testable import ToxWorker

@Suite("Partition progress and /health")
struct PartitionProgressTests {
    @Test("lag without progress for longer than the stall timeout is stalled; progress or no lag clears it")
    func stall() {
        let progress = PartitionProgress()
        let start = ContinuousClock.now
        progress.noteProgress()
        #expect(!progress.observe(lag: 10, now: start + .seconds(5), stallTimeout: .seconds(60)))
        #expect(progress.observe(lag: 10, now: start + .seconds(61), stallTimeout: .seconds(60)))
        #expect(progress.isStalled)
        progress.noteProgress()
        #expect(!progress.isStalled)
        #expect(
            !progress.observe(lag: 0, now: ContinuousClock.now + .seconds(600), stallTimeout: .seconds(60)),
            "idle is not stalled")
    }

    @Test("/health has one shape: ready only when nothing restores or stalls and the process has started")
    func health() throws {
        let serving = HealthReport.Partition(partition: 0, state: .serving, lag: 0)
        #expect(HealthReport(starting: false, partitions: [serving]).ready)
        #expect(HealthReport(starting: true, partitions: [serving]).status == "starting")
        let stalled = HealthReport(
            starting: false, partitions: [serving, .init(partition: 9, state: .stalled, lag: 29_278)])
        #expect(!stalled.ready && stalled.status == "stalled")
        #expect(
            HealthReport(starting: false, partitions: [.init(partition: 1, state: .restoring)]).status == "restoring")
        let json = String(decoding: stalled.json(), as: UTF8.self)
        #expect(
            json
                == #"{"partitions":[{"lag":0,"partition":0,"state":"serving"},{"lag":29278,"partition":9,"state":"stalled"}],"ready":false,"status":"stalled"}"#
                + "\n")
        let ingest = HealthReport(
            starting: false, partitions: [.init(topic: "hl7.inbound.v1", partition: 2, state: .serving)])
        #expect(String(decoding: ingest.json(), as: UTF8.self).contains(#""topic":"hl7.inbound.v1""#))
    }
}
