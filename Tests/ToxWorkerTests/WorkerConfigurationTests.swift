import KafkaClient
import Testing

@testable import ToxWorker

@Suite("Worker configuration")
struct WorkerConfigurationTests {
    @Test("flags override the environment, which overrides the file; defaults fill the rest")
    func precedence() throws {
        var loader = WorkerConfigurationLoader()
        try loader.addYAML(
            """
            brokers: file:9092
            group: from-file
            httpPort: 9000
            lateEventWindowHours: 2
            kafka:
              security.protocol: SASL_SSL
              sasl.username: file-user
            """, origin: "toxd.yaml")
        loader.addEnvironment([
            "TOXD_GROUP": "from-env", "TOXD_KAFKA_SASL_USERNAME": "env-user", "PATH": "/bin",
            "TOXD_PROTOCOLS_DIR": "/etc/toxwatch/protocols", "TOXD_SHORTAGE_HOLD_HOURS": "2.5",
            "TOXD_EVALUATION_GRACE_SECONDS": "0.5",
        ])
        loader.add("group", "from-flag", flag: "--group")
        try loader.addKafkaProperties(["sasl.password=s3cret", "client.id=a=b"])
        let configuration = try loader.configuration()
        #expect(configuration.brokers == "file:9092")
        #expect(configuration.group == "from-flag")
        #expect(configuration.httpPort == 9000)
        #expect(configuration.lateEventWindow == .seconds(7200))
        #expect(configuration.shortageHold == .seconds(9000))
        #expect(configuration.evaluationGrace == .milliseconds(500))
        #expect(WorkerConfiguration(brokers: "b:9092").evaluationGrace == .seconds(2))
        #expect(configuration.protocolsDirectory == "/etc/toxwatch/protocols")
        #expect(configuration.processingGuarantee == .exactlyOnce)
        #expect(configuration.maxBatchSize == 2000)
        #expect(
            configuration.kafka == [
                "security.protocol": "SASL_SSL", "sasl.username": "env-user", "sasl.password": "s3cret",
                "client.id": "a=b",
            ])
        #expect(configuration.redactedSummary.contains("sasl.password=<redacted>"))
        #expect(!configuration.redactedSummary.contains("s3cret"))
    }

    @Test(
        "bad values are rejected naming their origin",
        arguments: [
            ("httpPort: 70000", "toxd.yaml: httpPort: '70000' must be a whole number in 0…65535"),
            (
                "processingGuarantee: at-least-once",
                "toxd.yaml: processingGuarantee: 'at-least-once' is not one of exactly-once, transactions"
            ),
            ("grup: toxd", "toxd.yaml: grup: unknown key 'grup'"),
            ("kafka: 3", "toxd.yaml: kafka: must be a mapping of librdkafka properties"),
            (
                "producerLingerMilliseconds: -1",
                "toxd.yaml: producerLingerMilliseconds: '-1' must be a whole number in 0…10000"
            ),
            ("producerBatchMessages: 0", "toxd.yaml: producerBatchMessages: '0' must be a whole number in 1…1000000"),
            ("fetchWaitMilliseconds: 5s", "toxd.yaml: fetchWaitMilliseconds: '5s' must be a whole number in 0…10000"),
            ("fetchMinBytes: 0", "toxd.yaml: fetchMinBytes: '0' must be a whole number in 1…100000000"),
            (
                "fetchQueueKilobytes: 2097152",
                "toxd.yaml: fetchQueueKilobytes: '2097152' must be a whole number in 1…2097151"
            ),
        ])
    func rejectsBadValues(yaml: String, message: String) throws {
        var loader = WorkerConfigurationLoader()
        loader.add("brokers", "localhost:9092", flag: "--brokers")
        do {
            try loader.addYAML(yaml, origin: "toxd.yaml")
            _ = try loader.configuration()
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message))
        }
    }

    /// A pipeline setting's value as the number its key names (milliseconds, messages, bytes, KiB).
    private static func value(of key: String, in pipeline: KafkaPipelineSettings) -> Int? {
        switch key {
        case "producerLingerMilliseconds": Int(pipeline.producerLinger / .milliseconds(1))
        case "producerBatchMessages": pipeline.producerBatchMessages
        case "fetchWaitMilliseconds": Int(pipeline.fetchWait / .milliseconds(1))
        case "fetchMinBytes": pipeline.fetchMinBytes
        case "fetchQueueKilobytes": pipeline.fetchQueueKilobytes
        default: nil
        }
    }

    @Test(
        "each pipeline setting comes from the file, the environment or a flag, later ones winning",
        arguments: [
            ("producerLingerMilliseconds", "TOXD_PRODUCER_LINGER_MILLISECONDS", "--producer-linger-milliseconds"),
            ("producerBatchMessages", "TOXD_PRODUCER_BATCH_MESSAGES", "--producer-batch-messages"),
            ("fetchWaitMilliseconds", "TOXD_FETCH_WAIT_MILLISECONDS", "--fetch-wait-milliseconds"),
            ("fetchMinBytes", "TOXD_FETCH_MIN_BYTES", "--fetch-min-bytes"),
            ("fetchQueueKilobytes", "TOXD_FETCH_QUEUE_KILOBYTES", "--fetch-queue-kilobytes"),
        ])
    func pipelineSettingSources(key: String, variable: String, flag: String) throws {
        var loader = WorkerConfigurationLoader()
        loader.add("brokers", "localhost:9092", flag: "--brokers")
        try loader.addYAML("\(key): 7", origin: "toxd.yaml")
        #expect(Self.value(of: key, in: try loader.configuration().pipeline) == 7)
        loader.addEnvironment([variable: "8"])
        #expect(Self.value(of: key, in: try loader.configuration().pipeline) == 8)
        loader.add(key, "9", flag: flag)
        #expect(Self.value(of: key, in: try loader.configuration().pipeline) == 9)

        var fromEnvironment = WorkerConfigurationLoader()
        fromEnvironment.addEnvironment(["TOXD_BROKERS": "localhost:9092", variable: "many"])
        do {
            _ = try fromEnvironment.configuration()
            Issue.record("accepted \(variable)=many")
        } catch {
            #expect(error.description.hasPrefix("environment \(variable): 'many' must be a whole number"))
        }
    }

    @Test("the pipeline defaults are the values toxd always used, and a kafka property of the same name wins")
    func pipelineDefaultsAndPassThrough() throws {
        let defaults = WorkerConfiguration(brokers: "b:9092").clients
        let producer = defaults.producer(clientID: "toxd").librdkafkaProperties()
        #expect(producer["linger.ms"] == "5")
        #expect(producer["batch.num.messages"] == "10000")
        let consumer = defaults.consumer(.group(id: "toxd", topics: ["t"])).librdkafkaProperties()
        #expect(consumer["fetch.wait.max.ms"] == "100")
        #expect(consumer["fetch.min.bytes"] == "1")
        #expect(consumer["queued.max.messages.kbytes"] == "16384")

        var loader = WorkerConfigurationLoader()
        try loader.addYAML(
            """
            brokers: b:9092
            producerLingerMilliseconds: 1
            fetchWaitMilliseconds: 10
            fetchMinBytes: 4096
            """, origin: "toxd.yaml")
        loader.addEnvironment(["TOXD_KAFKA_FETCH_MIN_BYTES": "1"])
        let clients = try loader.configuration().clients
        #expect(clients.producer(clientID: "toxd").librdkafkaProperties()["linger.ms"] == "1")
        let tuned = clients.consumer(.group(id: "toxd", topics: ["t"])).librdkafkaProperties()
        #expect(tuned["fetch.wait.max.ms"] == "10")
        #expect(tuned["fetch.min.bytes"] == "1", "the pass-through property wins over the named setting")
    }

    @Test("brokers are required")
    func brokersRequired() {
        #expect(throws: ConfigurationError.self) { try WorkerConfigurationLoader().configuration() }
    }

    @Test("a --kafka value without '=' is a usage error")
    func kafkaPairNeedsEquals() {
        var loader = WorkerConfigurationLoader()
        #expect(throws: ConfigurationError("flag --kafka: 'security.protocol' is not key=value")) {
            try loader.addKafkaProperties(["security.protocol"])
        }
    }

    @Test("one client factory: pass-through properties, less those a role excludes, under those it fixes")
    func clientFactory() {
        let clients = KafkaClients(
            brokers: " a:9092, b:9092 ,", properties: ["group.id": "x", "partitioner": "random", "sasl.username": "u"])
        #expect(clients.brokers == ["a:9092", "b:9092"])
        let producer = clients.producer(
            clientID: "toxd-ingest", excluding: ["group.id"], fixed: ["partitioner": "murmur2_random"])
        #expect(producer.clientID == "toxd-ingest")
        #expect(
            producer.additionalConfig == [
                "partitioner": "murmur2_random", "sasl.username": "u", "batch.num.messages": "10000",
            ])
        let reader = clients.consumer(.allPartitions(topics: ["t"]), excluding: ["group.id", "partitioner"])
        #expect(
            reader.additionalConfig == [
                "sasl.username": "u", "fetch.min.bytes": "1", "queued.max.messages.kbytes": "16384",
            ])
    }
}
