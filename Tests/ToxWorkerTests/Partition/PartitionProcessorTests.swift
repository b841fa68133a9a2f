import Foundation
import KafkaClient
import ProtocolCatalog
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The worker's bookkeeping, without Kafka: what a batch writes, what a replay skips.
@Suite("Partition processor")
struct PartitionProcessorTests {
    static let infusedAt = Date(timeIntervalSince1970: 1_772_000_000)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(hours: Double) -> Date { infusedAt.addingTimeInterval(hours * 3600) }

    /// A course of `patientId` whose hours count from the infusion; the admission 1 h before it.
    static func course(_ patientId: String) -> CourseBuilder {
        CourseBuilder(
            .init(admissionHours: -1, unstatedNeuroFindingsAreNormal: false), patientId: patientId,
            hoursFrom: infusedAt)
    }

    /// The admission of a 9-year-old, 28 kg patient (event `<patientId>-<id>`).
    static func admission(_ patientId: String, id: String = "adm") -> ClinicalEvent {
        var course = course(patientId)
        course.patient(id: course.eventId(id), ageYears: 9, weightKg: 28, infusedAtHours: 0)
        return course.events[0]
    }

    /// Vitals at `hours` with a systolic pressure of 100, on room air or a nasal cannula at `flow`.
    static func vitals(_ patientId: String, _ id: String, hours: Double, temperature: Double, flow: Double? = nil)
        -> ClinicalEvent
    {
        var course = course(patientId)
        course.vitals(
            at: hours, id: course.eventId(id), temp: temperature, sbp: 100,
            oxygen: flow.map { .nasalCannula($0) } ?? .roomAir)
        return course.events[0]
    }

    static func message(_ event: ClinicalEvent, offset: Int64, key: String? = nil, topic: String? = nil) throws
        -> KafkaMessage
    {
        let value = try encodeEvent(.clinical(event))
        return KafkaMessage(
            topic: topic ?? InputEvent.clinical(event).type.topic, partition: 3, offset: offset,
            key: Array((key ?? event.patientId).utf8), value: Array(value))
    }

    static func processor() -> PartitionProcessor {
        PartitionProcessor(partition: 3, evaluator: PatientEvaluator(), lateEventWindow: .seconds(6 * 3600))
    }

