import Foundation
import KafkaClient
import Testing
import ToxTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The demo course through a real `toxd` on the embedded cluster, fed by Python confluent-kafka:
/// the live chart draws every event the worker holds and every output it published (as an
/// independent client reads them), and the pharmacy's worklist shows the recommendation it published.
///
/// The worker evaluates a patient once per batch of its records, so how the records arrive decides
/// which instants get outputs (a fast feed coalesces more): the live chart is checked against what
/// was published, not against the file form's one-record-at-a-time outputs.
@Suite("toxctl chart and pharmacy on the demo course", .serialized, .timeLimit(.minutes(5)))
struct DemoCourseLiveTests {
    static let root = BuildProducts.repositoryRoot
    static let feeder = root.appendingPathComponent("Scripts/demo-data/feed.py").path
    static let course = root.appendingPathComponent("Scripts/demo-data/course.json").path

    /// Every record of the course file: (eventId, occurredAt) of the admission, the events and the stock.
    static func courseRecords() throws -> [(id: String, time: String)] {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: course))) as? [String: Any])
        let records =
            [document["patient"] as? [String: Any] ?? [:]] + (document["events"] as? [[String: Any]] ?? [])
            + (document["inventory"] as? [[String: Any]] ?? [])
        return records.compactMap { record in
            guard let id = record["eventId"] as? String, let time = record["occurredAt"] as? String else { return nil }
            return (id, time)
        }
    }

    @Test("every event and every published output is drawn at its time; the worklist shows the published advice")
    func demoCourse() async throws {
        let cluster = try Ops.cluster(partitions: 4)
        let worker = ManagedProcess(
            "toxd", executable: try BuildProducts.url("toxd"),
            arguments: [
                "--brokers", cluster.bootstrapServers, "--group", "toxd-chart-test", "--http-port", "0", "--log-level",
                "info",
            ],
            environment: [
                "TOXD_PUNCTUATION_INTERVAL_SECONDS": "1", "TOXD_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "TOXD_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            ])
        try worker.start()
        defer { worker.send(SIGKILL) }
        try await worker.waitForLog(timeout: .seconds(60)) { $0.contains("assignment changed") }
        let fed = try await runCommand(
            "python3",
            [Self.feeder, "feed", "--bootstrap", cluster.bootstrapServers, "--course", Self.course, "--delay", "0.02"])
        #expect(fed.status == 0, "\(fed.stderr)")
        let records = try Self.courseRecords()

        // The worker has applied the whole course once its changelog holds every event (each batch
        // writes its outputs before the changelog).
        func liveChart() async throws -> DrawnChart? {
            let result = try await Ops.toxctl([
                "chart", "--brokers", cluster.bootstrapServers, "--patient", "DEMO-0001",
            ])
            return result.status == 0 ? try DrawnChart(Data(result.stdout.utf8)) : nil
        }
        try await eventually(
            "the worker's changelog holds the whole course", timeout: .seconds(180), every: .milliseconds(500)
        ) {
            try await liveChart()?.problems(events: records).isEmpty ?? false
        }

        // Instants are evaluated once the evaluation grace (2 s) has passed after their records
        // (issue 12), so the outputs follow the changelog: read them once they stopped growing.
        func report() async throws -> [[String: Any]] {
            let report = try await runCommand(
                "python3",
                [
                    Self.feeder, "report", "--bootstrap", cluster.bootstrapServers, "--patient", "DEMO-0001", "--json",
                    "--quiet", "1",
                ])
            return try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        }
        var previous = try await report()
        let published = try await eventually(
            "the published outputs stop growing", timeout: .seconds(120), every: .seconds(4)
        ) {
            () async throws -> [[String: Any]]? in
            let again = try await report()
            defer { previous = again }
            return again.count == previous.count ? again : nil
        }
        let outputs = published.compactMap { $0["body"] as? [String: Any] }.compactMap {
            body -> (id: String, time: String)? in
            guard let id = body["id"] as? String, let time = body["assessedAt"] as? String else { return nil }
            return (id, time)
        }
        #expect(outputs.count > 10)
        let chart = try #require(try await liveChart())
        #expect(chart.problems(events: records).isEmpty, "\(chart.problems(events: records))")
        #expect(chart.problems(outputs: outputs).isEmpty, "\(chart.problems(outputs: outputs))")
        #expect(
            Set(chart.elements.compactMap { $0["data-output-id"] }) == Set(outputs.map(\.id)),
            "nothing drawn that was not published")

        // The pharmacy on day 5, mid-taper: the latest recommendation then, as published.
        let at = "2026-03-06T12:00:00Z"
        let latest = try #require(
            published.compactMap { $0["body"] as? [String: Any] }
                .filter {
                    $0["type"] as? String == "anakinra-recommendation" && ($0["assessedAt"] as? String ?? "") <= at
                }
                .last)
        let worklist = try await Ops.toxctl([
            "pharmacy", "--brokers", cluster.bootstrapServers, "--site", "main", "--at", at, "--json",
        ])
        #expect(worklist.status == 0, "\(worklist.stderr)")
        let document = try Ops.json(worklist.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let patient = try #require((document["patients"] as? [[String: Any]])?.first)
        #expect(
            patient["patientId"] as? String == "DEMO-0001"
                && patient["action"] as? String == latest["action"] as? String)
        #expect(patient["recommendationId"] as? String == latest["id"] as? String)
        #expect(patient["nextDoseDueAt"] as? String == latest["nextDoseDueAt"] as? String)
        let dose = try #require(patient["dose"] as? [String: Any])
        let publishedDose = try #require(latest["dose"] as? [String: Any])
        #expect(
            dose["mg"] as? Int == publishedDose["mg"] as? Int
                && dose["frequency"] as? String == publishedDose["frequency"] as? String)
        #expect(patient["verification"] as? String == "unverified")
        withExtendedLifetime(cluster) {}
    }
}
