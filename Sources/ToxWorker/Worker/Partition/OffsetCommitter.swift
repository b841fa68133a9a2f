package import KafkaClient
package import Logging

/// Commits the input offsets of every partition task of a worker (phase 3 of the batch protocol,
/// Docs/worker.md), off the tasks' critical path.
///
/// After phase 2 a batch is durable: its changelog checkpoint records the inputs it handled, and
/// a replay skips them whether or not their offsets were committed. The commit only spares the
/// next owner re-reading them. So a task hands its offsets in and goes on with its next batch;
/// ``run()`` (a child task of the pipeline) sends one commit at a time with the latest offsets of
/// every partition handed in meanwhile (one OffsetCommit request for many partitions: librdkafka's
/// synchronous commit is a round trip, and on the mock broker often a slow one). Before a
/// partition is handed back (revocation, shutdown), its task calls ``flush()``.
package actor OffsetCommitter {
    private let consumer: KafkaConsumer
    private let logger: Logger
    /// The next offset to commit per input partition, handed in since the last commit started.
    private var pending: [TopicPartition: Int64] = [:]
    /// Callers of ``flush()``, resumed after the next commit.
    private var waiting: [CheckedContinuation<KafkaError?, Never>] = []
    /// Wakes ``run()`` when there is something to commit (one wake-up stands for any number).
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Whether ``run()`` has returned (``flush()`` then commits itself).
    private var hasEnded = false

    package init(consumer: KafkaConsumer, logger: Logger) {
        self.consumer = consumer
        self.logger = logger
        (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Hands in offsets (next offsets to read) to commit; returns at once. Offsets are only ever
    /// handed in after the batch's outputs and changelog are acknowledged.
    package func submit(_ offsets: [TopicPartitionOffset]) {
        guard !offsets.isEmpty else { return }
        // A partition belongs to one task, which hands in increasing offsets: the latest wins.
        for offset in offsets { pending[offset.topicPartition] = offset.offset.rawValue }
        wake.yield()
    }

    /// Drops the offsets of an input partition number not committed yet (its task handed the
    /// partition over without finishing: the next owner commits).
    package func discard(partition: Int) {
        pending = pending.filter { $0.key.partition != partition }
    }

    /// Waits until everything handed in so far is committed; returns the failure of that commit.
    /// After ``run()`` has ended it commits on the caller's task.
    package func flush() async -> KafkaError? {
        if hasEnded { return await commitPending() }
        return await withCheckedContinuation { continuation in
            waiting.append(continuation)
            wake.yield()
        }
    }

    /// Commits what is handed in until its task is cancelled, then whatever is still pending or
    /// awaited.
    package func run() async {
        for await _ in wakeUps {
            await commitRounds()
        }
        await commitRounds()
        hasEnded = true
    }

    /// Commits until nothing is pending and nobody waits: each round takes everything handed in.
    private func commitRounds() async {
        while !pending.isEmpty || !waiting.isEmpty {
            let round = waiting
            waiting.removeAll(keepingCapacity: true)
            let failure = await commitPending()
            for continuation in round { continuation.resume(returning: failure) }
        }
    }

    /// Commits everything pending in one request; returns its failure.
    private func commitPending() async -> KafkaError? {
        let offsets = pending.map { TopicPartitionOffset($0.key, KafkaOffset($0.value)) }
            .sorted { $0.topicPartition < $1.topicPartition }
        pending.removeAll(keepingCapacity: true)
        guard !offsets.isEmpty else { return nil }
        do throws(KafkaError) {
            try await consumer.commit(offsets)
            return nil
        } catch {
            // A later commit carries these partitions' higher offsets; after a rebalance their new
            // owners commit them.
            logger.warning("offset commit failed", metadata: ["error": "\(error)", "partitions": "\(offsets.count)"])
            return error
        }
    }
}
