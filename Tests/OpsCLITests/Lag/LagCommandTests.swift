import Foundation
import KafkaClient
import Testing
import ToxTestSupport

/// `toxctl lag` against the embedded cluster, checked number for number against lag made by an
/// independent client (Python confluent-kafka): it produces, commits as its own group, and reports
/// what its own API sees.
@Suite("toxctl lag", .serialized)
struct LagCommandTests {
    /// Produces 10, 7 and 5 records to partitions 0–2 (partition 0 timestamped two minutes ago), commits
    /// offsets 4 and 7 for partitions 0 and 1 as its group, nothing for partition 2, and
    /// prints the watermarks and committed offsets as Python sees them.
    static let pythonSetup = """
        import json, sys, time
        from confluent_kafka import Consumer, Producer, TopicPartition
        bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
        producer = Producer({"bootstrap.servers": bootstrap})
        now_ms = int(time.time() * 1000)
        for partition, count in [(0, 10), (1, 7), (2, 5)]:
            for i in range(count):
                stamp = now_ms - 120000 + i if partition == 0 else now_ms
                producer.produce(topic, key=f"p{partition}-{i}", value=b"{}", partition=partition, timestamp=stamp)
        producer.flush(30)
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition(topic, 0, 4), TopicPartition(topic, 1, 7)], asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
        report = []
        for tp in committed:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
            report.append({"partition": tp.partition, "committed": tp.offset if tp.offset >= 0 else None, "low": low, "high": high})
        consumer.close()
        print(json.dumps(report))
        """

    struct PythonPartition: Decodable {
        var partition: Int
        var committed: Int64?
        var low: Int64
        var high: Int64
    }

    @Test("a known lag from a Python consumer group, number for number; limits and exit statuses")
    func knownLag() async throws {
        let cluster = Ops.shared
        let topic = Ops.unique("lag.known")
        let group = Ops.unique("python-lag")
        try cluster.createTopic(topic, partitions: 3)
        let python = try await Ops.python(Self.pythonSetup, [cluster.bootstrapServers, topic, group])
        #expect(
            python.status == 0, "Python confluent-kafka is needed (Scripts/bootstrap --for-tests): \(python.stderr)")
        let truth = try JSONDecoder().decode([PythonPartition].self, from: Data(python.stdout.utf8))
        #expect(truth.map(\.committed) == [4, 7, nil])
        #expect(truth.map(\.high) == [10, 7, 5])

