import Foundation
import KafkaClient
import Testing

/// Issue 18.9: Kafka property values are printed only for an allow-list of harmless properties.
@Suite("Kafka property redaction")
struct KafkaPropertyRedactionTests {
    @Test(
        "every value but the harmless ones is <redacted>",
        arguments: [
            ("sasl.oauthbearer.config", "principal=svc extension_x=secret", "<redacted>"),
            ("sasl.oauthbearer.client.secret", "secret", "<redacted>"),
            ("ssl.keystore.password", "secret", "<redacted>"), ("ssl.key.pem", "-----BEGIN", "<redacted>"),
            ("ssl_key", "secret", "<redacted>"), ("sasl.kerberos.keytab", "/etc/krb5.keytab", "<redacted>"),
            ("sasl.username", "svc-toxwatch", "<redacted>"), ("a.future.secret.property", "x", "<redacted>"),
            ("bootstrap.servers", "kafka-1:9092", "kafka-1:9092"), ("security.protocol", "SASL_SSL", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512", "SCRAM-SHA-512"), ("client.id", "toxctl", "toxctl"),
            ("session.timeout.ms", "45000", "45000"), ("socket.timeout.ms", "secret", "<redacted>"),
        ])
    func display(_ name: String, _ value: String, _ shown: String) {
        #expect(KafkaPropertyRedaction.displayValue(name, value) == shown)
    }

    @Test("toxctl --verbose logs its connection with the same redaction")
    func toxctlVerbose() async throws {
        let result = try await Ops.toxctl([
            "topics", "verify", "--brokers", "127.0.0.1:1", "--timeout", "1", "--verbose",
            "--kafka", "sasl.oauthbearer.config=principal=svc extension_token=s3cr3t", "--kafka", "client.rack=r1",
        ])
        #expect(result.stderr.contains("toxctl: kafka bootstrap.servers=127.0.0.1:1"), "\(result.stderr)")
        #expect(result.stderr.contains("sasl.oauthbearer.config=<redacted>"))
        #expect(result.stderr.contains("client.rack=r1"))
        #expect(!result.stderr.contains("s3cr3t"))
    }

    @Test("toxctl --version prints the package and librdkafka versions")
    func version() async throws {
        // Before: "Unknown option '--version'", exit 64.
        let result = try await Ops.toxctl(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("toxctl 0.1.0 (librdkafka 2.0.2)"), "\(result.stdout)")
    }
}
