import ClinicalEvents
import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWorker
import ToxicityRules

#if canImport(Glibc)
import Glibc
#endif

/// `toxd` as separate processes against the embedded cluster, driven and checked from the outside.
@Suite("toxd end to end", .serialized, .timeLimit(.minutes(10)))
struct ToxdEndToEndTests {
    static let outputTopics = [
        ToxWatchTopics.toxicityGrades, ToxWatchTopics.anakinraRecommendations, ToxWatchTopics.shortageAlternatives,
        ToxWatchTopics.deadLetters, ToxWatchTopics.patientStateChangelog,
    ]

    /// Runs the worker logic in this process over the same input, partition by partition in offset
    /// order: the single-process reference the distributed run must agree with.
    static func reference(_ inputs: [CollectedRecord], partitions: Int) -> [String: PatientState] {
        var states: [String: PatientState] = [:]
        for partition in 0..<partitions {
            var processor = PartitionProcessor(partition: partition, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600))
            let records = inputs.filter { $0.partition == partition }.sorted { ($0.offset, $0.topic) < ($1.offset, $1.topic) }.map {
                KafkaMessage(
                    topic: $0.topic, partition: $0.partition, offset: $0.offset, key: $0.key.map { Array($0.utf8) },
                    value: $0.value.map { Array($0.utf8) })
            }
            _ = processor.process(records, inventory: .empty, now: Date())
            states.merge(processor.patients) { current, _ in current }
        }
        return states
    }

    /// The exactly-once checks shared by the crash and fault tests.
    static func audit(_ harness: E2EHarness, generated: [InputLine]) async throws -> OutputAudit {
        try await harness.waitUntilQuiet()
        let audit = try OutputAudit(try await harness.collect(outputTopics))
        #expect(audit.duplicates.isEmpty, "output ids written twice: \(audit.duplicates.prefix(5))")
        // Every poison record has exactly one dead letter, nothing else has one.
        let poison = generated.filter { $0.poison == true }.count
        #expect(audit.deadLetters.count == poison)
        // Nothing lost: every patient's final state holds every valid event generated for it.
        var expected: [String: Set<String>] = [:]
        for line in generated where line.poison != true {
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.value.utf8)) as? [String: Any],
                let eventId = json["eventId"] as? String
            else { continue }
            expected[line.key, default: []].insert(eventId)
        }
        #expect(audit.states.count == expected.count, "patients with a changelog state")
        var mismatched: [String] = []
        for (patientId, ids) in expected {
            let stored = Set(audit.states[patientId]?.events.map(\.event.eventId) ?? [])
            if stored != ids { mismatched.append(patientId) }
        }
        #expect(mismatched.isEmpty, "patients whose final state lacks events: \(mismatched.prefix(5))")
        if let debug = ProcessInfo.processInfo.environment["E2E_DEBUG"] {
            var lines: [String] = []
            for patientId in mismatched.sorted() {
                let stored = Set(audit.states[patientId]?.events.map(\.event.eventId) ?? [])
                let missing = expected[patientId, default: []].subtracting(stored).sorted()
                lines.append("\(patientId) applied=\(audit.states[patientId]?.appliedOffsets ?? [:]) missing=\(missing)")
            }
            let admin = try KafkaAdminClient(configuration: .init(bootstrapServers: harness.cluster.bootstrapServerList), logger: E2EHarness.logger)
            for partition in 0..<harness.partitions {
                for topic in [ToxWatchTopics.patientStateChangelog, ToxWatchTopics.vitals, ToxWatchTopics.toxicityGrades] {
                    let marks = try await admin.watermarks(TopicPartition(topic, partition))
                    lines.append("\(topic)[\(partition)] \(marks)")
                }
            }
            await admin.close()
            for worker in harness.workers { lines.append("=== \(worker.key)\n\(worker.value.standardError)") }
            try? lines.joined(separator: "\n").write(toFile: debug, atomically: true, encoding: .utf8)
        }
        // What each state says it published is the last output in the log (none missing).
        let lastGrades = audit.last(ToxWatchTopics.toxicityGrades)
        var unpublished: [String] = []
        for (patientId, state) in audit.states {
            guard let grades = lastGrades[patientId] else {
                unpublished.append(patientId)
                continue
            }
            let summary = Self.gradeSummary(grades)
            if summary != state.published.grades { unpublished.append(patientId) }
        }
        #expect(unpublished.isEmpty, "published state without its output in the log: \(unpublished.prefix(5))")
        if let debug = ProcessInfo.processInfo.environment["E2E_DEBUG"], let patientId = unpublished.first {
            let outputs = audit.outputs.filter { $0.key == patientId }.map { "\($0.topic)@\($0.offset) \($0.outputID ?? "") \(Self.gradeSummary($0.json() ?? [:]) ?? "")" }
            let changelog = try await harness.collect([ToxWatchTopics.patientStateChangelog]).filter {
                $0.key == patientId || $0.kind == "checkpoint"
            }.map { record -> String in
                let published = (record.json()?["published"] as? [String: Any])?["grades"] as? String ?? ""
                return "changelog@\(record.partition)/\(record.offset) \(record.kind ?? "") epoch=\(record.headers["toxwatch-epoch"].flatMap { $0 } ?? "") \(published)"
            }
            let text = "published=\(audit.states[patientId]?.published as Any)\n" + outputs.joined(separator: "\n") + "\n" + changelog.joined(separator: "\n")
                + "\n" + harness.workers.map { "=== \($0.key)\n\($0.value.standardError)" }.joined(separator: "\n")
            try? text.write(toFile: debug + ".unpublished", atomically: true, encoding: .utf8)
        }
        return audit
    }

    /// The grades part of the published summary, rebuilt from an output body.
    static func gradeSummary(_ body: [String: Any]) -> String? {
        func pair(_ name: String) -> String? {
            guard let domain = body[name] as? [String: Any], let grade = domain["grade"] as? Int,
                let max = domain["maxGrade"] as? Int
            else { return nil }
            return "\(grade)/\(max)"
        }
        guard let crs = pair("crs"), let icans = pair("icans"), let iecHs = body["iecHs"] as? [String: Any],
            let present = iecHs["present"] as? Bool, let iecGrade = pair("iecHs")
        else { return nil }
        return "crs=\(crs);icans=\(icans);iechs=\(present)/\(iecGrade)"
    }

    /// The final states agree with the single-process reference (events and input offsets).
    static func compareWithReference(_ harness: E2EHarness, audit: OutputAudit) async throws {
        let inputs = try await harness.collect(ToxWatchTopics.patientInputs)
        let reference = Self.reference(inputs, partitions: harness.partitions)
        var differing: [String] = []
        for (patientId, expected) in reference {
            guard let actual = audit.states[patientId]?.state() else {
                differing.append(patientId)
                continue
            }
            if Set(actual.events.map(\.eventId)) != Set(expected.events.map(\.eventId))
                || actual.appliedOffsets != expected.appliedOffsets
            {
                differing.append(patientId)
            }
        }
        #expect(reference.count == audit.states.count)
        #expect(differing.isEmpty, "patients whose state differs from the reference run: \(differing.prefix(5))")
    }

    @Test("(b) three workers, 12 partitions, 500 patients; one killed with SIGKILL and restarted: every output exactly once")
    func crashAndRestart() async throws {
        let harness = try E2EHarness(partitions: 12)
        do {
            let (file, generated) = try await harness.generate(patients: 500, eventsPerPatient: 20, poison: 30, seed: 11)
            #expect(generated.count >= 10_000)
            for name in ["w1", "w2", "w3"] { try await harness.startWorker(name) }
            async let produced: Void = harness.produce(file, rate: 2500)
            // Let the workers process part of the stream, then crash one mid-batch.
            let victim = try #require(harness.workers["w2"])
            try await victim.waitForLog(timeout: .seconds(60)) { $0.contains("partition restored") }
            try await Task.sleep(for: .seconds(2))
            victim.send(SIGKILL)
            #expect(try await victim.waitForExit(timeout: .seconds(20)) != 0)
            try await Task.sleep(for: .seconds(1))
            try await harness.startWorker("w2-restarted")
            try await produced
            try await harness.waitUntilConsumed()
            let audit = try await Self.audit(harness, generated: generated)
            try await Self.compareWithReference(harness, audit: audit)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test("(c) poison messages go to the dead-letter topic with reasons; everything else is processed")
    func poisonMessages() async throws {
        let harness = try E2EHarness(partitions: 4)
        do {
            let (file, generated) = try await harness.generate(patients: 20, eventsPerPatient: 10, poison: 12, seed: 5)
            try await harness.startWorker("w1")
            try await harness.produce(file)
            try await harness.waitUntilConsumed()
            let audit = try await Self.audit(harness, generated: generated)
            let reasons = audit.deadLetters.compactMap { $0.json()?["reason"] as? String }
            #expect(Set(reasons) == ["malformed-json", "out-of-range", "unknown-unit"])
            for letter in audit.deadLetters {
                let record = try DeadLetterRecord.decode(Data((letter.value ?? "").utf8))
                #expect(record.id == letter.outputID)
                #expect(record.originalValue != nil)
                #expect(record.source.topic.hasPrefix("cart."))
            }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test("(e) SIGTERM finishes the in-flight batch, commits and exits 0")
    func gracefulShutdown() async throws {
        let harness = try E2EHarness(partitions: 4)
        do {
            let (file, _) = try await harness.generate(patients: 40, eventsPerPatient: 10, poison: 0, seed: 3)
            let worker = try await harness.startWorker("w1")
            try await harness.produce(file)
            try await harness.waitUntilConsumed()
            worker.send(SIGTERM)
            #expect(try await worker.waitForExit(timeout: .seconds(45)) == 0)
            #expect(worker.standardError.contains("toxd stopped"))
            // Committed offsets survive the exit: a new worker has nothing left to do.
            try await harness.waitUntilConsumed(timeout: .seconds(5))
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test("(f) a worker added to a running group takes over partitions and restores their patients")
    func scaleOut() async throws {
        let harness = try E2EHarness(partitions: 6)
        do {
            let (first, firstLines) = try await harness.generate(patients: 60, eventsPerPatient: 8, poison: 0, seed: 21)
            try await harness.startWorker("w1")
            try await harness.produce(first)
            try await harness.waitUntilConsumed()
            let second = try await harness.startWorker("w2")
            try await second.waitForLog(timeout: .seconds(60)) { log in
                log.split(separator: "\n").contains { $0.contains("partition restored") && !$0.contains("patients=0 ") }
            }
            // The same patients carry on: more events, now split over both workers.
            let more = firstLines.map { line -> InputLine in
                var line = line
                line.value = line.value.replacingOccurrences(of: "\"eventId\": \"", with: "\"eventId\": \"later-")
                    .replacingOccurrences(of: "2026-03-0", with: "2026-03-1")
                return line
            }
            let moreFile = harness.directory.appendingPathComponent("more.jsonl")
            try more.map { line -> String in
                let data = try JSONSerialization.data(withJSONObject: ["topic": line.topic, "key": line.key, "value": line.value])
                return String(decoding: data, as: UTF8.self)
            }.joined(separator: "\n").write(to: moreFile, atomically: true, encoding: .utf8)
            try await harness.produce(moreFile)
            try await harness.waitUntilConsumed()
            let audit = try await Self.audit(harness, generated: firstLines + more)
            #expect(audit.states.values.allSatisfy { $0.events.count == 16 })
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test("(d) broker faults (produce, commit and fetch errors, a broker down, a coordinator move) lose and duplicate nothing")
    func brokerFaults() async throws {
        let harness = try E2EHarness(partitions: 4, brokers: 3)
        do {
            let (file, generated) = try await harness.generate(patients: 80, eventsPerPatient: 12, poison: 6, seed: 33)
            try await harness.startWorker("w1")
            try await harness.startWorker("w2")
            async let produced: Void = harness.produce(file, rate: 400)
            try await Task.sleep(for: .seconds(1))
            harness.cluster.pushRequestErrors(apiKey: .produce, errors: Array(repeating: .notLeaderForPartition, count: 5))
            harness.cluster.pushRequestErrors(apiKey: .offsetCommit, errors: Array(repeating: .rebalanceInProgress, count: 3))
            harness.cluster.pushRequestErrors(apiKey: .fetch, errors: Array(repeating: .notLeaderForPartition, count: 3))
            try await Task.sleep(for: .seconds(1))
            try harness.cluster.setCoordinator(.group, key: harness.group, broker: 2)
            try await Task.sleep(for: .seconds(1))
            try harness.cluster.setBrokerDown(3)
            try await Task.sleep(for: .seconds(3))
            try harness.cluster.setBrokerUp(3)
            try await produced
            try await harness.waitUntilConsumed()
            let audit = try await Self.audit(harness, generated: generated)
            try await Self.compareWithReference(harness, audit: audit)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