        let base = ["lag", "--brokers", cluster.bootstrapServers, "--group", group, "--topics", topic]
        let result = try await Ops.toxctl(base + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try Ops.json(result.stdout)
        let rows = try #require(report["partitions"] as? [[String: Any]])
        #expect(rows.count == 3)
        var expectedTotal: Int64 = 0
        for (row, partition) in zip(rows, truth) {
            let lag = partition.high - (partition.committed ?? partition.low)
            expectedTotal += lag
            #expect(row["partition"] as? Int == partition.partition)
            #expect((row["committedOffset"] as? Int).map(Int64.init) == partition.committed)
            #expect(row["logEndOffset"] as? Int == Int(partition.high))
            #expect(row["logStartOffset"] as? Int == Int(partition.low))
            #expect(row["lag"] as? Int == Int(lag))
        }
        #expect(report["totalLag"] as? Int == Int(expectedTotal))
        #expect(expectedTotal == 11)
        // Partition 0's next message (offset 4) was stamped two minutes ago.
        let behind = try #require(rows[0]["timeBehindSeconds"] as? Double)
        #expect(behind >= 119 && behind < 3600)
        #expect(rows[1]["timeBehindSeconds"] as? Double == 0)
        #expect(rows.map { $0["status"] as? String } == ["WARN", "OK", "WARN"])
        #expect(report["status"] as? String == "WARN")
        #expect(report["windowSamples"] as? Int == 1)
        #expect((report["ownership"] as? [String: Any])?["known"] as? Bool == false)
        let topics = try #require(report["topics"] as? [[String: Any]])
        #expect(topics.first?["lag"] as? Int == 11)

        // The table says the same, and that owners are unknown on the mock.
        let table = try await Ops.toxctl(base)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains { Array($0.prefix(5)) == [topic, "0", "4", "10", "6"] })
        #expect(lines.contains { Array($0.prefix(5)) == [topic, "1", "7", "7", "0"] })
        #expect(lines.contains { Array($0.prefix(5)) == [topic, "2", "-", "5", "5"] })
        // The total row: lag 11, at most as far behind as partition 0 (stamped two minutes before the
        // setup finished; how much longer the run took depends on the machine, so only the floor is fixed).
        #expect(
            lines.contains {
                $0.count > 4 && Array($0.prefix(3)) == [topic, "total", "11"] && (Int($0[3]) ?? 0) >= 2
                    && $0[4] == "min"
            })
        #expect(table.stdout.contains("Owners unknown"))
        #expect(table.stdout.contains("total lag 11 over 3 partitions"))
        #expect(!table.stdout.contains("\u{1B}["), "no colour in a pipe")

        // Limits.
        #expect(try await Ops.toxctl(base + ["--max-lag", "11"]).status == 0)
        let over = try await Ops.toxctl(base + ["--max-lag", "10"])
        #expect(over.status == 1)
        #expect(over.stderr.contains("total lag 11 is above --max-lag 10"))
        let late = try await Ops.toxctl(base + ["--max-lag-seconds", "60"])
        #expect(late.status == 1)
        #expect(late.stderr.contains("\(topic)[0] is "), "\(late.stderr)")
        #expect(late.stderr.contains("behind, above --max-lag-seconds 60"), "\(late.stderr)")
        #expect(try await Ops.toxctl(base + ["--max-lag-seconds", "3600", "--max-lag", "100"]).status == 0)
    }

    @Test("--watch: a refreshed report per sample; an offset that does not move with lag becomes STOP")
    func watch() async throws {
        let cluster = Ops.shared
        let topic = Ops.unique("lag.known")
        let group = Ops.unique("python-lag")
        try cluster.createTopic(topic, partitions: 3)
        let python = try await Ops.python(Self.pythonSetup, [cluster.bootstrapServers, topic, group])
        #expect(python.status == 0, "\(python.stderr)")
        let result = try await Ops.toxctl([
            "lag", "--brokers", cluster.bootstrapServers, "--group", group, "--topics", topic, "--watch", "0.3",
            "--samples", "3", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let reports = try result.stdout.split(separator: "\n").map(Ops.json)
        #expect(reports.map { $0["sample"] as? Int } == [1, 2, 3])
        #expect(reports.map { $0["windowSamples"] as? Int } == [1, 2, 3])
        let last = try #require(reports.last?["partitions"] as? [[String: Any]])
        #expect(last.map { $0["status"] as? String } == ["STOP", "OK", "STOP"])
        #expect(reports.last?["status"] as? String == "ERR")
        #expect((last[0]["statusReason"] as? String)?.hasPrefix("no commit observed") == true)

        let table = try await Ops.toxctl([
            "lag", "--brokers", cluster.bootstrapServers, "--group", group, "--topics", topic, "--watch", "0.2",
            "--samples", "2",
        ])
        #expect(table.stdout.components(separatedBy: "Consumer group \(group)").count == 3)
        #expect(table.stdout.contains("status over the last 2 samples"))
        #expect(table.stdout.contains("\(topic)[0] STOP"))
    }

    @Test("an unreachable broker is reported within a few seconds with exit status 2")
    func unreachable() async throws {
        let result = try await Ops.toxctl(["lag", "--brokers", "127.0.0.1:1", "--timeout", "2"], timeout: .seconds(30))
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot reach the brokers at 127.0.0.1:1"))
        #expect(result.elapsed < .seconds(20), "--timeout 2: reported within seconds, not after a hang")
    }

    @Test(
        "bad usage exits 2 with a message",
        arguments: [
            (["--watch", "0"], "--watch needs a positive"),
            (["--samples", "2"], "--samples needs --watch"),
            (["--max-lag", "lots"], "max-lag"),
            (["--bogus"], "Unknown option"),
            (["--topics", "no.such.topic"], "no topic no.such.topic"),
        ])
    func usage(_ arguments: [String], _ message: String) async throws {
        let cluster = Ops.shared
        let result = try await Ops.toxctl(["lag", "--brokers", cluster.bootstrapServers] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("without --brokers nor TOXCTL_BROKERS: exit 2; TOXCTL_BROKERS is used")
    func brokersFromEnvironment() async throws {
        let missing = try await Ops.toxctl(["lag"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--brokers HOST:PORT is required"))
        let cluster = Ops.shared
        let fromEnvironment = try await Ops.toxctl(
            ["lag", "--group", Ops.unique("nosuchgroup")], environment: ["TOXCTL_BROKERS": cluster.bootstrapServers])
        #expect(fromEnvironment.stdout.contains("cart.patient.v1"), "\(fromEnvironment.stderr)")
        #expect(fromEnvironment.stdout.contains("NOTFOUND"))
    }

    /// Issue 15.12: a group that committed nothing (a misspelt --group) said NOTFOUND and exited 0.
    @Test("a group without committed offsets is NOTFOUND and exits 2, also as JSON")
    func notFoundExitsTwo() async throws {
        let cluster = Ops.shared
        let group = Ops.unique("nosuchgroup")
        for extra in [[], ["--json"]] {
            let result = try await Ops.toxctl(["lag", "--brokers", cluster.bootstrapServers, "--group", group] + extra)
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stdout.contains("NOTFOUND"))
            #expect(result.stderr.contains("group \(group) has committed no offset on these topics (NOTFOUND)"))
        }
    }

    @Test("colour only when asked on a pipe (FORCE_COLOR), never with NO_COLOR")
    func colour() async throws {
        let cluster = Ops.shared
        let arguments = ["lag", "--brokers", cluster.bootstrapServers]
        #expect(try await Ops.toxctl(arguments, environment: ["FORCE_COLOR": "1"]).stdout.contains("\u{1B}["))
        #expect(
            !(try await Ops.toxctl(arguments, environment: ["FORCE_COLOR": "1", "NO_COLOR": "1"]).stdout.contains(
                "\u{1B}[")))
    }
}
