import ArgumentParser
import Dispatch
import Foundation
import KafkaClient
import Logging
import ToxWatchContract

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `toxctl dev-broker`: librdkafka's embedded mock Kafka cluster with every ToxWatch topic.
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an embedded Kafka cluster (librdkafka's mock) with every ToxWatch topic, for development.",
        discussion: """
            Starts librdkafka's in-process mock cluster on loopback, creates every topic of the ToxWatch \
            data flow (patient-keyed topics with --partitions partitions, the inventory topic with at most \
            \(ToxWatchTopics.globalTablePartitions)), prints `bootstrap.servers=HOST:PORT,...` as the first \
            line of standard output, and runs until SIGINT or SIGTERM. Diagnostics go to standard error.

            The librdkafka 2.0.2 mock speaks the real protocol (producers, consumer groups, transactions) \
            but cannot apply topic configs (the changelog is not compacted), keeps about 5 MiB per \
            partition, answers neither ListGroups nor DescribeGroups, and binds ephemeral ports.

            Example:
              $ toxctl dev-broker --brokers 3 --partitions 6 &
              bootstrap.servers=127.0.0.1:40155,127.0.0.1:37209,127.0.0.1:43557
              $ kcat -L -b 127.0.0.1:40155
            """)

    @Option(help: "Number of brokers (ids 1…N).")
    var brokers: Int = 1

    @Option(help: "Partitions of every patient-keyed topic (they are co-partitioned).")
    var partitions: Int = ToxWatchTopics.defaultPartitions

    @Flag(help: "Log librdkafka's mock-cluster messages to standard error.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Measure consume throughput (raw librdkafka vs KafkaClient) with this many messages, then exit.",
            visibility: .hidden))
    var benchmark: Int?

    func validate() throws {
        guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 9") }
        guard (1...512).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 512") }
        if let benchmark, benchmark < 1 { throw ValidationError("--benchmark needs a positive message count") }
    }

    func run() async throws {
        var logger = Logger(label: "toxctl.dev-broker") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        if let benchmark {
            try await ConsumeBenchmark(messages: benchmark, logger: logger).run()
            return
        }
        // Install the signal handlers before anything can be printed, so a supervisor that reads the
        // first line and signals at once is handled.
        let stop = SignalWaiter(signals: [SIGINT, SIGTERM])
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        let replication = min(3, brokers)
        for topic in ToxWatchTopics.all {
            try cluster.createTopic(
                topic.name, partitions: topic.partitions(patientPartitions: partitions), replicationFactor: replication)
        }
        // Unbuffered: the first line must reach a reading supervisor at once.
        FileHandle.standardOutput.write(Data("bootstrap.servers=\(cluster.bootstrapServers)\n".utf8))
        let summary = ToxWatchTopics.all.map { "\($0.name)(\($0.partitions(patientPartitions: partitions)))" }
        FileHandle.standardError.write(
            Data(
                """
                dev-broker: \(brokers) broker(s), replication \(replication); topics: \(summary.joined(separator: " "))
                dev-broker: topic configs (e.g. cleanup.policy=compact on \(ToxWatchTopics.patientStateChangelog)) \
                cannot be applied by the librdkafka 2.0.2 mock; stop with Ctrl-C or SIGTERM.

                """.utf8))
        let signal = await stop.wait()
        FileHandle.standardError.write(Data("dev-broker: signal \(signal), stopping\n".utf8))
        await cluster.close()
    }
}

/// Waits for the first of some signals (their default action is disabled while waiting).
/// Owned by one task; the dispatch sources are only touched in `init` and `wait`.
final class SignalWaiter {
    private let sources: [any DispatchSourceSignal]
    private let received = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))

    init(signals: [Int32]) {
        let continuation = received.continuation
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func wait() async -> Int32 {
        var iterator = received.stream.makeAsyncIterator()
        let number = await iterator.next() ?? SIGTERM
        for source in sources { source.cancel() }
        return number
    }
}

/// The hidden `--benchmark N`: consume throughput of raw librdkafka and of KafkaClient on the mock.
struct ConsumeBenchmark {
    var messages: Int
    var logger: Logger

    func run() async throws {
        let partitions = 32  // keeps each partition well under the mock's ~5 MiB retention
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topic = "bench.consume.v1"
        try cluster.createTopic(topic, partitions: partitions)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        configuration.linger = .milliseconds(20)
        configuration.maxQueuedMessages = 1_000_000
        configuration.additionalConfig["batch.num.messages"] = "10000"
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let clock = ContinuousClock()
        let produceStart = clock.now
        var sent = 0
        while sent < messages {
            let count = min(50_000, messages - sent)
            _ = try await producer.send(
                (0..<count).map { index in
                    ProducerRecord(
                        topic: topic, partition: (sent + index) % partitions,
                        key: Array("patient-\(index % 1000)".utf8),
                        value: value)
                })
            sent += count
        }
        let produced = clock.now - produceStart
        await producer.close()
        print(
            "produced \(messages) messages (64-byte values, 32 partitions) in \(format(produced)): \(rate(messages, produced))"
        )

        for mode in [RawConsumeBenchmark.Mode.consumerPoll, .consumeBatchQueue] {
            let elapsed = try await RawConsumeBenchmark.measure(
                bootstrapServers: cluster.bootstrapServers, topic: topic, partitions: partitions, expected: messages,
                mode: mode)
            print("raw librdkafka (\(mode.rawValue)): \(format(elapsed)), \(rate(messages, elapsed))")
        }
        let consumer = try KafkaConsumer(
            configuration: .init(
                bootstrapServers: cluster.bootstrapServerList, strategy: .allPartitions(topics: [topic])),
            logger: logger)
        let start = clock.now
        var received = 0
        var bytes = 0
        for try await event in consumer.events {
            if case .messages(let batch) = event {
                received += batch.count
                for message in batch { bytes &+= message.value?.count ?? 0 }
                if received >= messages { break }
            }
        }
        let elapsed = clock.now - start
        print(
            "KafkaClient consumer (events, batches): \(format(elapsed)), \(rate(received, elapsed)) (\(bytes) value bytes)"
        )
        await consumer.close()
        await cluster.close()
    }

    private func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.2f s", seconds)
    }

    private func rate(_ count: Int, _ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.0f msgs/s", Double(count) / max(seconds, 1e-9))
    }
}
