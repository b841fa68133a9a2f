// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "ToxWatch",
    // Linux only (no `platforms`): nothing here builds or tests macOS, and KafkaClient has a
    // Glibc-only call (`SOCK_STREAM.rawValue` in KafkaAPIVersionsProbe).
    products: [
        .executable(name: "toxd", targets: ["toxd"]),
        .executable(name: "toxctl", targets: ["toxctl"]),
        // The worker's per-event work behind a public API, for the separate package in Benchmarks/.
        .library(name: "ToxWatchBenchmarkSupport", targets: ["ToxWatchBenchmarkSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The metrics API WorkerMetrics and IngestMetrics emit through (Prometheus is its backend).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // Serves /metrics and /health. Without the ConfigurationSupport trait (swift-configuration):
        // nothing here reads Hummingbird's configuration from it.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // C: the system librdkafka (Debian librdkafka-dev 2.0.2), rdkafka.h and rdkafka_mock.h.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        // The only module that imports CRdKafka.
        .target(
            name: "KafkaClient",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Pure clinical logic: no I/O, no clock, no Kafka, no JSON.
        .target(name: "ToxicityRules"),
        // Anakinra protocols as data files, loaded and validated at the edge.
        .target(
            name: "ProtocolCatalog",
            dependencies: ["ToxicityRules"],
            resources: [.copy("Protocols")]
        ),
        // The event contract: wire models, validation, HL7 v2 and FHIR R4 adapters.
        .target(name: "ToxWatchContract", dependencies: ["ToxicityRules"]),
        // The pipeline: partition tasks, patient state, changelog, DLQ, metrics.
        .target(
            name: "ToxWorker",
            dependencies: [
                "KafkaClient", "ToxWatchContract", "ToxicityRules", "ProtocolCatalog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "toxd",
            dependencies: [
                "ToxWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The logic behind toxctl's operations commands (lag, topics, dlq, load, shortage), testable in-process.
        .target(
            name: "ToxOps",
            dependencies: [
                "KafkaClient", "ToxWatchContract", "ToxicityRules",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "toxctl",
            dependencies: [
                "ToxWorker", "KafkaClient", "ToxWatchContract", "ToxicityRules", "ProtocolCatalog", "ToxOps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Public entry points for Benchmarks/ (a separate package cannot see `package` declarations).
        .target(
            name: "ToxWatchBenchmarkSupport",
            dependencies: ["ToxWorker", "ToxWatchContract", "ToxicityRules", "ProtocolCatalog"]
        ),
        // The decoders of every byte read from Kafka as a fuzz target: Scripts/fuzz builds it with
        // -sanitize=fuzzer (libFuzzer); a plain build replays inputs given as arguments.
        .executableTarget(name: "toxfuzz", dependencies: ["ToxWatchContract"], path: "Fuzz/toxfuzz"),
        // Process helpers and the fixtures (HL7, FHIR, evaluate inputs) shared by the test targets.
        .target(
            name: "ToxTestSupport", dependencies: ["ToxicityRules", "ProtocolCatalog"], path: "Tests/ToxTestSupport",
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: [
                "KafkaClient", "ToxTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        // Runs the `toxctl` binary (dev-broker) and independent clients (Python confluent-kafka, kcat).
        .testTarget(
            name: "DevBrokerTests",
            dependencies: [
                "toxctl", "KafkaClient", "ToxWatchContract",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ToxWorkerTests",
            dependencies: [
                "ToxWorker", "KafkaClient", "ToxWatchContract", "ToxicityRules", "ProtocolCatalog", "ToxTestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "ToxWatchContractTests",
            dependencies: [
                "ToxWatchContract", "ToxicityRules", .product(name: "PropertyBased", package: "swift-property-based"),
                // The output contract: the worker's processor and `toxctl evaluate` produce what the schemas say.
                "ProtocolCatalog", "ToxWorker", "KafkaClient", "ToxTestSupport", "toxctl",
            ],
            resources: [.copy("Fixtures")]
        ),
        // `toxd ingest`: the raw HL7 v2 / FHIR topics → cart.* (the pure processor, and `toxd ingest`
        // as a process against the embedded cluster, fed and read by Python confluent-kafka).
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "ToxWorker", "KafkaClient", "ToxWatchContract", "ToxicityRules", "ToxTestSupport", "toxd",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ToxTestSupport", "ToxWorker", "KafkaClient", "ToxWatchContract", "ToxicityRules",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"]
        ),
        // toxctl's operations commands: ToxOps in-process and the toxctl binary against the embedded cluster.
        .testTarget(
            name: "OpsCLITests",
            dependencies: [
                "toxctl", "ToxOps", "ToxTestSupport", "KafkaClient", "ToxWatchContract", "ToxicityRules", "ProtocolCatalog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ToxicityRulesTests",
            dependencies: ["ToxicityRules", "ToxTestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        // Runs the built `toxctl` binary (found next to the test bundle, in .build/<config>/).
        .testTarget(name: "ToxctlTests", dependencies: ["toxctl", "ToxTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ProtocolCatalogTests",
            dependencies: [
                "ProtocolCatalog", "ToxicityRules", "ToxWorker", "ToxTestSupport", "ToxWatchContract",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ]
)

for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        // The project's own targets only (dependencies keep their warnings).
        .treatAllWarnings(as: .error),
    ]
}
