/// How a client talks to the brokers. Any SASL or SSL detail (`sasl.mechanism`, `sasl.username`,
/// `sasl.password`, `ssl.ca.location` …) goes through `additionalConfig` unchanged.
package enum KafkaSecurityProtocol: String, Sendable, Hashable, CaseIterable {
    case plaintext
    case ssl
    case saslPlaintext = "sasl_plaintext"
    case saslSSL = "sasl_ssl"
}

/// Which librdkafka property values may be printed (start-up logs, `--verbose`, configuration
/// errors): an allow-list of properties known to be harmless. Every other value, whatever its name
/// (`sasl.password`, `sasl.oauthbearer.config`, `ssl.keystore.password`, `ssl.key.pem`, a property
/// librdkafka adds later), is printed as `<redacted>`.
package enum KafkaPropertyRedaction {
    /// What stands for a value that is not printed.
    package static let redacted = "<redacted>"

    /// Properties whose values say nothing secret: addresses, mechanisms, ids, modes and sizes.
    package static let harmless: Set<String> = [
        "bootstrap.servers", "metadata.broker.list", "security.protocol", "sasl.mechanism", "sasl.mechanisms",
        "client.id", "group.id", "group.instance.id", "client.rack", "debug", "log_level",
        "acks", "request.required.acks", "enable.idempotence", "compression.codec", "compression.type",
        "partitioner", "partition.assignment.strategy", "isolation.level", "auto.offset.reset",
        "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof", "allow.auto.create.topics",
        "api.version.request", "broker.version.fallback", "broker.address.family",
        "batch.num.messages", "batch.size", "queue.buffering.max.messages", "queue.buffering.max.kbytes",
        "message.max.bytes", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes",
        "queued.min.messages", "queued.max.messages.kbytes", "message.send.max.retries", "retries",
        "ssl.endpoint.identification.algorithm", "test.mock.num.brokers",
    ]

    /// Whether the value of `name` may be printed: an allow-listed property, or a duration
    /// (`….ms`, every timeout and interval) whose value is a whole number.
    package static func isHarmless(_ name: String, value: String) -> Bool {
        if harmless.contains(name) { return true }
        return name.hasSuffix(".ms") && !value.isEmpty && value.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The value to print for property `name`: `value` itself when harmless, else `<redacted>`.
    package static func displayValue(_ name: String, _ value: String) -> String {
        isHarmless(name, value: value) ? value : redacted
    }

    /// `key=value` for every property, sorted by key, values redacted as ``displayValue(_:_:)`` says.
    package static func describe(_ properties: [String: String]) -> [String] {
        properties.keys.sorted().map { "\($0)=\(displayValue($0, properties[$0] ?? ""))" }
    }
}

/// librdkafka property names whose values must never be printed: every one but the harmless ones
/// (``KafkaPropertyRedaction``).
package enum KafkaSecretProperties {
    package static func isSecret(_ name: String, value: String = "") -> Bool {
        !KafkaPropertyRedaction.isHarmless(name, value: value)
    }
}

/// Configuration of a ``KafkaProducer``.
///
/// Keys (librdkafka property in parentheses):
/// - `bootstrapServers` (`bootstrap.servers`): `[String]`, required, `HOST:PORT` each.
/// - `clientID` (`client.id`): default `toxwatch`.
/// - `idempotent` (`enable.idempotence`): default `true` — no duplicates or reordering on retries.
/// - `transactionalID` (`transactional.id`): default nil; set it to use transactions.
/// - `transactionTimeout` (`transaction.timeout.ms`): default 60 s (`message.timeout.ms` is capped at it).
/// - `linger` (`linger.ms`): default 5 ms, how long librdkafka waits to fill a batch.
/// - `deliveryTimeout` (`message.timeout.ms`): default 120 s, after which an undelivered record fails.
/// - `maxQueuedMessages` (`queue.buffering.max.messages`): default 100,000 records in flight locally.
/// - `compression` (`compression.codec`): default `none`.
/// - `securityProtocol` (`security.protocol`): default nil (librdkafka's `plaintext`).
/// - `additionalConfig`: any other librdkafka property, applied last (it overrides the typed keys).
///   Only the values of harmless properties are ever printed (``KafkaPropertyRedaction``).
package struct KafkaProducerConfiguration: Sendable {
    package enum Compression: String, Sendable, Hashable, CaseIterable {
        case none, gzip, snappy, lz4, zstd
    }

    package var bootstrapServers: [String]
    package var clientID: String = "toxwatch"
    package var idempotent: Bool = true
    package var transactionalID: String?
    package var transactionTimeout: Duration = .seconds(60)
    package var linger: Duration = .milliseconds(5)
    package var deliveryTimeout: Duration = .seconds(120)
    package var maxQueuedMessages: Int = 100_000
    package var compression: Compression = .none
    package var securityProtocol: KafkaSecurityProtocol?
    package var additionalConfig: [String: String] = [:]

    package init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties this configuration sets.
    package func librdkafkaProperties() -> [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "enable.idempotence": idempotent || transactionalID != nil ? "true" : "false",
            "linger.ms": String(linger.kafkaMilliseconds),
            "message.timeout.ms": String(deliveryTimeout.kafkaMilliseconds),
            "queue.buffering.max.messages": String(maxQueuedMessages),
            "compression.codec": compression.rawValue,
            "log.connection.close": "false",
        ]
        if let transactionalID {
            properties["transactional.id"] = transactionalID
            properties["transaction.timeout.ms"] = String(transactionTimeout.kafkaMilliseconds)
            // librdkafka requires message.timeout.ms <= transaction.timeout.ms.
            properties["message.timeout.ms"] = String(
                min(deliveryTimeout.kafkaMilliseconds, transactionTimeout.kafkaMilliseconds))
        }
        if let securityProtocol { properties["security.protocol"] = securityProtocol.rawValue }
        properties.merge(additionalConfig) { _, new in new }
        return properties
    }
}

