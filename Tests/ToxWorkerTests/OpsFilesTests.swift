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
        let text = try String(
            contentsOf: Self.opsDirectory.appendingPathComponent("kubernetes/toxd.yaml"), encoding: .utf8)
        let documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
        let kinds = documents.compactMap { $0["kind"] as? String }
        #expect(
            kinds.sorted() == [
                "ConfigMap", "Deployment", "Deployment", "PodDisruptionBudget", "ScaledObject", "Service", "Service",
                "TriggerAuthentication",
            ])
        // The ConfigMap's SASL_SSL + SCRAM: KEDA needs the same credentials to read the lag.
        #expect(text.contains("security.protocol: SASL_SSL"))
        let triggers = try #require(
            (documents.first { $0["kind"] as? String == "ScaledObject" }?["spec"] as? [String: Any])?["triggers"]
                as? [[String: Any]])
        for trigger in triggers {
            #expect((trigger["authenticationRef"] as? [String: Any])?["name"] as? String == "toxd-kafka")
        }
        #expect(
            documents.contains {
                $0["kind"] as? String == "TriggerAuthentication"
                    && ($0["metadata"] as? [String: Any])?["name"] as? String == "toxd-kafka"
            })
        #expect(!text.contains(":latest"), "images are pinned to a version")
        #expect(text.contains("image: registry.example.org/toxwatch/toxd:1.0.0"))
        let scaledObject = try #require(documents.first { $0["kind"] as? String == "ScaledObject" })
        let spec = try #require(scaledObject["spec"] as? [String: Any])
        #expect(spec["maxReplicaCount"] as? Int == 12)
        let deployment = try #require(documents.first { $0["kind"] as? String == "Deployment" })
        #expect("\(deployment)".contains("/health"))
    }

    @Test(
        "every Kubernetes manifest validates offline: core kinds with kubernetes-validate --strict, KEDA kinds with its CRD schema"
    )
    func manifestsValidate() async throws {
        let script = Self.opsDirectory.appendingPathComponent("validate-manifests.py").path
        let (status, output) = try Self.run("/usr/bin/env", ["python3", script])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ScaledObject/toxd (KEDA schema)"))
        #expect(output.contains("TriggerAuthentication/toxd-kafka (KEDA schema)"))
        #expect(output.contains("kubernetes-validate --strict"))
    }

    @Test("systemd: the start limit is in [Unit], and systemd-analyze verify accepts the unit when it is available")
    func systemdUnit() throws {
        let unit = try String(
            contentsOf: Self.opsDirectory.appendingPathComponent("systemd/toxd.service"), encoding: .utf8)
        var section = ""
        var keys: [String: String] = [:]
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("[") {
                section = String(line)
            } else if let equals = line.firstIndex(of: "=") {
                keys[String(line[..<equals])] = section
            }
        }
        #expect(keys["StartLimitIntervalSec"] == "[Unit]")
        #expect(keys["StartLimitBurst"] == "[Unit]")
        #expect(keys["RestartPreventExitStatus"] == "[Service]")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else { return }
        // Verify a copy whose ExecStart points at an existing executable (the unit names the install path).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("toxd-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("toxd.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/toxd", with: "/bin/true").write(
            to: copy, atomically: true, encoding: .utf8)
        let (status, output) = try Self.run("/usr/bin/systemd-analyze", ["verify", copy.path])
        #expect(status == 0 && !output.contains("Unknown key"), "\(output)")
    }

    /// Runs a program and returns its status and its combined output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
        let exported = Set(WorkerMetrics.seriesNames + IngestMetrics.seriesNames)
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
            #expect(
                exposition.contains("\n\(name)") || exposition.hasPrefix(name) || exposition.contains("\(name)_bucket"),
                "\(name) missing from /metrics")
        }
        #expect(exposition.contains("toxd_events_consumed_total{topic=\"cart.vitals.v1\"} 3"))
    }
}
