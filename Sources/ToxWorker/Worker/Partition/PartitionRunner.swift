package import Foundation
package import KafkaClient
import Synchronization

/// Work for one partition task, in the order it must be handled.
package enum PartitionWork: Sendable {
    /// An input record of one of the patient topics.
    case message(KafkaMessage)
    /// A punctuation: time-driven rules due at or before this instant fire.
    case tick(Date)
    /// The grace of a pending instant ended (wall clock): evaluate the instants that are ready.
    case instantsReady(Date)
    /// A drug's status changed at a site (nil: a site-less inventory event): re-evaluate its patients.
    case inventoryChanged(site: String, at: Date, cause: OutputCause)
}

/// What the poll loop and one partition task share: the inbox, the task's lifecycle flags and
/// its progress.
package final class PartitionRunner: Sendable {
    package let partition: Int
    package let inbox: PartitionInbox<PartitionWork>
    private let flags = Mutex((restored: false, lost: false, finished: false))
    private let finishWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    /// When the task wants ``PartitionWork/instantsReady(_:)`` (wall clock), if it does.
    private let wakeAt = Mutex<Date?>(nil)
    package let progress = PartitionProgress()

    /// - Parameter flowControl: pauses or resumes fetching the partition (see ``PartitionInbox``).
    package init(
        partition: Int, bufferSize: Int,
        flowControl: @escaping @Sendable (PartitionInbox<PartitionWork>.FlowControl) -> Void
    ) {
        self.partition = partition
        self.inbox = PartitionInbox(
            highWaterMark: bufferSize, lowWaterMark: max(1, bufferSize / 4), flowControl: flowControl)
    }

    package var isRestored: Bool { flags.withLock { $0.restored } }
    package var isLost: Bool { flags.withLock { $0.lost } }

    func markRestored() {
        flags.withLock { $0.restored = true }
        progress.noteProgress()
    }

    /// Asks for ``PartitionWork/instantsReady(_:)`` at `instant` (nil: not at all); replaces the
    /// earlier request.
    func wake(at instant: Date?) {
        wakeAt.withLock { $0 = instant }
    }

    /// When the task asked to be woken, if it did.
    var requestedWake: Date? { wakeAt.withLock { $0 } }

    /// Whether the task asked to be woken by `now`; the request is then withdrawn.
    func takeWake(dueBy now: Date) -> Bool {
        wakeAt.withLock { wake in
            guard let due = wake, due <= now else { return false }
            wake = nil
            return true
        }
    }

    /// The partition was taken away without a chance to commit: stop without retrying.
    package func markLost() { flags.withLock { $0.lost = true } }

    func markFinished() {
        flags.withLock { $0.finished = true }
        let waiters = finishWaiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the partition task has ended.
    package func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = flags.withLock { $0.finished }
            if done {
                continuation.resume()
            } else {
                finishWaiters.withLock { $0.append(continuation) }
                if flags.withLock({ $0.finished }) { markFinished() }
            }
        }
    }
}
