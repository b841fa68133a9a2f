import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking pipe that wakes a dedicated poll thread. librdkafka writes to it when a queue becomes
/// non-empty (`rd_kafka_queue_io_event_enable`), and our own code writes to it for commands, buffer space,
/// acknowledgements and shutdown. The poll thread blocks in `poll(2)` on the read end, never in a fixed sleep.
///
/// `@unchecked Sendable`: the descriptors are immutable after `init`; `write(2)`/`read(2)`/`poll(2)` are
/// thread-safe. ``close()`` is called once by the owning poll thread after librdkafka stopped writing;
/// ``wake()`` holds `isClosed`'s lock while writing, so a late wake-up never writes to a reused descriptor.
final class WakeupPipe: @unchecked Sendable {
    let readDescriptor: Int32
    let writeDescriptor: Int32
    private let isClosed = Mutex(false)

    init() {
        var descriptors: [Int32] = [-1, -1]
        let result = descriptors.withUnsafeMutableBufferPointer { pipe($0.baseAddress!) }
        precondition(result == 0, "pipe(2) failed: errno \(errno)")
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        for descriptor in descriptors {
            let flags = fcntl(descriptor, F_GETFL)
            _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
    }

    /// Wakes the waiting thread (a full pipe already means "wake up", so EAGAIN is fine).
    func wake() {
        isClosed.withLock { isClosed in
            guard !isClosed else { return }
            var byte: UInt8 = 1
            _ = write(writeDescriptor, &byte, 1)
        }
    }

    /// Waits until woken or `timeoutMilliseconds` pass (-1: forever). Returns whether it was woken.
    @discardableResult
    func wait(timeoutMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&descriptor, 1, timeoutMilliseconds)
            if result < 0 && errno == EINTR { continue }
            return result > 0
        }
    }

    /// Empties the pipe so the next write wakes the thread again.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(readDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    func close() {
        isClosed.withLock { $0 = true }
        #if canImport(Glibc)
        _ = Glibc.close(readDescriptor)
        _ = Glibc.close(writeDescriptor)
        #else
        _ = Darwin.close(readDescriptor)
        _ = Darwin.close(writeDescriptor)
        #endif
    }
}

/// Starts a dedicated OS thread (not one of Swift concurrency's cooperative threads) for a poll loop.
enum DedicatedThread {
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Runs blocking librdkafka calls (synchronous commits, transactions, metadata, flush) on a serial
/// dispatch queue, so they never block a thread of Swift's cooperative pool.
struct BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<Result: Sendable>(
        _ work: @escaping @Sendable () throws(KafkaError) -> Result
    ) async throws(KafkaError) -> Result {
        let outcome: Swift.Result<Result, KafkaError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }

    /// Runs `work` on the queue without waiting (clean-up from `deinit`, which cannot await).
    func dispatch(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }
}

/// A one-shot completion that async callers can await and a dedicated thread can signal.
final class CompletionSignal: Sendable {
    private enum State {
        case pending([CheckedContinuation<Void, Never>])
        case done
    }

    private let state = Mutex<State>(.pending([]))

    init() {}

    var isDone: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .done
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                switch state {
                case .done: return true
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return false
                }
            }
            if resumeNow { continuation.resume() }
        }
    }
}
