import Foundation
import KafkaClient
import Testing
import ToxOps
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

/// `toxctl chart --brokers B --patient ID`: the course from the changelog, the outputs from the
/// output topics, against the embedded cluster.
@Suite("toxctl chart: live patients")
struct ChartLiveTests {
    /// A changelog record value in format 1, as the worker wrote it before the compact course (the
    /// fields around `events` are not read).
    static func changelogValue(patient: String, events: [String]) -> [UInt8] {
        Array(
            #"{"events":[\#(events.joined(separator: ","))],"formatVersion":1,"patientId":"\#(patient)","appliedOffsets":{},"published":{}}"#
                .utf8)
    }

    static func vitals(_ id: String, patient: String, hours: Double, temperature: Double) -> String {
        #"{"type":"vitals","eventId":"\#(id)","patientId":"\#(patient)","occurredAt":"\#(CourseChartTests.iso(hours))","temperatureC":\#(temperature)}"#
    }

    static func admission(patient: String) -> String {
        #"{"type":"patient","eventId":"\#(patient)-adm","patientId":"\#(patient)","occurredAt":"\#(CourseChartTests.iso(-1))","ageYears":8,"weightKg":25,"allergies":[],"infusion":{"product":"tisa-cel","target":"CD19","infusedAt":"\#(CourseChartTests.iso(0))"},"site":"north"}"#
    }

    static func changelog(_ patient: String, epoch: Int, partition: Int, events: [String]) -> ProducerRecord {
        ProducerRecord(
            topic: ToxWatchTopics.patientStateChangelog, partition: partition, key: Array(patient.utf8),
            value: changelogValue(patient: patient, events: events),
            headers: [
                KafkaHeader(name: "toxwatch-record", string: "patient-state"),
                KafkaHeader(name: "toxwatch-epoch", string: String(epoch)),
            ])
    }

    @Test(
        "the changelog reader keeps what the worker's restore keeps: latest record, fenced epochs ignored, tombstones")
    func changelogReader() throws {
        func message(_ key: String, _ value: [UInt8]?, epoch: Int, partition: Int = 0, offset: Int64) -> KafkaMessage {
            KafkaMessage(
                topic: ToxWatchTopics.patientStateChangelog, partition: partition, offset: offset, key: Array(key.utf8),
                value: value,
                headers: [KafkaHeader(name: "toxwatch-epoch", string: String(epoch))])
        }
        let a = Self.vitals("a", patient: "P", hours: 1, temperature: 37)
        let b = Self.vitals("b", patient: "P", hours: 2, temperature: 38)
        var changelog = PatientChangelog(patientId: "P")
        changelog.apply(message("P", Self.changelogValue(patient: "P", events: [a]), epoch: 1, offset: 0))
        changelog.apply(message("P", Self.changelogValue(patient: "P", events: [a, b]), epoch: 2, offset: 1))
        changelog.apply(message("Q", Self.changelogValue(patient: "Q", events: []), epoch: 2, offset: 2))
        // A writer that lost the partition (epoch 1) writes after the new owner: ignored.
        changelog.apply(message("P", Self.changelogValue(patient: "P", events: [a]), epoch: 1, offset: 3))
        // Epochs are per partition: a high epoch elsewhere does not fence this one.
        changelog.apply(message("Z", nil, epoch: 9, partition: 1, offset: 0))
        #expect(changelog.isKnown)
        #expect(changelog.events?.map(\.eventId) == ["a", "b"])
        changelog.apply(message("P", nil, epoch: 2, offset: 4))
        #expect(!changelog.isKnown, "a tombstone deletes the patient")
        #expect(PatientChangelog.events(fromRecord: Array("nonsense".utf8)) == nil)
    }

