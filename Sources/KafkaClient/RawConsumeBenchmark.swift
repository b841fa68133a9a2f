internal import CRdKafka
import Dispatch

/// The raw-librdkafka baseline for `toxctl dev-broker --benchmark` (not used by the service): reads
/// every partition of a topic from the beginning with the C API only, the way a hand-written C consumer
/// would, so the KafkaClient consumer can be compared with it on the same broker and data.
package enum RawConsumeBenchmark {
    package enum Mode: String, Sendable {
        /// `rd_kafka_consumer_poll(rk, 100)` per message.
        case consumerPoll = "rd_kafka_consumer_poll"
        /// `rd_kafka_consume_batch_queue(queue, 100, 1000 messages)`.
        case consumeBatchQueue = "rd_kafka_consume_batch_queue"
    }

    /// Consumes `expected` messages and returns the time from assignment to the last one. Runs on a
    /// dispatch queue, not the cooperative pool.
    package static func measure(
        bootstrapServers: String, topic: String, partitions: Int, expected: Int, mode: Mode
    ) async throws(KafkaError) -> Duration {
        let executor = BlockingExecutor(label: "toxwatch.kafka.benchmark")
        return try await executor.run { () throws(KafkaError) in
            try consume(
                bootstrapServers: bootstrapServers, topic: topic, partitions: partitions, expected: expected, mode: mode
            )
        }
    }

    private static func consume(
        bootstrapServers: String, topic: String, partitions: Int, expected: Int, mode: Mode
    ) throws(KafkaError) -> Duration {
        let properties = [
            "bootstrap.servers": bootstrapServers,
            "group.id": "toxwatch.benchmark.raw.\(mode.rawValue)",
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "queued.max.messages.kbytes": "16384",
            "queued.min.messages": "1000000",
            "fetch.wait.max.ms": "100",
        ]
        let conf = try RdKafkaConfig.make(properties: properties)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .invalidConfiguration, message: errorText.cStringValue)
        }
        defer { rd_kafka_destroy(rk) }
        rd_kafka_poll_set_consumer(rk)
        let list = PartitionList.make(
            (0..<partitions).map { TopicPartitionOffset(topic, $0, KafkaOffset.beginning.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let clock = ContinuousClock()
        let start = clock.now
        let err = rd_kafka_assign(rk, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rdKafkaError: err, context: "assign") }
        var received = 0
        var bytes = 0
        let deadline = start + .seconds(300)
        switch mode {
        case .consumerPoll:
            while received < expected && clock.now < deadline {
                guard let message = rd_kafka_consumer_poll(rk, 100) else { continue }
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    received += 1
                    bytes &+= message.pointee.len
                }
                rd_kafka_message_destroy(message)
            }
        case .consumeBatchQueue:
            let queue = rd_kafka_queue_get_consumer(rk)
            defer { rd_kafka_queue_destroy(queue) }
            let batch = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: 1000)
            defer { batch.deallocate() }
            while received < expected && clock.now < deadline {
                let count = rd_kafka_consume_batch_queue(queue, 100, batch, 1000)
                guard count > 0 else { continue }
                for index in 0..<count {
                    guard let message = batch[index] else { continue }
                    if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        received += 1
                        bytes &+= message.pointee.len
                    }
                    rd_kafka_message_destroy(message)
                }
            }
        }
        let elapsed = clock.now - start
        guard received >= expected else {
            throw KafkaError(code: .timedOut, message: "raw consumer read \(received) of \(expected) messages")
        }
        _ = rd_kafka_consumer_close(rk)
        return elapsed
    }
}
