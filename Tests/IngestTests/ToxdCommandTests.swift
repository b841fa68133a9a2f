import Foundation
import Testing
import ToxTestSupport

/// `toxd` is a root command: the worker is its default subcommand (every flag works without the
/// word `worker`), `ingest` the other.
@Suite("toxd command line")
struct ToxdCommandTests {
    static func toxd(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runCommand(try BuildProducts.url("toxd").path, arguments, timeout: .seconds(30))
    }

    @Test("toxd --help describes the worker with all its flags, and lists ingest")
    func rootHelp() async throws {
        let help = try await Self.toxd(["--help"])
        #expect(help.status == 0)
        for text in [
            "--brokers", "--group", "--http-port", "--config", "--processing-guarantee", "--default-protocol",
            "--protocols-dir", "--kafka", "--log-level", "worker (default)", "ingest", "SIGTERM",
        ] {
            #expect(help.stdout.contains(text), "\(text) missing from toxd --help")
        }
    }

    @Test("toxd ingest --help lists the ingest flags")
    func ingestHelp() async throws {
        let help = try await Self.toxd(["ingest", "--help"])
        #expect(help.status == 0)
        for text in ["--hl7-topic", "--fhir-topic", "--group", "--assume-offset", "murmur2"] {
            #expect(help.stdout.contains(text), "\(text) missing from toxd ingest --help")
        }
    }

    @Test(
        "flags without a subcommand reach the worker; ingest validates its own",
        arguments: [
            (["--brokers", "127.0.0.1:1", "--log-level", "loud"], "toxd: --log-level"),
            (["worker", "--brokers", "127.0.0.1:1", "--processing-guarantee", "maybe"], "flag --processing-guarantee"),
            (["--brokers", "127.0.0.1:1", "--max-batch-size", "0"], "flag --max-batch-size: '0'"),
            (
                ["--brokers", "127.0.0.1:1", "--producer-linger-milliseconds", "10001"],
                "flag --producer-linger-milliseconds: '10001'"
            ),
            (["--brokers", "127.0.0.1:1", "--producer-batch-messages", "0"], "flag --producer-batch-messages: '0'"),
            (
                ["--brokers", "127.0.0.1:1", "--fetch-wait-milliseconds", "10001"],
                "flag --fetch-wait-milliseconds: '10001'"
            ),
            (["--brokers", "127.0.0.1:1", "--fetch-min-bytes", "0"], "flag --fetch-min-bytes: '0'"),
            (["--brokers", "127.0.0.1:1", "--fetch-queue-kilobytes", "0"], "flag --fetch-queue-kilobytes: '0'"),
            (["ingest", "--brokers", "127.0.0.1:1", "--log-level", "loud"], "toxd ingest: --log-level"),
            (["ingest", "--brokers", "127.0.0.1:1", "--kafka", "partitioner=consistent"], "murmur2_random"),
        ])
    func routing(_ arguments: [String], _ message: String) async throws {
        let result = try await Self.toxd(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
