import Foundation
import Testing
import Yams

@testable import ToxWorker

/// The `Ops/` folder must parse and must only refer to series `toxd` really exports.
@Suite("Ops files")
struct OpsFilesTests {
    private static let opsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Ops")

    private static func files(withExtension ext: String) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: opsDirectory, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == ext }.sorted { $0.path < $1.path }
    }

    /// Every `toxd_…` name in a text, without the `_bucket`/`_sum`/`_count` suffixes of histograms.
    private static func seriesNames(in text: String) -> Set<String> {
        let regex = /toxd_[a-z_]+/
        return Set(
            text.matches(of: regex).map { match in
                var name = String(match.output)
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    name = String(name.dropLast(suffix.count))
                }
                return name
            })
    }

    @Test("every YAML document parses")
    func yamlParses() throws {
        let files = try Self.files(withExtension: "yaml")
        #expect(files.count >= 2)
        for file in files {
            let documents = Array(try Yams.load_all(yaml: String(contentsOf: file, encoding: .utf8)))
            #expect(!documents.isEmpty, "\(file.lastPathComponent) has no document")
        }
    }

    @Test("the Kubernetes manifests hold the expected kinds, and KEDA never scales past the partitions")
    func kubernetesKinds() throws {
        let text = try String(contentsOf: Self.opsDirectory.appendingPathComponent("kubernetes/toxd.yaml"), encoding: .utf8)
        let documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
        let kinds = documents.compactMap { $0["kind"] as? String }
        #expect(kinds.sorted() == ["ConfigMap", "Deployment", "PodDisruptionBudget", "ScaledObject", "Service"])
        let scaledObject = try #require(documents.first { $0["kind"] as? String == "ScaledObject" })
        let spec = try #require(scaledObject["spec"] as? [String: Any])
        #expect(spec["maxReplicaCount"] as? Int == 12)
        let deployment = try #require(documents.first { $0["kind"] as? String == "Deployment" })
        #expect("\(deployment)".contains("/health"))
    }

    @Test("every JSON file parses")
    func jsonParses() throws {
        let files = try Self.files(withExtension: "json")
        #expect(!files.isEmpty)
        for file in files {
            _ = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
        }
    }

    @Test("alerts and the dashboard only use series toxd exports")
    func metricNamesExist() throws {
        let exported = Set(WorkerMetrics.seriesNames)
        var used: Set<String> = []
        for file in try Self.files(withExtension: "yaml") + Self.files(withExtension: "json") {
            used.formUnion(Self.seriesNames(in: try String(contentsOf: file, encoding: .utf8)))
        }
        #expect(used.count >= 10)
        #expect(used.subtracting(exported).isEmpty, "unknown series: \(used.subtracting(exported).sorted())")
    }

    @Test("every series in the catalogue appears in the exposition once it has been recorded")
    func catalogueMatchesExposition() {
        let metrics = WorkerMetrics()
        metrics.eventsConsumed(topic: "cart.vitals.v1", count: 3)
        metrics.eventsApplied(topic: "cart.vitals.v1", count: 2)
        metrics.eventsSkipped(reason: "already-applied", count: 1)
        metrics.outputProduced(type: "toxicity-grades")
        metrics.deadLettered(topic: "cart.vitals.v1", reason: "invalid-field", count: 1)
        metrics.lag(topic: "cart.vitals.v1", partition: 0, messages: 5, seconds: 1.5)
        metrics.evaluated(in: .microseconds(3))
        metrics.outputsFailed(1)
        metrics.batchFinished(in: .milliseconds(4), outcome: "committed")
        metrics.rewound(reason: "produce-failed")
        metrics.restored(patients: 7, in: .milliseconds(20))
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        for name in WorkerMetrics.seriesNames {
            #expect(exposition.contains("\n\(name)") || exposition.hasPrefix(name) || exposition.contains("\(name)_bucket"),
                "\(name) missing from /metrics")
        }
        #expect(exposition.contains("toxd_events_consumed_total{topic=\"cart.vitals.v1\"} 3"))
    }
}
