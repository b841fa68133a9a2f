import Foundation
import KafkaClient
import Testing
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Edges the worker checks beyond an event's own bytes: the event time against the record's
/// timestamp, and the record's size.
@Suite("Input admission")
struct InputAdmissionTests {
    typealias Course = PartitionProcessorTests

    /// A record as the broker hands it over: the timestamp is when it was produced.
    static func message(_ event: ClinicalEvent, offset: Int64, producedAt: Date) throws -> KafkaMessage {
        var message = try Course.message(event, offset: offset)
        message.timestamp = KafkaTimestamp(
            kind: .createTime, millisecondsSinceEpoch: Int64(producedAt.timeIntervalSince1970 * 1000))
        return message
    }

    /// Runs patient P7's refractory course and patient Q1's admission through one partition, then
    /// the punctuations a partition task would run at partition time; with `futureEvent`, Q1 also
    /// sends a vitals record dated 9999-12-31 (produced, like everything else, in the course's time).
    static func run(futureEvent: Bool) throws -> (outputs: [OutputRecord], deadLetters: [OutputRecord]) {
        var processor = PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(protocols: try Course.catalogProtocols()),
            lateEventWindow: .seconds(6 * 3600))
        var events = Course.refractoryCourse("P7") + [Course.admission("Q1")]
        if futureEvent {
            events.append(
                .vitals(
                    VitalsEvent(
                        eventId: "Q1-future", patientId: "Q1",
                        occurredAt: try #require(ISO8601DateFormatter().date(from: "9999-12-31T00:00:00Z")),
                        temperatureC: 39.5, systolicBP: 100, oxygen: OxygenSupport(device: .roomAir))))
        }
        var records: [KafkaMessage] = []
        for (offset, event) in events.enumerated() {
            // Each record is produced one minute after the latest event time so far, like a live feed.
            let producedAt = Course.at(hours: 108.5).addingTimeInterval(60)
            records.append(try message(event, offset: Int64(offset), producedAt: producedAt))
        }
        var outputs: [OutputRecord] = []
        outputs += processor.process(records, inventory: .empty, now: Course.now).outputs
        // The punctuation a partition task runs at partition time (its latest event time).
        if let instant = processor.streamTime {
            outputs += processor.punctuate(at: instant, inventory: .empty).outputs
        }
        return (outputs.filter { $0.kind != .deadLetter }, outputs.filter { $0.kind == .deadLetter })
    }

    @Test(
        "an event far ahead of its record's timestamp is dead-lettered and changes nothing of another patient's outputs"
    )
    func futureEventIsRejected() throws {
        let without = try Self.run(futureEvent: false)
        let with = try Self.run(futureEvent: true)
        let p7 = { (records: [OutputRecord]) in records.filter { $0.key == Array("P7".utf8) } }
        #expect(!p7(without.outputs).isEmpty)
        #expect(p7(with.outputs).map(\.id) == p7(without.outputs).map(\.id))
        let sameBytes = p7(with.outputs).map(\.value) == p7(without.outputs).map(\.value)
        #expect(sameBytes, "P7's records byte for byte")
        let nothingChanged = with.outputs.map(\.value) == without.outputs.map(\.value)
        #expect(nothingChanged, "nobody's published records changed")
        #expect(without.deadLetters.isEmpty)
        let letter = try DeadLetterRecord.decode(Data(try #require(with.deadLetters.first).value))
        #expect(with.deadLetters.count == 1)
        #expect(letter.reason == .invalidTimestamp)
        #expect(letter.error.field == "occurredAt")
        #expect(letter.error.message.contains("maxClockSkewSeconds 3600"))
        #expect(!letter.error.message.contains("9999"), "the error names the bound, never the value")
    }

    @Test("the bound: at most maxClockSkew ahead is accepted, a second more is not")
    func bound() {
        let admission = InputAdmission(maxInputBytes: 1 << 20, maxClockSkew: 3600)
        let produced = Course.now
        #expect(
            admission.clockSkewProblem(occurredAt: produced.addingTimeInterval(3600), recordTimestamp: produced) == nil)
        #expect(
            admission.clockSkewProblem(occurredAt: produced.addingTimeInterval(3601), recordTimestamp: produced) != nil)
        #expect(
            admission.clockSkewProblem(occurredAt: produced.addingTimeInterval(-30 * 86_400), recordTimestamp: produced)
                == nil)
    }

    @Test("a restored course dated far after its changelog record does not move partition time")
    func restoreIgnoresFutureTime() throws {
        var state = PatientState(patientId: "Q1")
        state.insert(Course.admission("Q1"))
        let future = try #require(ISO8601DateFormatter().date(from: "9999-12-31T00:00:00Z"))
        state.insert(
            .vitals(
                VitalsEvent(
                    eventId: "Q1-future", patientId: "Q1", occurredAt: future, temperatureC: 37, systolicBP: 100)))
        var honest = PatientState(patientId: "P7")
        honest.insert(Course.admission("P7"))
        var processor = Course.processor()
        let headers = [KafkaHeader(name: OutputHeader.kind, string: "patient-state")]
        _ = try processor.restore(
            key: Array("P7".utf8), value: PartitionProcessor.changelogValue(honest), headers: headers,
            timestamp: Course.now)
        _ = try processor.restore(
            key: Array("Q1".utf8), value: PartitionProcessor.changelogValue(state), headers: headers,
            timestamp: Course.now)
        #expect(processor.patients.count == 2)
        #expect(processor.streamTime == Course.at(hours: -1))
    }

    @Test("a record above maxInputBytes is dead-lettered at once with its size and digest, without its bytes")
    func oversizedInput() throws {
        var processor = Course.processor()
        processor.admission = InputAdmission(maxInputBytes: 4096, maxClockSkew: 3600)
        let garbage = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000)
        let record = KafkaMessage(
            topic: ToxWatchTopics.vitals, partition: 3, offset: 7, key: Array("P1".utf8), value: garbage,
            headers: [KafkaHeader(name: "big", value: garbage)])
        let outcome = processor.process([record], inventory: .empty, now: Course.now)
        #expect(outcome.outputs.count == 1)
        let output = try #require(outcome.outputs.first)
        #expect(output.value.count < 2048, "the dead letter is small: \(output.value.count) bytes")
        let letter = try DeadLetterRecord.decode(Data(output.value))
        #expect(letter.reason == .outOfRange)
        #expect(letter.originalValue == nil)
        #expect(letter.originalHeaders.isEmpty)
        #expect(letter.error.message.contains("maxInputBytes 4096"))
        #expect(letter.error.message.contains("10000 bytes, sha256 \(RecordDigest(garbage).sha256)"))
        #expect(outcome.commitOffsets == [ToxWatchTopics.vitals: 8])
    }

    @Test("toxd ingest: a raw record above maxInputBytes becomes one small dead letter with its size and digest")
    func oversizedRawRecord() throws {
        var processor = IngestProcessor(deadLetterPartitions: 4)
        processor.maxInputBytes = 4096
        let message = [UInt8]("MSH|^~\\&|".utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 20_000)
        let result = processor.process(
            KafkaMessage(
                topic: ToxWatchTopics.hl7Inbound, partition: 6, offset: 3, key: Array("MSG1".utf8), value: message),
            now: Course.now)
        #expect(result.outcome == .failed)
        #expect(result.records.count == 1)
        let record = try #require(result.records.first)
        #expect(record.topic == ToxWatchTopics.deadLetters && record.partitioning == .partition(2))
        #expect((record.value?.count ?? 0) < 2048)
        let letter = try DeadLetterRecord.decode(Data(record.value ?? []))
        #expect(letter.originalValue == nil)
        #expect(letter.error.message.contains("\(message.count) bytes, sha256 \(RecordDigest(message).sha256)"))
        #expect(letter.id == "\(ToxWatchTopics.hl7Inbound)/6/3")
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256() {
        #expect(
            RecordDigest(Array("abc".utf8)).sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(RecordDigest([]).sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(RecordDigest(long).sha256 == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            RecordDigest([UInt8](repeating: 0x61, count: 1_000)).sha256
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