    static func json(_ record: OutputRecord) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any])
    }

    @Test("a new patient's first evaluation publishes grades, a changelog record and the offsets to commit")
    func firstEvaluation() throws {
        var processor = Self.processor()
        let outcome = processor.process(
            [
                try Self.message(Self.admission("P1"), offset: 10),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 40),
            ],
            inventory: .empty, now: Self.now)
        // Each instant is evaluated: the admission's, then the fever's (issue 12). No protocol
        // named: the recommendation is published once, as `none` asking for one.
        #expect(outcome.outputs.map(\.kind) == [.toxicityGrades, .anakinraRecommendation, .toxicityGrades])
        let recommendation = try Self.json(outcome.outputs[1])
        #expect(recommendation["action"] as? String == "none")
        #expect("\(recommendation)".contains("protocol-required"))
        let grades = try #require(outcome.outputs.last)
        #expect(grades.id == "toxicity-grades/P1/\(OutputID.milliseconds(Self.at(hours: 20)))")
        #expect(grades.partition == 3)
        #expect(grades.key == Array("P1".utf8))
        #expect(grades.headers.contains(KafkaHeader(name: OutputHeader.sourceOffset, string: "40")))
        let body = try Self.json(grades)
        #expect(body["type"] as? String == "toxicity-grades")
        #expect(body["patientId"] as? String == "P1")
        #expect((body["crs"] as? [String: Any])?["grade"] as? Int == 1)
        #expect(outcome.changelog.map(\.key) == [Array("P1".utf8)])
        #expect(outcome.commitOffsets == ["cart.patient.v1": 11, "cart.vitals.v1": 41])
        #expect(outcome.applied == ["cart.patient.v1": 1, "cart.vitals.v1": 1])
        #expect(processor.patients["P1"]?.appliedOffsets == ["cart.patient.v1": 10, "cart.vitals.v1": 40])
    }

    @Test("a replayed input the state already reflects is skipped: no output, no changelog")
    func replaySkipped() throws {
        var processor = Self.processor()
        let batch = [
            try Self.message(Self.admission("P1"), offset: 10),
            try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 40),
        ]
        _ = processor.process(batch, inventory: .empty, now: Self.now)
        processor.commit(handledInputOffsets: [:])
        let replay = processor.process(batch, inventory: .empty, now: Self.now)
        #expect(replay.outputs.isEmpty)
        #expect(replay.changelog.isEmpty)
        #expect(replay.skipped == ["already-applied": 2])
        #expect(replay.commitOffsets == ["cart.patient.v1": 11, "cart.vitals.v1": 41])
    }

    @Test("an event id the patient already has (an HL7 resend) is not applied twice, but its offset is")
    func duplicateEventId() throws {
        var processor = Self.processor()
        let vitals = Self.vitals("P1", "v1", hours: 20, temperature: 38.4)
        _ = processor.process(
            [try Self.message(Self.admission("P1"), offset: 10), try Self.message(vitals, offset: 40)],
            inventory: .empty, now: Self.now)
        let resend = processor.process([try Self.message(vitals, offset: 41)], inventory: .empty, now: Self.now)
        #expect(resend.skipped == ["duplicate-event-id": 1])
        #expect(resend.outputs.isEmpty)
        #expect(resend.changelog.count == 1, "the new offset must be recorded")
        #expect(processor.patients["P1"]?.events.count == 2)
    }

    @Test("poison, wrong-key and wrong-topic records become dead letters and the rest is processed")
    func deadLetters() throws {
        var processor = Self.processor()
        let poison = KafkaMessage(
            topic: "cart.vitals.v1", partition: 3, offset: 7, key: Array("P9".utf8),
            value: Array(
                #"{"type":"vitals","eventId":"x","patientId":"P9","occurredAt":"2026-03-02T06:00:00Z","temperatureC":60}"#
                    .utf8),
            headers: [KafkaHeader(name: "trace", string: "abc")])
        let wrongKey = try Self.message(
            Self.vitals("P2", "v", hours: 1, temperature: 37), offset: 8, key: "someone-else")
        let wrongTopic = try Self.message(
            Self.vitals("P2", "w", hours: 1, temperature: 37), offset: 3, topic: "cart.labs.v1")
        let good = try Self.message(Self.vitals("P2", "v2", hours: 2, temperature: 37), offset: 9)
        let outcome = processor.process([poison, wrongKey, wrongTopic, good], inventory: .empty, now: Self.now)
        let letters = outcome.outputs.filter { $0.kind == .deadLetter }
        #expect(letters.map(\.id) == ["cart.vitals.v1/3/7", "cart.vitals.v1/3/8", "cart.labs.v1/3/3"])
        #expect(letters.allSatisfy { $0.topic == "cart.dlq.v1" && $0.partition == 3 })
        let first = try DeadLetterRecord.decode(Data(letters[0].value))
        #expect(first.reason == .outOfRange)
        #expect(first.error.field == "temperatureC")
        #expect(first.originalValue == poison.value.map { Data($0) })
        #expect(first.originalHeaders == [.init(key: "trace", value: Data("abc".utf8))])
        #expect(first.deadLetteredAt == Self.now)
        #expect(try DeadLetterRecord.decode(Data(letters[1].value)).reason == .keyMismatch)
        #expect(try DeadLetterRecord.decode(Data(letters[2].value)).reason == .wrongTopic)
        #expect(
            outcome.deadLettered == [
                DeadLetterCount(topic: "cart.vitals.v1", reason: "out-of-range"): 1,
                DeadLetterCount(topic: "cart.vitals.v1", reason: "key-mismatch"): 1,
                DeadLetterCount(topic: "cart.labs.v1", reason: "wrong-topic"): 1,
            ])
        #expect(
            outcome.outputs.contains {
                $0.kind == .toxicityGrades && $0.id == "toxicity-grades/P2/\(OutputID.milliseconds(Self.at(hours: 2)))"
            })
        #expect(outcome.commitOffsets == ["cart.vitals.v1": 10, "cart.labs.v1": 4])
    }

    @Test("events apply in event time, and grades are published only when they change")
    func eventTimeAndChangeDetection() throws {
        var processor = Self.processor()
        _ = processor.process(
            [
                try Self.message(Self.admission("P1"), offset: 1),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 2),
            ],
            inventory: .empty, now: Self.now)
        let unchanged = processor.process(
            [try Self.message(Self.vitals("P1", "v2", hours: 21, temperature: 38.9), offset: 3)], inventory: .empty,
            now: Self.now)
        #expect(unchanged.outputs.isEmpty, "still CRS 1: nothing new to publish")
        #expect(unchanged.changelog.count == 1)
        // An earlier reading arrives late (within the window) and is placed in event time.
        let late = processor.process(
            [try Self.message(Self.vitals("P1", "v0", hours: 18, temperature: 37.0), offset: 4)], inventory: .empty,
            now: Self.now)
        #expect(late.outputs.isEmpty)
        let ids = processor.patients["P1"]?.events.map(\.eventId)
        #expect(ids == ["P1-adm", "P1-v0", "P1-v1", "P1-v2"])
        let worse = processor.process(
            [try Self.message(Self.vitals("P1", "v3", hours: 22, temperature: 38.9, flow: 3), offset: 5)],
            inventory: .empty, now: Self.now)
        #expect(worse.outputs.map(\.kind) == [.toxicityGrades])
        #expect((try Self.json(worse.outputs[0])["crs"] as? [String: Any])?["grade"] as? Int == 2)
    }

    @Test("§A13.12: when the vitals go stale the worker publishes CRS grade null with the last grade, never 0")
    func staleVitalsPublishCannotGrade() throws {
        var processor = Self.processor()
        _ = processor.process(
            [
                try Self.message(Self.admission("P1"), offset: 1),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 2),
            ],
            inventory: .empty, now: Self.now)
        // The vitals are stale 4 h after 20 h: the timer is due then.
        let due = try #require(processor.patients["P1"]?.nextDecisionAt)
        #expect(due > Self.at(hours: 24) && due < Self.at(hours: 24 + 1 / 3600.0))
        let fired = processor.punctuate(at: due, inventory: .empty)
        let grades = try #require(fired.outputs.first { $0.kind == .toxicityGrades })
        let crs = try #require(try Self.json(grades)["crs"] as? [String: Any])
        #expect(crs["grade"] is NSNull)
        #expect(crs["maxGrade"] as? Int == 1)
        let last = try #require(crs["lastGraded"] as? [String: Any])
        #expect(last["grade"] as? Int == 1 && last["at"] as? String == "2026-02-26T02:13:20Z")
        #expect((crs["flags"] as? [String])?.contains("cannot-grade") == true)
        #expect(try ToxicityGradesOutput.decode(Data(grades.value)).body.crs.grade == nil)
    }

    @Test("an event later than the late-event window is kept but does not re-evaluate the patient")
    func tooLate() throws {
        var processor = Self.processor()
        _ = processor.process(
            [
                try Self.message(Self.admission("P1"), offset: 1),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 37), offset: 2),
            ],
            inventory: .empty, now: Self.now)
        let outcome = processor.process(
            [try Self.message(Self.vitals("P1", "old", hours: 10, temperature: 39.5), offset: 3)], inventory: .empty,
            now: Self.now)
        #expect(outcome.evaluations == 0)
        #expect(outcome.outputs.isEmpty)
        #expect(outcome.applied == ["cart.vitals.v1": 1])
        #expect(processor.patients["P1"]?.events.count == 3)
    }

    @Test("rollback undoes every change of the failed batch, including patients it created")
    func rollback() throws {
        var processor = Self.processor()
        _ = processor.process([try Self.message(Self.admission("P1"), offset: 1)], inventory: .empty, now: Self.now)
        processor.commit(handledInputOffsets: [:])
        let before = processor.patients
        _ = processor.process(
            [
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 39), offset: 2),
                try Self.message(Self.admission("P2"), offset: 3),
            ],
            inventory: .empty, now: Self.now)
        #expect(processor.patients != before)
        processor.rollback()
        #expect(processor.patients == before)
    }

    @Test("a changelog record restores the patient exactly, and a checkpoint record is recognised")
    func restoreRoundTrip() throws {
        var original = Self.processor()
        let outcome = original.process(
            [
                try Self.message(Self.admission("P1"), offset: 1),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 2),
            ],
            inventory: .empty, now: Self.now)
        var restored = Self.processor()
        for record in outcome.changelog {
            #expect(try restored.restore(key: record.key, value: record.value, headers: record.headers) == nil)
        }
        #expect(restored.patients == original.patients)
        let checkpoint = PartitionCheckpoint(
            partition: 3, outputEndOffsets: ["cart.toxicity-grades.v1": 17], handledInputOffsets: ["cart.vitals.v1": 3])
        let record = original.checkpointOutput(checkpoint)
        #expect(record.topic == "toxd.patient-state.v1" && record.partition == 3)
        #expect(try restored.restore(key: record.key, value: record.value, headers: record.headers) == checkpoint)
        #expect(restored.handledInputOffsets == ["cart.vitals.v1": 3])
        // A tombstone removes the patient.
        #expect(try restored.restore(key: Array("P1".utf8), value: nil, headers: []) == nil)
        #expect(restored.patients["P1"] == nil)
    }

    @Test("the same inputs give the same outputs, byte for byte (deterministic ids and bodies)")
    func deterministic() throws {
        let batch = [
            try Self.message(Self.admission("P1"), offset: 1),
            try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4, flow: 2), offset: 2),
            try Self.message(Self.admission("P2"), offset: 3),
        ]
        var first = Self.processor()
        var second = Self.processor()
        let a = first.process(batch, inventory: .empty, now: Self.now)
        let b = second.process(batch, inventory: .empty, now: Self.now)
        #expect(a.outputs == b.outputs)
        #expect(a.changelog == b.changelog)
    }

    @Test("restore ignores changelog records an earlier owner wrote after a newer owner's fence")
    func epochFencing() throws {
        var oldOwner = Self.processor()
        oldOwner.epoch = 1
        let stale = oldOwner.process(
            [try Self.message(Self.admission("P1"), offset: 1)], inventory: .empty, now: Self.now)
        var newOwner = Self.processor()
        newOwner.epoch = 2
        let fresh = newOwner.process(
            [
                try Self.message(Self.admission("P1"), offset: 1),
                try Self.message(Self.vitals("P1", "v1", hours: 20, temperature: 38.4), offset: 2),
            ],
            inventory: .empty, now: Self.now)
        let fence = newOwner.checkpointOutput(
            PartitionCheckpoint(partition: 3, outputEndOffsets: [:], handledInputOffsets: [:]))
        // Log order: the new owner's fence and state, then the old owner's late write.
        var restored = Self.processor()
        for record in [fence] + fresh.changelog + stale.changelog {
            _ = try restored.restore(key: record.key, value: record.value, headers: record.headers)
        }
        #expect(restored.patients["P1"]?.events.count == 2)
        #expect(restored.fencedRecords == 1)
        #expect(restored.highestRestoredEpoch == 2)
    }

    @Test("inputs below the checkpoint's handled offsets are skipped, poison included (no second dead letter)")
    func handledInputsSkipPoison() throws {
        var processor = Self.processor()
        let poison = KafkaMessage(
            topic: "cart.vitals.v1", partition: 3, offset: 5, key: Array("P1".utf8), value: Array("{".utf8))
        let first = processor.process([poison], inventory: .empty, now: Self.now)
        #expect(first.outputs.map(\.kind) == [.deadLetter])
        let handled = processor.handledInputOffsets(after: first)
        #expect(handled == ["cart.vitals.v1": 6])
        processor.commit(handledInputOffsets: handled)
        let checkpoint = processor.checkpointOutput(
            PartitionCheckpoint(partition: 3, outputEndOffsets: [:], handledInputOffsets: handled))
        var restored = Self.processor()
        _ = try restored.restore(key: checkpoint.key, value: checkpoint.value, headers: checkpoint.headers)
        let replay = restored.process([poison], inventory: .empty, now: Self.now)
        #expect(replay.outputs.isEmpty)
        #expect(replay.skipped == ["already-applied": 1])
    }

    /// TC01 as a course: CNH, 70 kg, CRS 3 not improving 26 h after the first corticosteroid, then
    /// the first anakinra dose given.
    static func refractoryCourse(_ id: String) -> [ClinicalEvent] {
        var course = course(id)
        course.patient(
            id: course.eventId("adm"), ageYears: 16, weightKg: 70, infusedAtHours: 0, protocolId: "childrens-national")
        course.vitals(at: 72, id: course.eventId("v1"), temp: 39.2, sbp: 95, oxygen: .nasalCannula(4))
        course.med(at: 73, id: course.eventId("m1"), .tocilizumab, doseMg: 560)
        course.med(at: 82, id: course.eventId("m2"), .dexamethasone, doseMg: 10)
        course.med(at: 84, id: course.eventId("m3"), .norepinephrine, .infusionStarted)
        course.vitals(at: 108, id: course.eventId("v2"), temp: 39.0, sbp: 85, oxygen: .nasalCannula(4))
        course.med(at: 108.5, id: course.eventId("m4"), .anakinra, doseMg: 100)
        return course.events
    }

    @Test("a time-driven rule fires once, at its due instant, in partition time, named by that instant")
    func punctuation() throws {
        var processor = PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(protocols: try Self.catalogProtocols()),
            lateEventWindow: .seconds(6 * 3600))
        let course = Self.refractoryCourse("P7")
        let first = processor.process(
            try course.enumerated().map { try Self.message($0.element, offset: Int64($0.offset)) }, inventory: .empty,
            now: Self.now)
        // The administrations' instants (73, 82, 84 h) are evaluated on the way; the batch ends at
        // the first anakinra dose.
        let started = try #require(first.outputs.last { $0.kind == .anakinraRecommendation })
        #expect(try Self.json(started)["action"] as? String == "continue")
        let due = try #require(processor.patients["P7"]?.nextDecisionAt)
        #expect(due > Self.at(hours: 108.5))
        #expect(processor.punctuate(at: due.addingTimeInterval(-1), inventory: .empty).outputs.isEmpty)
        let fired = processor.punctuate(at: due.addingTimeInterval(3600), inventory: .empty)
        #expect(fired.evaluations == 1)
        #expect(fired.changelog.count == 1)
        for output in fired.outputs {
            #expect(output.id == "\(output.kind.rawValue)/P7/\(OutputID.milliseconds(due))")
            #expect(output.headers.contains(KafkaHeader(name: OutputHeader.sourceTopic, string: "timer")))
            #expect(try Self.json(output)["assessedAt"] as? String != nil)
        }
        let again = processor.punctuate(at: due.addingTimeInterval(3600), inventory: .empty)
        #expect(again.outputs.allSatisfy { !$0.id.contains("/P7/\(OutputID.milliseconds(due))") })
    }

    @Test("a decision due before a new event is evaluated at its own instant, as if its punctuation had run")
    func dueDecisionBeforeNextEvent() throws {
        func course() throws -> PartitionProcessor {
            var processor = PartitionProcessor(
                partition: 3, evaluator: PatientEvaluator(protocols: try Self.catalogProtocols()),
                lateEventWindow: .seconds(6 * 3600))
            let events = Self.refractoryCourse("P9")
            _ = processor.process(
                try events.enumerated().map { try Self.message($0.element, offset: Int64($0.offset)) },
                inventory: .empty, now: Self.now)
            return processor
        }
        var punctuated = try course()
        var direct = try course()
        let due = try #require(direct.patients["P9"]?.nextDecisionAt)
        let after = due.addingTimeInterval(3600)
        var later = CourseBuilder(patientId: "P9", hoursFrom: after)
        later.vitals(at: 0, id: later.eventId("v3"), temp: 38.6, sbp: 90, oxygen: .nasalCannula(4))
        let next = try Self.message(later.events[0], offset: 20)

        let timer = punctuated.punctuate(at: due, inventory: .empty)
        let batch = punctuated.process([next], inventory: .empty, now: Self.now)
        let caughtUp = direct.process([next], inventory: .empty, now: Self.now)

        #expect(timer.evaluations == 1)
        #expect(caughtUp.evaluations == 2)
        #expect(caughtUp.outputs.map(\.id) == (timer.outputs + batch.outputs).map(\.id))
        #expect(caughtUp.outputs.map(\.value) == (timer.outputs + batch.outputs).map(\.value))
        #expect(direct.patients["P9"] == punctuated.patients["P9"])
        #expect(caughtUp.changelog.count == 1)
    }

    static func catalogProtocols() throws -> [AnakinraProtocol] {
        try AnakinraProtocolCatalog.load(protocolsDirectory: nil, environment: [:]).protocols
    }

    @Test(
        "shortage alternatives are published while the patient needs the short drug, then, 12 h after the need, a zero-need record"
    )
    func shortageAdviceEnds() throws {
        var processor = PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(protocols: try Self.catalogProtocols()),
            lateEventWindow: .seconds(6 * 3600))
        let shortage = InventoryHistory([
            InventoryEvent(
                eventId: "inv-1", occurredAt: Self.at(hours: 0), site: "main", drug: .tocilizumab, status: .shortage,
                unitsOnHand: 0)
        ])
        var course = Self.course("P8")
        course.patient(
            id: course.eventId("adm"), ageYears: 9, weightKg: 28, infusedAtHours: 0, site: "main",
            protocolId: "childrens-national")
        let admission = course.events[0]
        // CRS 2: fever and 3 L/min oxygen.
        let sick = processor.process(
            [
                try Self.message(admission, offset: 1),
                try Self.message(Self.vitals("P8", "v1", hours: 30, temperature: 39.0, flow: 3), offset: 2),
            ],
            inventory: shortage, now: Self.now)
        let advice = try #require(sick.outputs.first { $0.kind == .shortageAlternative })
        let body = try Self.json(advice)
        #expect(body["shortDrug"] as? String == "tocilizumab")
        #expect((body["alternatives"] as? [Any])?.isEmpty == false)
        // Afebrile on room air: CRS below 2. Ten hours without the need are within the 12-hour hold:
        // the advice stands (a grade moving between 1 and 2 does not flap it).
        let better = processor.process(
            [try Self.message(Self.vitals("P8", "v2", hours: 40, temperature: 37.0), offset: 3)], inventory: shortage,
            now: Self.now)
        #expect(!better.outputs.contains { $0.kind == .shortageAlternative })
        // Fourteen hours without it: tocilizumab is no longer needed.
        let resolvedBatch = processor.process(
            [try Self.message(Self.vitals("P8", "v3", hours: 44, temperature: 36.9), offset: 4)], inventory: shortage,
            now: Self.now)
        let resolved = try #require(resolvedBatch.outputs.first { $0.kind == .shortageAlternative })
        let resolvedBody = try Self.json(resolved)
        #expect(resolvedBody["cause"] as? String == "no-longer-needed")
        #expect((resolvedBody["alternatives"] as? [Any])?.isEmpty == true)
        #expect((resolvedBody["need24h"] as? [String: Any])?["mg"] as? Double == 0)
        #expect(resolved.id != advice.id)
        // Nothing more to say while the need stays gone.
        let later = processor.process(
            [try Self.message(Self.vitals("P8", "v4", hours: 48, temperature: 36.9), offset: 5)], inventory: shortage,
            now: Self.now)
        #expect(!later.outputs.contains { $0.kind == .shortageAlternative })
    }

    @Test("an output body JSON cannot carry is refused whole, never written half")
    func unencodableOutput() throws {
        struct Body: OutputBody, Codable {
            static var outputType: OutputType { .toxicityGrades }
            var mgPerKg: Double
        }
        func envelope(_ value: Double) -> OutputEnvelope<Body> {
            OutputEnvelope(id: "i", patientId: "P", assessedAt: Self.now, body: Body(mgPerKg: value))
        }
        #expect(PartitionProcessor.encodeOutput(envelope(.nan)) == nil)
        let good = try #require(PartitionProcessor.encodeOutput(envelope(2)))
        let json = try #require(JSONSerialization.jsonObject(with: Data(good)) as? [String: Any])
        #expect(json["mgPerKg"] as? Double == 2)
        #expect(json["id"] as? String == "i")
        #expect(json["type"] as? String == "toxicity-grades")
    }

    @Test("an assignment that splits a partition number between topics is detected")
    func splitAssignment() {
        let whole = ToxWatchTopics.patientInputs.flatMap { topic in
            [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        }
        #expect(WorkerPipeline.splitPartitions(whole, rebalanceProtocol: .eager) == nil)
        let split = whole.filter { !($0.topic == ToxWatchTopics.labs && $0.partition == 1) }
        #expect(WorkerPipeline.splitPartitions(split, rebalanceProtocol: .eager) == 1)
    }
}
