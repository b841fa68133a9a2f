import KafkaClient

/// How `toxd`'s Kafka clients batch what they produce and fetch what they consume (issue 14), as
/// named settings with the values `toxd` has always used as defaults. A `kafka` pass-through
/// property of the same librdkafka name (`TOXD_KAFKA_LINGER_MS`, `--kafka linger.ms=1` …) wins over
/// the named setting.
///
/// Keys (YAML name / environment variable / flag, librdkafka property):
/// - `producerLingerMilliseconds` / `TOXD_PRODUCER_LINGER_MILLISECONDS` / `--producer-linger-milliseconds`
///   (`linger.ms`, default 5, 0–10000): how long the producer waits to fill a batch.
/// - `producerBatchMessages` / `TOXD_PRODUCER_BATCH_MESSAGES` / `--producer-batch-messages`
///   (`batch.num.messages`, default 10000, 1–1000000): records per produce request and partition.
/// - `fetchWaitMilliseconds` / `TOXD_FETCH_WAIT_MILLISECONDS` / `--fetch-wait-milliseconds`
///   (`fetch.wait.max.ms`, default 100, 0–10000): how long the broker may hold a fetch for
///   `fetchMinBytes` to arrive.
/// - `fetchMinBytes` / `TOXD_FETCH_MIN_BYTES` / `--fetch-min-bytes` (`fetch.min.bytes`, default 1,
///   1–100000000): the bytes a fetch waits for.
/// - `fetchQueueKilobytes` / `TOXD_FETCH_QUEUE_KILOBYTES` / `--fetch-queue-kilobytes`
///   (`queued.max.messages.kbytes`, default 16384, 1–2097151): the prefetch bound per consumer.
///
/// None of them touches exactly-once: the producer stays idempotent whatever its batching, and the
/// worker's outputs, checkpoints and offset commits follow the batch protocol, not the fetch size.
package struct KafkaPipelineSettings: Sendable, Equatable {
    package var producerLinger: Duration = .milliseconds(5)
    package var producerBatchMessages = 10_000
    package var fetchWait: Duration = .milliseconds(100)
    package var fetchMinBytes = 1
    package var fetchQueueKilobytes = 16_384

    package init() {}

    /// The settings' keys, for a loader's list of known keys.
    package static let keys: Set<String> = [
        "producerLingerMilliseconds", "producerBatchMessages", "fetchWaitMilliseconds", "fetchMinBytes",
        "fetchQueueKilobytes",
    ]

    /// Takes the values `settings` gives, validated; the others keep their defaults.
    package mutating func load(from settings: LayeredSettings) throws(ConfigurationError) {
        if let milliseconds = try settings.integer("producerLingerMilliseconds", in: 0...10_000) {
            producerLinger = .milliseconds(milliseconds)
        }
        producerBatchMessages =
            try settings.integer("producerBatchMessages", in: 1...1_000_000) ?? producerBatchMessages
        if let milliseconds = try settings.integer("fetchWaitMilliseconds", in: 0...10_000) {
            fetchWait = .milliseconds(milliseconds)
        }
        fetchMinBytes = try settings.integer("fetchMinBytes", in: 1...100_000_000) ?? fetchMinBytes
        fetchQueueKilobytes = try settings.integer("fetchQueueKilobytes", in: 1...2_097_151) ?? fetchQueueKilobytes
    }

    /// Applies the producer settings under `passedThrough` (the `kafka` properties, which win).
    func apply(to producer: inout KafkaProducerConfiguration, passedThrough: [String: String]) {
        producer.linger = producerLinger
        producer.additionalConfig = ["batch.num.messages": String(producerBatchMessages)].merging(passedThrough) {
            _, passed in passed
        }
    }

    /// Applies the consumer settings under `passedThrough` (the `kafka` properties, which win).
    func apply(to consumer: inout KafkaConsumerConfiguration, passedThrough: [String: String]) {
        consumer.fetchMaxWait = fetchWait
        consumer.additionalConfig = [
            "fetch.min.bytes": String(fetchMinBytes), "queued.max.messages.kbytes": String(fetchQueueKilobytes),
        ].merging(passedThrough) { _, passed in passed }
    }
}
