import Foundation
import Testing
import ToxTestSupport

@testable import KafkaClient
@testable import ToxWorker

/// What `toxd` shows people (issues 15.12 and 18.9): its version, its help, and its configuration
/// with only harmless Kafka property values.
@Suite("toxd surface")
struct ToxdSurfaceTests {
    @Test("configuration summaries print only harmless Kafka property values")
    func configurationSummariesRedact() throws {
        // Before: sasl.oauthbearer.config and any secret not on a list were printed in full.
        let secrets = [
            "sasl.oauthbearer.config": "principal=svc extension_traceId=s3cr3t-1",
            "sasl.oauthbearer.client.secret": "s3cr3t-2", "ssl.keystore.password": "s3cr3t-3",
            "ssl.key.pem": "s3cr3t-4", "ssl_key": "s3cr3t-5", "sasl.kerberos.keytab": "s3cr3t-6",
            "sasl.password": "s3cr3t-7", "some.future.credential": "s3cr3t-8", "sasl.username": "s3cr3t-9",
        ]
        let harmless = [
            "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "session.timeout.ms": "45000",
            "client.id": "toxd-a",
        ]
        var worker = WorkerConfiguration(brokers: "kafka-1:9092")
        worker.kafka = secrets.merging(harmless) { a, _ in a }
        var ingest = IngestConfiguration(brokers: "kafka-1:9092")
        ingest.kafka = worker.kafka
        for summary in [worker.redactedSummary, ingest.redactedSummary] {
            #expect(!summary.contains("s3cr3t"), "\(summary)")
            for key in secrets.keys { #expect(summary.contains("\(key)=<redacted>"), "\(key)") }
            for (key, value) in harmless { #expect(summary.contains("\(key)=\(value)"), "\(key)") }
            #expect(summary.contains("brokers=kafka-1:9092"))
        }
        // A duration is printed only when its value is a number.
        #expect(KafkaPropertyRedaction.displayValue("fetch.wait.max.ms", "10") == "10")
        #expect(KafkaPropertyRedaction.displayValue("fetch.wait.max.ms", "token=abc") == "<redacted>")
        #expect(KafkaSecretProperties.isSecret("sasl.oauthbearer.config"))
        #expect(!KafkaSecretProperties.isSecret("bootstrap.servers"))
    }

    @Test("toxd --version prints the package and librdkafka versions")
    func toxdVersion() async throws {
        let result = try await runCommand(try BuildProducts.url("toxd").path, ["--version"], timeout: .seconds(30))
        #expect(result.status == 0)
        #expect(
            result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "toxd \(ToxWatchVersion.package) (librdkafka 2.0.2)")
    }

    @Test("toxd ingest --help: the example never wraps mid-command")
    func ingestHelpExample() async throws {
        // Off a terminal, ArgumentParser wraps help at 80 columns.
        let help = try await runCommand(
            try BuildProducts.url("toxd").path, ["ingest", "--help"], timeout: .seconds(30))
        #expect(help.status == 0)
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("toxd ingest --brokers localhost:9092") })
        // Each line of the example fits 80 columns and the continuation is explicit.
        #expect(lines[start].hasSuffix("\\"), "\(lines[start])")
        #expect(lines[start + 1].trimmingCharacters(in: .whitespaces).hasPrefix("--hl7-topic"))
        #expect(lines[start...(start + 1)].allSatisfy { $0.count <= 80 })
    }
}
