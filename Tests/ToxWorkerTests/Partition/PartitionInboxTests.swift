import Synchronization
import Testing

@testable import ToxWorker

@Suite("Partition inbox")
struct PartitionInboxTests {
    /// Records the flow-control requests an inbox makes, in order.
    final class FlowLog: Sendable {
        let requests = Mutex<[PartitionInbox<Int>.FlowControl]>([])
        func callAsFunction(_ request: PartitionInbox<Int>.FlowControl) { requests.withLock { $0.append(request) } }
        var value: [PartitionInbox<Int>.FlowControl] { requests.withLock { $0 } }
        var resumes: Int { value.filter { $0 == .resume }.count }
    }

    @Test("keeps order, pauses at the high-water mark and resumes once below the low-water mark")
    func pauseAndResume() async {
        let flow = FlowLog()
        let inbox = PartitionInbox<Int>(highWaterMark: 10, lowWaterMark: 4) { flow($0) }
        #expect(inbox.deliver(0..<6) == false)
        #expect(inbox.deliver(6..<10) == true)
        #expect(inbox.isPaused)
        #expect(flow.value == [.pause])
        #expect(inbox.deliver(10..<12) == false, "already paused: no second pause request")
        #expect(await inbox.nextBatch(maxCount: 5) == [0, 1, 2, 3, 4])
        #expect(flow.resumes == 0, "7 still queued, not below 4")
        #expect(await inbox.nextBatch(maxCount: 5) == [5, 6, 7, 8, 9])
        #expect(flow.value == [.pause, .resume])
        #expect(!inbox.isPaused)
        #expect(await inbox.nextBatch(maxCount: 5) == [10, 11])
        #expect(flow.resumes == 1)
    }

    @Test("finishing a paused inbox resumes its partition: a pause never outlives the inbox")
    func finishResumes() async {
        let flow = FlowLog()
        let inbox = PartitionInbox<Int>(highWaterMark: 10, lowWaterMark: 4) { flow($0) }
        #expect(inbox.deliver(0..<10) == true)
        inbox.finish()
        #expect(flow.value == [.pause, .resume])
        #expect(!inbox.isPaused)
        inbox.finish()
        #expect(flow.value == [.pause, .resume], "finishing twice resumes once")

        let unpaused = FlowLog()
        let idle = PartitionInbox<Int>(highWaterMark: 10, lowWaterMark: 4) { unpaused($0) }
        idle.deliver(0..<3)
        idle.finish()
        #expect(unpaused.value.isEmpty, "an inbox that never paused asks for nothing")
    }

    @Test("pause and resume requests alternate whatever the interleaving of deliveries and batches")
    func requestsAlternate() async {
        let flow = FlowLog()
        let inbox = PartitionInbox<Int>(highWaterMark: 8, lowWaterMark: 2) { flow($0) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for chunk in 0..<2_000 { inbox.deliver(chunk * 3..<chunk * 3 + 3) }
                inbox.finish()
            }
            group.addTask {
                while await inbox.nextBatch(maxCount: 5) != nil {}
            }
        }
        let requests = flow.value
        #expect(!requests.isEmpty)
        for (index, request) in requests.enumerated() {
            #expect(request == (index.isMultiple(of: 2) ? .pause : .resume), "request \(index) out of order")
        }
        #expect(requests.last == .resume, "the partition ends resumed")
    }

    @Test("a waiting partition task is woken by the next delivery")
    func wakesWaiter() async {
        let inbox = PartitionInbox<String>(highWaterMark: 100, lowWaterMark: 10) { _ in }
        async let batch = inbox.nextBatch(maxCount: 2)
        while inbox.count == 0 {
            inbox.deliver(["a", "b", "c"])
            await Task.yield()
        }
        #expect(await batch == ["a", "b"])
        #expect(await inbox.nextBatch(maxCount: 10) == ["c"])
    }

    @Test("finish wakes the task with nil and drops what is queued or delivered later")
    func finish() async {
        let inbox = PartitionInbox<Int>(highWaterMark: 100, lowWaterMark: 10) { _ in }
        inbox.deliver([1, 2, 3])
        #expect(inbox.finish() == 3)
        #expect(await inbox.nextBatch(maxCount: 10) == nil)
        #expect(inbox.deliver([4]) == false)
        #expect(inbox.count == 0)

        let waiting = PartitionInbox<Int>(highWaterMark: 100, lowWaterMark: 10) { _ in }
        async let batch = waiting.nextBatch(maxCount: 10)
        await Task.yield()
        waiting.finish()
        #expect(await batch == nil)
    }
}
