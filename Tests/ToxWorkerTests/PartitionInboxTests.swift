import Synchronization
import Testing

@testable import ToxWorker

@Suite("Partition inbox")
struct PartitionInboxTests {
    final class ResumeCounter: Sendable {
        let count = Mutex(0)
        func callAsFunction() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test("keeps order, pauses at the high-water mark and resumes once below the low-water mark")
    func pauseAndResume() async {
        let resumes = ResumeCounter()
        let inbox = PartitionInbox<Int>(highWaterMark: 10, lowWaterMark: 4) { resumes() }
        #expect(inbox.deliver(0..<6) == false)
        #expect(inbox.deliver(6..<10) == true)
        #expect(inbox.isPaused)
        #expect(inbox.deliver(10..<12) == false, "already paused: no second pause request")
        #expect(await inbox.nextBatch(maxCount: 5) == [0, 1, 2, 3, 4])
        #expect(resumes.value == 0, "7 still queued, not below 4")
        #expect(await inbox.nextBatch(maxCount: 5) == [5, 6, 7, 8, 9])
        #expect(resumes.value == 1)
        #expect(!inbox.isPaused)
        #expect(await inbox.nextBatch(maxCount: 5) == [10, 11])
        #expect(resumes.value == 1)
    }

    @Test("a waiting partition task is woken by the next delivery")
    func wakesWaiter() async {
        let inbox = PartitionInbox<String>(highWaterMark: 100, lowWaterMark: 10) {}
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
        let inbox = PartitionInbox<Int>(highWaterMark: 100, lowWaterMark: 10) {}
        inbox.deliver([1, 2, 3])
        #expect(inbox.finish() == 3)
        #expect(await inbox.nextBatch(maxCount: 10) == nil)
        #expect(inbox.deliver([4]) == false)
        #expect(inbox.count == 0)

        let waiting = PartitionInbox<Int>(highWaterMark: 100, lowWaterMark: 10) {}
        async let batch = waiting.nextBatch(maxCount: 10)
        await Task.yield()
        waiting.finish()
        #expect(await batch == nil)
    }
}