    @Test("a format 2 record's course (compact records in base64url) reads as the events it holds")
    func formatTwoRecord() throws {
        let events = try [Self.admission(patient: "P"), Self.vitals("b", patient: "Q", hours: 2, temperature: 38)].map {
            json in try #require({ if case .clinical(let e) = try decodeEvent(Array(json.utf8)) { e } else { nil } }())
        }
        var course = CompactCourse(patientId: "P")
        for event in events { course.insert(event) }
        let base64 = String(decoding: Base64.encode(course.bytes), as: UTF8.self)
        let value = #"{"appliedOffsets":{},"course":"\#(base64)","formatVersion":2,"patientId":"P","published":{}}"#
        #expect(PatientChangelog.events(fromRecord: Array(value.utf8)) == events)
        let corrupt = value.replacingOccurrences(of: #""course":""#, with: #""course":"Z"#)
        #expect(PatientChangelog.events(fromRecord: Array(corrupt.utf8)) == nil)
    }

    @Test("against the embedded cluster: the patient's events and outputs only, a null grade, stock of its site")
    func live() async throws {
        let cluster = try Ops.cluster()
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Ops.logger)
        let p = "LIVE-1"
        let events = [
            Self.admission(patient: p), Self.vitals("LIVE-1-v1", patient: p, hours: 6, temperature: 38.9),
            Self.vitals("LIVE-1-v2", patient: p, hours: 12, temperature: 37.2),
        ]
        let grades = CourseChartTests.grades(
            "g-null", patient: p, hours: 12,
            crs: CourseChartTests.grade(
                "null", reason: "cannot-grade", extra: #","lastGraded":{"grade":1,"at":"\#(CourseChartTests.iso(6))"}"#)
        )
        let recommendation = CourseChartTests.output(
            "anakinra-recommendation", "r-1", patient: p, hours: 6,
            #""action":"none","dose":null,"reasons":[{"code":"no-active-toxicity","decisive":true}],"warnings":[],"alerts":[]"#
        )
        let other = CourseChartTests.grades("g-other", patient: "LIVE-2", hours: 7, crs: CourseChartTests.grade("3"))
        let inventory =
            #"{"type":"inventory","eventId":"inv-n","occurredAt":"\#(CourseChartTests.iso(3))","site":"north","drug":"anakinra","status":"low","unitsOnHand":4}"#
        let reports = try await producer.send([
            Self.changelog(p, epoch: 1, partition: 1, events: Array(events.prefix(2))),
            Self.changelog(p, epoch: 2, partition: 1, events: events),
            Self.changelog(
                p, epoch: 1, partition: 1, events: [Self.vitals("STALE", patient: p, hours: 13, temperature: 40)]),
            Self.changelog(
                "LIVE-2", epoch: 2, partition: 2,
                events: [Self.vitals("LIVE-2-v1", patient: "LIVE-2", hours: 5, temperature: 39)]),
            ProducerRecord(topic: ToxWatchTopics.toxicityGrades, partition: 1, key: Array(p.utf8), value: grades),
            ProducerRecord(
                topic: ToxWatchTopics.anakinraRecommendations, partition: 1, key: Array(p.utf8), value: recommendation),
            ProducerRecord(topic: ToxWatchTopics.toxicityGrades, partition: 2, key: Array("LIVE-2".utf8), value: other),
            ProducerRecord(
                topic: ToxWatchTopics.inventory, key: Array("north/anakinra".utf8), value: Array(inventory.utf8)),
        ])
        #expect(reports.allSatisfy { $0.isSuccess })
        await producer.close()

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await Ops.toxctl([
            "chart", "--brokers", cluster.bootstrapServers, "--patient", p, "-o", file.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(file.path): 3 events and 2 outputs"))
        let chart = try DrawnChart(try Data(contentsOf: file))
        let expectedEvents = [
            ("LIVE-1-adm", CourseChartTests.iso(-1)), ("LIVE-1-v1", CourseChartTests.iso(6)),
            ("LIVE-1-v2", CourseChartTests.iso(12)),
            ("inv-n", CourseChartTests.iso(3)),
        ]
        #expect(chart.problems(events: expectedEvents).isEmpty, "\(chart.problems(events: expectedEvents))")
        #expect(
            chart.problems(outputs: [("g-null", CourseChartTests.iso(12)), ("r-1", CourseChartTests.iso(6))]).isEmpty)
        #expect(chart.drawn(event: "STALE").isEmpty, "a fenced writer's record is not the course")
        #expect(chart.drawn(event: "LIVE-2-v1").isEmpty && chart.drawn(output: "g-other").isEmpty, "another patient")
        #expect(chart.drawn(output: "g-null").first { $0["data-series"] == "crs" }?["data-state"] == "cannot-grade")

        let unknown = try await Ops.toxctl(["chart", "--brokers", cluster.bootstrapServers, "--patient", "NOBODY"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no course for this patient"))
        #expect(!unknown.stderr.contains("NOBODY"), "the patient id is not echoed")
        withExtendedLifetime(cluster) {}
    }

    @Test("a cluster without the changelog topic: exit 2 naming it")
    func missingTopic() async throws {
        let cluster = try Ops.cluster(skipping: [ToxWatchTopics.patientStateChangelog])
        let result = try await Ops.toxctl(["chart", "--brokers", cluster.bootstrapServers, "--patient", "P"])
        #expect(result.status == 2 && result.stderr.contains("no topic \(ToxWatchTopics.patientStateChangelog)"))
        withExtendedLifetime(cluster) {}
    }
}
