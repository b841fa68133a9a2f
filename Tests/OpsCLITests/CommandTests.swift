import Foundation
import KafkaClient
import Testing
import ToxOps
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@Suite("toxctl topics, dlq, load")
struct CommandTests {
    @Test("topics verify: all present on the dev cluster, configs not reported by this broker")
    func verifyAllPresent() async throws {
        // With a 600 s request timeout, a request the mock does not answer would take ten minutes;
        // the bound below is far from both that and a loaded machine's slowness (seen: 90 s).
        let result = try await Ops.toxctl(
            ["topics", "verify", "--brokers", Ops.shared.bootstrapServers, "--timeout", "600"], timeout: .seconds(900))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("No problems found."))
        #expect(result.stdout.contains("configs not reported by this broker"))
        #expect(result.stdout.contains("Co-partitioned topics: 3 partitions each"))
        #expect(result.elapsed < .seconds(400), "no request waits for its timeout")
        let create = try await Ops.toxctl(["topics", "create", "--brokers", Ops.shared.bootstrapServers])
        #expect(create.status == 0, "\(create.stdout)\(create.stderr)")
        #expect(create.stdout.contains("All 13 topics exist."))
    }

    @Test("topics verify and create: a missing topic and a partition-count mismatch → exit 1 and a readable report")
    func verifyProblems() async throws {
        let cluster = try Ops.cluster(skipping: [ToxWatchTopics.meds], overrides: [ToxWatchTopics.vitals: 2])
        let verify = try await Ops.toxctl(["topics", "verify", "--brokers", cluster.bootstrapServers])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("2 problem(s):"))
        #expect(verify.stdout.contains("cart.meds.v1: missing"))
        #expect(
            verify.stdout.contains("cart.vitals.v1: 2 partitions; co-partitioned topics need 3 (as cart.patient.v1)"))
        #expect(verify.stderr.contains("2 problem(s) found"))
        // The mock cannot create the missing topic through the API: a clear failure.
        let create = try await Ops.toxctl(["topics", "create", "--brokers", cluster.bootstrapServers])
        #expect(create.status == 1)
        #expect(create.stdout.contains("This broker cannot create topics through the API"))
        #expect(create.stdout.contains("cart.meds.v1: missing, and this broker cannot create it"))
        #expect(create.stdout.contains("cart.vitals.v1: exists with 2 partitions, wanted 3"))
        withExtendedLifetime(cluster) {}
    }

    /// Dead letters as toxd writes them: to the partition of the source record.
    static func seedDeadLetters(_ cluster: EmbeddedKafkaCluster, tag: String) async throws -> [DeadLetterRecord] {
        let now = Date()
        func record(
            _ reason: DeadLetterReason, _ topic: String, _ partition: Int32, _ offset: Int64, hoursAgo: Double,
            key: String
        )
            -> DeadLetterRecord
        {
            DeadLetterRecord(
                reason: reason, error: .init(field: "unit", message: "unit: 'furlongs' is not accepted"),
                source: .init(topic: topic, partition: partition, offset: offset), originalKey: Data(key.utf8),
                originalValue: Data("{\"type\":\"lab\",\"tag\":\"\(tag)\",\"offset\":\(offset)}".utf8),
                originalHeaders: [.init(key: "origin", value: Data(tag.utf8)), .init(key: "empty", value: nil)],
                deadLetteredAt: now.addingTimeInterval(-hoursAgo * 3600))
        }
        let records = [
            record(.unknownUnit, ToxWatchTopics.labs, 2, 40, hoursAgo: 30, key: "MRN-\(tag)-1"),
            record(.unknownUnit, ToxWatchTopics.labs, 1, 41, hoursAgo: 1, key: "MRN-\(tag)-2"),
            record(.outOfRange, ToxWatchTopics.vitals, 0, 7, hoursAgo: 2, key: "MRN-\(tag)-3"),
        ]
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Ops.logger)
        var batch = try records.map { letter in
            ProducerRecord(
                topic: ToxWatchTopics.deadLetters, partition: Int(letter.source.partition),
                key: letter.originalKey.map { Array($0) },
                value: Array(try letter.encoded()))
        }
        batch.append(
            ProducerRecord(
                topic: ToxWatchTopics.deadLetters, partition: 0, key: nil, value: Array("garbage \(tag)".utf8)))
        _ = try await producer.send(batch)
        await producer.close()
        return records
    }

    @Test("dlq list with filters; dlq redrive re-sends one record to its source with its bytes; the DLQ keeps it")
    func deadLetters() async throws {
        let cluster = try Ops.cluster()
        let tag = Ops.unique("dlq")
        let records = try await Self.seedDeadLetters(cluster, tag: tag)
        let brokers = ["--brokers", cluster.bootstrapServers]

        let all = try await Ops.toxctl(["dlq", "list"] + brokers)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(
            all.stdout.contains("4 of 4 dead letter(s) shown; by reason: unknown-unit 2, out-of-range 1, unreadable 1"))
        #expect(all.stdout.contains("cart.labs.v1[2]@40"))
        #expect(!all.stdout.contains("MRN-"), "keys are patient ids: digests only")

        let units = try await Ops.toxctl(["dlq", "list", "--reason", "unknown-unit", "--json"] + brokers)
        let ids = try units.stdout.split(separator: "\n").map { try Ops.json($0) }.compactMap {
            ($0["record"] as? [String: Any])?["id"] as? String
        }
        #expect(Set(ids) == ["cart.labs.v1/2/40", "cart.labs.v1/1/41"])
        let recent = try await Ops.toxctl(
            ["dlq", "list", "--since", "6h", "--source-topic", "cart.labs.v1", "--json"] + brokers)
        #expect(recent.stdout.split(separator: "\n").count == 1)
        #expect(recent.stdout.contains("cart.labs.v1/1/41"))
        let bad = try await Ops.toxctl(["dlq", "list", "--reason", "furlongs"] + brokers)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("is not a dead-letter reason"))

        // Redrive needs a choice; a dry run sends nothing.
        #expect(try await Ops.toxctl(["dlq", "redrive"] + brokers).status == 2)
        let dry = try await Ops.toxctl(["dlq", "redrive", "--id", "cart.labs.v1/2/40", "--dry-run"] + brokers)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would send"))
        #expect(try await Ops.readAll([ToxWatchTopics.labs], cluster: cluster).isEmpty)

        let sent = try await Ops.toxctl(["dlq", "redrive", "--id", "cart.labs.v1/2/40"] + brokers)
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        #expect(sent.stdout.contains("Re-drove 1 of 1 dead letter(s)"))
        let arrived = try await Ops.readAll([ToxWatchTopics.labs], cluster: cluster)
        #expect(arrived.count == 1)
        let message = try #require(arrived.first)
        let original = records[0]
        #expect(message.partition == 2)
        #expect(message.key == original.originalKey.map { Array($0) })
        #expect(message.value == original.originalValue.map { Array($0) })
        #expect(message.header("origin")?.value == Array(tag.utf8))
        #expect(message.header("empty") != nil && message.header("empty")?.value == nil)
        #expect(message.header(Redrive.fromHeader)?.value == Array("cart.dlq.v1/2/0".utf8))
        #expect(message.header(Redrive.originalHeader)?.value == Array("cart.labs.v1/2/40".utf8))
        #expect(message.header(Redrive.atHeader) != nil)
        let dlq = try await Ops.readAll([ToxWatchTopics.deadLetters], cluster: cluster)
        #expect(dlq.count == 4, "the DLQ still holds every record")
        withExtendedLifetime(cluster) {}
    }

    @Test("load: valid courses and the malformed fraction reach the patient topics, keyed by patient")
    func load() async throws {
        let seed = UInt64.random(in: 1...1_000_000)
        let result = try await Ops.toxctl([
            "load", "--brokers", Ops.shared.bootstrapServers, "--patients", "6", "--rate", "400", "--duration", "0.5",
            "--malformed", "0.1", "--seed", String(seed),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Sent 200 of 200 events"))
        #expect(result.stdout.contains("malformed 20, failed 0"))
        #expect(result.stderr.contains("load: 200/200 done (100%)"), "plain progress lines off a terminal")
        #expect(!result.stderr.contains("\r"))
        let prefix = "LD\(seed % 100_000)-"
        let messages = try await Ops.readAll(ToxWatchTopics.patientInputs, cluster: Ops.shared).filter {
            $0.key.map { String(decoding: $0, as: UTF8.self).hasPrefix(prefix) } ?? false
        }
        #expect(messages.count == 200)
        var malformed = 0
        var admissions = 0
        for message in messages {
            let key = String(decoding: message.key ?? [], as: UTF8.self)
            do {
                let event = try decodeEvent(message.value ?? [])
                guard case .clinical(let clinical) = event else {
                    Issue.record("not a clinical event")
                    continue
                }
                #expect(clinical.patientId == key)
                #expect(event.type.topic == message.topic)
                if case .patient = clinical { admissions += 1 }
            } catch {
                malformed += 1
            }
        }
        #expect(malformed == 20)
        #expect(admissions == 6)
    }

    @Test("load --output: JSON lines instead of producing; no brokers needed")
    func loadOutput() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(Ops.unique("load") + ".jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arguments = [
            "load", "--patients", "3", "--rate", "100", "--duration", "1", "--seed", "4", "--start",
            "2026-03-01T00:00:00Z",
            "--output", path,
        ]
        let first = try await Ops.toxctl(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 100)
        _ = try await Ops.toxctl(arguments)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "same seed and start, same output")
        let toStdout = try await Ops.toxctl(Array(arguments.dropLast(2)) + ["--output", "-"])
        #expect(toStdout.stdout == text)
        #expect(toStdout.stderr.contains("Sent 100 of 100 events to standard output"))
    }

    @Test(
        "every command has --help with an example",
        arguments: [
            ["lag"], ["topics"], ["topics", "create"], ["topics", "verify"], ["dlq"], ["dlq", "list"],
            ["dlq", "redrive"], ["load"],
            ["shortage"],
        ])
    func help(_ command: [String]) async throws {
        let result = try await Ops.toxctl(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"), "\(result.stdout)")
        #expect(result.stdout.contains("USAGE: toxctl \(command.joined(separator: " "))"))
    }

    @Test("lag --help defines every Burrow status")
    func lagHelpDefinesStatuses() async throws {
        let help = try await Ops.toxctl(["lag", "--help"]).stdout
        for status in ["OK", "WARN", "STOP", "STALL", "REWIND", "ERR", "NOTFOUND"] { #expect(help.contains(status)) }
        #expect(help.contains("Exit status: 0"))
    }
}
