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
        #expect(producer.additionalConfig == ["partitioner": "murmur2_random", "sasl.username": "u"])
        let reader = clients.consumer(.allPartitions(topics: ["t"]), excluding: ["group.id", "partitioner"])
        #expect(reader.additionalConfig == ["sasl.username": "u"])
    }
}