/// Configuration of a ``KafkaConsumer``.
///
/// Keys (librdkafka property in parentheses):
/// - `bootstrapServers` (`bootstrap.servers`): required.
/// - `strategy`: ``ConsumptionStrategy/group(id:topics:)`` (subscribe as a member of a consumer group)
///   or ``ConsumptionStrategy/allPartitions(topics:)`` (read every partition from the beginning without
///   joining a group, for global tables).
/// - `clientID` (`client.id`): default `toxwatch`.
/// - `assignmentStrategy` (`partition.assignment.strategy`): default `.range`, which gives one member
///   partition p of every subscribed topic (co-partitioning); `.cooperativeSticky` rebalances incrementally.
/// - `isolationLevel` (`isolation.level`): default `.readCommitted`.
/// - `autoOffsetReset` (`auto.offset.reset`): default `.earliest`, where to start without a committed offset.
/// - `sessionTimeout` (`session.timeout.ms`): default 45 s. `heartbeatInterval` (`heartbeat.interval.ms`): 3 s.
/// - `maxPollInterval` (`max.poll.interval.ms`): default 300 s; also the upper bound of a rebalance.
/// - `maxBatchSize`: default 2,048 messages per ``KafkaConsumerEvent/messages(_:)`` batch.
/// - `bufferCapacity`: default 8,192 messages buffered ahead of the application; when it is full the
///   poll thread stops taking messages from librdkafka, whose own prefetch is bounded by
///   `queued.max.messages.kbytes` (16 MiB here), so fetching pauses instead of memory growing.
/// - `rebalanceAcknowledgementTimeout`: default 60 s; how long a revocation waits for
///   ``KafkaRebalanceEvent/acknowledge()`` before librdkafka is allowed to proceed anyway.
/// - `fetchMaxWait` (`fetch.wait.max.ms`): default 100 ms. Real Kafka answers a waiting fetch as soon as
///   data arrives; the librdkafka 2.0.2 mock holds it for the full wait, so this bounds the mock's latency.
/// - Prefetch is bounded by bytes: `queued.max.messages.kbytes` 16 MiB, `queued.min.messages` 1,000,000.
/// - `enable.auto.commit` and `enable.auto.offset.store` are always `false` unless overridden in
///   `additionalConfig`: offsets are stored and committed by the application.
/// - `securityProtocol` (`security.protocol`), `additionalConfig`: as for the producer.
package struct KafkaConsumerConfiguration: Sendable {
    package enum ConsumptionStrategy: Sendable, Hashable {
        /// Join consumer group `id` and subscribe to `topics`.
        case group(id: String, topics: [String])
        /// Read every partition of `topics` from the beginning, without a group; the consumer reports
        /// ``KafkaConsumerEvent/caughtUp`` once it has read what existed at start, then keeps following.
        case allPartitions(topics: [String])
        /// Read the given partitions from the given offsets (``KafkaOffset/beginning`` allowed), without
        /// a group; ``KafkaConsumerEvent/caughtUp`` once each has been read up to its end offset at start.
        case partitions([TopicPartitionOffset])
    }

    package enum AssignmentStrategy: String, Sendable, Hashable, CaseIterable {
        case range
        case roundRobin = "roundrobin"
        case cooperativeSticky = "cooperative-sticky"
    }

    package enum IsolationLevel: String, Sendable, Hashable, CaseIterable {
        case readCommitted = "read_committed"
        case readUncommitted = "read_uncommitted"
    }

    package enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
        case earliest, latest, error
    }

    package var bootstrapServers: [String]
    package var strategy: ConsumptionStrategy
    package var clientID: String = "toxwatch"
    package var assignmentStrategy: AssignmentStrategy = .range
    package var isolationLevel: IsolationLevel = .readCommitted
    package var autoOffsetReset: AutoOffsetReset = .earliest
    package var sessionTimeout: Duration = .seconds(45)
    package var heartbeatInterval: Duration = .seconds(3)
    package var maxPollInterval: Duration = .seconds(300)
    package var maxBatchSize: Int = 2048 {
        didSet { precondition(maxBatchSize > 0, "maxBatchSize must be positive") }
    }
    package var bufferCapacity: Int = 8192 {
        didSet { precondition(bufferCapacity > 0, "bufferCapacity must be positive") }
    }
    package var rebalanceAcknowledgementTimeout: Duration = .seconds(60)
    package var fetchMaxWait: Duration = .milliseconds(100)
    package var securityProtocol: KafkaSecurityProtocol?
    package var additionalConfig: [String: String] = [:]

    package init(bootstrapServers: [String], strategy: ConsumptionStrategy) {
        self.bootstrapServers = bootstrapServers
        self.strategy = strategy
    }

    /// The group id used on the wire. Assign mode needs one for librdkafka's consumer machinery, but
    /// never joins the group nor commits.
    package var groupID: String {
        switch strategy {
        case .group(let id, _): id
        case .allPartitions, .partitions: additionalConfig["group.id"] ?? "toxwatch.reader.\(clientID)"
        }
    }

    /// The librdkafka properties this configuration sets.
    package func librdkafkaProperties() -> [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "group.id": groupID,
            "partition.assignment.strategy": assignmentStrategy.rawValue,
            "isolation.level": isolationLevel.rawValue,
            "auto.offset.reset": autoOffsetReset.rawValue,
            "session.timeout.ms": String(sessionTimeout.kafkaMilliseconds),
            "heartbeat.interval.ms": String(heartbeatInterval.kafkaMilliseconds),
            "max.poll.interval.ms": String(maxPollInterval.kafkaMilliseconds),
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "fetch.wait.max.ms": String(fetchMaxWait.kafkaMilliseconds),
            "queued.max.messages.kbytes": "16384",
            // Let the byte bound govern prefetch: with librdkafka 2.0.2's default (100,000) the fetcher
            // stalls for hundreds of milliseconds at a time once the consumer keeps up (measured with
            // `toxctl dev-broker --benchmark`: 0.2-0.3 M/s instead of ~1 M/s).
            "queued.min.messages": "1000000",
            "log.connection.close": "false",
        ]
        switch strategy {
        case .allPartitions, .partitions: properties["enable.partition.eof"] = "true"
        case .group: break
        }
        if let securityProtocol { properties["security.protocol"] = securityProtocol.rawValue }
        properties.merge(additionalConfig) { _, new in new }
        return properties
    }
}

