import KafkaClient

/// Measures an owned partition's lag from the worker's own consumer, without a round trip while
/// the partition is being fetched: work queued in its inbox plus, per patient topic, the log end
/// librdkafka last saw minus the fetch position.
///
/// A partition that has data but has delivered nothing since it was assigned (its position is
/// unknown, as for a partition that was never resumed) counts from the group's committed offset,
/// and a partition whose log end librdkafka has never seen is asked for it: both cost a round trip,
/// and happen only for a partition that is not being fetched.
struct LagWatch {
    let consumer: KafkaConsumer

    func lag(of runner: PartitionRunner) async -> Int64 {
        var lag = Int64(runner.inbox.count)
        let partitions = WorkerPipeline.inputPartitions(runner.partition)
        guard let positions = try? consumer.position(partitions) else { return lag }
        var unpositioned: [(TopicPartition, Watermarks)] = []
        for position in positions {
            let partition = position.topicPartition
            let cached = consumer.cachedWatermarks(partition)
            let watermarks: Watermarks?
            if let cached {
                watermarks = cached
            } else {
                watermarks = try? await consumer.queryWatermarks(partition, timeout: .seconds(2))
            }
            guard let watermarks, watermarks.high > watermarks.low else { continue }
            if position.offset.isAbsolute {
                lag += max(0, watermarks.high - position.offset.rawValue)
            } else {
                unpositioned.append((partition, watermarks))
            }
        }
        guard !unpositioned.isEmpty,
            let committed = try? await consumer.committed(unpositioned.map(\.0), timeout: .seconds(2))
        else { return lag }
        for (entry, (_, watermarks)) in zip(committed, unpositioned) {
            let from = entry.offset.isAbsolute ? entry.offset.rawValue : watermarks.low
            lag += max(0, watermarks.high - from)
        }
        return lag
    }
}
