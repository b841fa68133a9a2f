import KafkaClient
import Testing
import ToxOps
import ToxWatchContract

@Suite("Topic verification")
struct TopicVerificationTests {
    /// Every ToxWatch topic as `toxctl topics create --partitions p --replication r` would make it.
    static func cluster(partitions: Int = 6, replication: Int = 3) -> [ObservedTopic] {
        ToxWatchTopics.all.map {
            ObservedTopic(
                name: $0.name, partitions: $0.partitions(patientPartitions: partitions), replicationFactor: replication)
        }
    }

    static let goodConfigs: [String: [String: String]] = Dictionary(
        uniqueKeysWithValues: ToxWatchTopics.all.map { topic in
            var config = ["cleanup.policy": "delete", "retention.ms": "604800000"]
            config.merge(topic.config) { _, new in new }
            return (topic.name, config)
        })

    @Test("all present, co-partitioned, configs right: no problem")
    func allGood() {
        let report = TopicVerifier.verify(
            observed: Self.cluster(), configs: .reported(Self.goodConfigs), expectedReplication: 3)
        #expect(!report.hasProblems, "\(report.render())")
        #expect(report.coPartitionCount == 6)
        let changelog = report.checks.first { $0.topic == ToxWatchTopics.patientStateChangelog }
        #expect(changelog?.configSummary == "compacted")
        #expect(report.checks.first { $0.topic == ToxWatchTopics.deadLetters }?.configSummary == "retention 30 d")
        #expect(report.render().contains("No problems found."))
    }

    @Test("a missing topic is a problem named in the report")
    func missing() {
        let observed = Self.cluster().filter { $0.name != ToxWatchTopics.meds }
        let report = TopicVerifier.verify(observed: observed, configs: .reported(Self.goodConfigs))
        #expect(report.problemCount == 1)
        #expect(report.checks.first { $0.topic == ToxWatchTopics.meds }?.outcome == .missing)
        let text = report.render()
        #expect(text.contains("cart.meds.v1: missing"))
        #expect(text.contains("MISSING"))
    }

    @Test("a partition count that breaks co-partitioning is a problem; the inventory may differ")
    func partitionMismatch() {
        var observed = Self.cluster()
        observed[observed.firstIndex { $0.name == ToxWatchTopics.vitals }!].partitions = 4
        observed[observed.firstIndex { $0.name == ToxWatchTopics.inventory }!].partitions = 1
        let report = TopicVerifier.verify(observed: observed, configs: .notReported(reason: "mock"))
        #expect(report.problemCount == 1)
        let vitals = report.checks.first { $0.topic == ToxWatchTopics.vitals }
        #expect(vitals?.outcome == .problem)
        #expect(
            vitals?.problems.first?.hasPrefix("4 partitions; co-partitioned topics need 6 (as cart.patient.v1)") == true
        )
        // With --partitions 4 every other co-partitioned topic is wrong instead.
        let expected4 = TopicVerifier.verify(
            observed: observed, configs: .notReported(reason: "mock"), expectedPartitions: 4)
        #expect(expected4.problemCount == ToxWatchTopics.coPartitioned.count - 1)
    }

    @Test("configs the broker does not report are not failed, and the report says so")
    func configsNotReported() {
        let report = TopicVerifier.verify(observed: Self.cluster(), configs: .notReported(reason: "no DescribeConfigs"))
        #expect(!report.hasProblems)
        #expect(report.render().contains("configs not reported by this broker"))
        #expect(report.checks.allSatisfy { $0.configSummary == "not reported" })
    }

    @Test("compaction and retention: changelog not compacted, an input compacted, DLQ retention short")
    func configProblems() {
        var configs = Self.goodConfigs
        configs[ToxWatchTopics.patientStateChangelog]?["cleanup.policy"] = "delete"
        configs[ToxWatchTopics.vitals]?["cleanup.policy"] = "compact,delete"
        configs[ToxWatchTopics.deadLetters]?["retention.ms"] = "86400000"
        configs[ToxWatchTopics.inventory]?["cleanup.policy"] = "compact,delete"
        let report = TopicVerifier.verify(observed: Self.cluster(), configs: .reported(configs))
        let problems = Dictionary(uniqueKeysWithValues: report.checks.map { ($0.topic, $0.problems) })
        #expect(problems[ToxWatchTopics.patientStateChangelog] == ["cleanup.policy=delete, must include compact"])
        #expect(problems[ToxWatchTopics.vitals]?.first?.contains("compaction would drop") == true)
        #expect(
            problems[ToxWatchTopics.deadLetters]?.first?.hasPrefix("retention.ms=86400000, must be at least 2592000000")
                == true)
        #expect(problems[ToxWatchTopics.inventory] == [])
        #expect(report.problemCount == 3)
        // Unlimited retention (-1) is fine.
        configs = Self.goodConfigs
        configs[ToxWatchTopics.deadLetters]?["retention.ms"] = "-1"
        #expect(!TopicVerifier.verify(observed: Self.cluster(), configs: .reported(configs)).hasProblems)
    }

    @Test("replication, leaders and in-sync replicas")
    func replication() {
        var observed = Self.cluster(replication: 2)
        observed[0].underReplicated = [3]
        observed[1].leaderless = [0, 1]
        let report = TopicVerifier.verify(
            observed: observed, configs: .notReported(reason: "x"), expectedReplication: 3)
        #expect(report.problemCount == ToxWatchTopics.all.count + 2)
        #expect(report.checks[0].problems.contains("under-replicated partition(s) 3"))
        #expect(report.checks[1].problems.contains("no leader for partition(s) 0,1"))
    }
}