/// Configuration of a ``KafkaAdminClient``.
///
/// - `bootstrapServers` (`bootstrap.servers`): required.
/// - `clientID` (`client.id`): default `toxwatch-admin`.
/// - `requestTimeout`: default 5 s; every admin call fails with ``KafkaError/Code/timedOut`` or
///   ``KafkaError/Code/transport`` after it, so an unreachable broker is reported within seconds
///   (also sets `socket.connection.setup.timeout.ms`).
/// - `securityProtocol`, `additionalConfig`: as for the producer.
package struct KafkaAdminConfiguration: Sendable {
    package var bootstrapServers: [String]
    package var clientID: String = "toxwatch-admin"
    package var requestTimeout: Duration = .seconds(5)
    package var securityProtocol: KafkaSecurityProtocol?
    package var additionalConfig: [String: String] = [:]

    package init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    package func librdkafkaProperties() -> [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "socket.connection.setup.timeout.ms": String(max(1000, requestTimeout.kafkaMilliseconds)),
            "reconnect.backoff.max.ms": "1000",
            "log.connection.close": "false",
        ]
        if let securityProtocol { properties["security.protocol"] = securityProtocol.rawValue }
        properties.merge(additionalConfig) { _, new in new }
        return properties
    }
}

extension Duration {
    /// Whole milliseconds, clamped to librdkafka's `int` range.
    package var kafkaMilliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        if millis.overflow { return Int(Int32.max) }
        let total = millis.partialValue + attoseconds / 1_000_000_000_000_000
        return Int(max(0, min(total, Int64(Int32.max))))
    }
}
