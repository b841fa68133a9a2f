import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The changelog record: format 2 holds the course's compact records; format 1 records (written by
/// earlier versions) still restore.
@Suite("Changelog record")
struct ChangelogRecordTests {
    typealias Fixtures = PartitionProcessorTests

    static func state(outOfOrder: Bool) -> PatientState {
        var state = PatientState(patientId: "P9")
        let events = [
            Fixtures.admission("P9"), Fixtures.vitals("P9", "v1", hours: 10, temperature: 38.6, flow: 2),
            Fixtures.vitals("P9", "v2", hours: 14, temperature: 37.1),
            Fixtures.vitals("P9", "v3", hours: 12, temperature: 39.2),
        ]
        for event in outOfOrder ? events : events.sorted(by: { $0.occurredAt < $1.occurredAt }) { state.insert(event) }
        state.appliedOffsets = [ToxWatchTopics.vitals: 41, ToxWatchTopics.patient: 7]
        state.published = PublishedSummary(
            grades: GradeDecisions(
                crs: .init(grade: 1, maxGrade: 1), icans: .init(grade: 0, maxGrade: 0),
                iecHs: .init(present: false, grade: 0, maxGrade: 0)),
            recommendation: PublishedRecommendation(action: .none))
        state.recommendations = [
            PriorRecommendation(
                id: "r/1", issuedAt: Fixtures.at(hours: 10.25), action: .start, doseMg: 56, intervalHours: 6,
                route: .iv,
                protocolId: "childrens-national")
        ]
        state.nextDecisionAt = Fixtures.at(hours: 16.123456789)
        state.lastEvaluatedAt = Fixtures.at(hours: 14)
        return state
    }

    static func restore(_ value: [UInt8]) throws -> PatientState {
        try PartitionProcessor.stateDecoder.decode(PatientStateRecord.self, from: Data(value)).state()
    }

    @Test(
        "the written record is the whole record JSONEncoder gives, and restores the same state",
        arguments: [false, true])
    func writtenEqualsWhole(outOfOrder: Bool) throws {
        let state = Self.state(outOfOrder: outOfOrder)
        let written = PartitionProcessor.changelogValue(state)
        let whole = try PatientStateRecord.encoder.encode(PatientStateRecord(state))
        #expect(firstDifference(written, Array(whole)) == nil)
        let object = try #require(JSONSerialization.jsonObject(with: Data(written)) as? [String: Any])
        #expect(object["formatVersion"] as? Int == 2)
        #expect(object["events"] == nil)
        let course = try #require(object["course"] as? String)
        #expect(!course.contains("/") && !course.contains("+"))
        #expect(try Base64.decode(course.utf8) == state.course.bytes)
        let restored = try Self.restore(written)
        #expect(restored == state)
        #expect(restored.events == state.events)
        #expect(restored.admissions == state.admissions)
    }

    @Test("an event received in another spelling (spaces, key order, a fraction of a second) restores exactly")
    func receivedSpelling() throws {
        let vitals = Array(
            """
            { "temperatureC": 38.7, "type": "vitals", "patientId": "P9", "eventId": "P9-raw",
              "occurredAt": "2026-02-26T10:15:30.125Z", "oxygen": {"device": "room-air"} }
            """.utf8)
        let event = try #require({ if case .clinical(let e) = try decodeEvent(vitals) { e } else { nil } }())
        var state = PatientState(patientId: "P9")
        state.insert(Fixtures.admission("P9"))
        state.insert(event)
        let restored = try Self.restore(PartitionProcessor.changelogValue(state))
        #expect(restored == state)
        #expect(restored.events.last == event)
    }

    @Test("pruning keeps the admission and the latest events, and the pruned state restores equal")
    func pruneRestores() throws {
        var state = Self.state(outOfOrder: true)
        state.prune(keeping: 3 * 3600)
        #expect(state.events.map(\.eventId) == ["P9-adm", "P9-v3", "P9-v2"])
        #expect(try Self.restore(PartitionProcessor.changelogValue(state)) == state)
    }

    /// A record as the previous version (format 1) wrote it: each event as its contract JSON.
    static let formatOneRecord = """
        {"events":[{"type":"patient","eventId":"P9-adm","patientId":"P9","occurredAt":"2026-02-26T08:00:00Z",\
        "ageYears":9,"weightKg":28,"allergies":["e-coli-derived-protein"],"protocol":"childrens-national",\
        "site":"north","infusion":{"product":"tisagenlecleucel","target":"CD19","infusedAt":"2026-02-26T09:00:00Z"}},\
        {"type":"vitals","eventId":"P9-v1","patientId":"P9","occurredAt":"2026-02-26T19:00:00.250Z",\
        "temperatureC":38.6,"systolicBP":100,"oxygen":{"device":"low-flow-nasal-cannula","flowLPerMin":2}}],\
        "appliedOffsets":{"cart.patient.v1":7,"cart.vitals.v1":41},"formatVersion":1,\
        "lastEvaluatedAt":793825200,"nextDecisionAt":793839600.5,"patientId":"P9",\
        "published":{"recommendation":"none"},"recommendations":[]}
        """

    @Test("a format 1 record (the events as contract JSON) restores, and is written again as format 2")
    func formatOneRestores() throws {
        var restored = try Self.restore(Array(Self.formatOneRecord.utf8))
        let expected = try JSONSerialization.jsonObject(with: Data(Self.formatOneRecord.utf8)) as? [String: Any]
        let events = try #require(expected?["events"] as? [Any]).map { object in
            try #require(
                { () throws -> ClinicalEvent? in
                    let json = try JSONSerialization.data(withJSONObject: object)
                    if case .clinical(let e) = try decodeEvent(json) { return e } else { return nil }
                }())
        }
        #expect(restored.events == events)
        #expect(restored.admissions.map(\.site) == ["north"])
        #expect(restored.appliedOffsets == ["cart.patient.v1": 7, "cart.vitals.v1": 41])
        #expect(restored.lastEvaluatedAt == Date(timeIntervalSinceReferenceDate: 793_825_200))
        #expect(restored.nextDecisionAt == Date(timeIntervalSinceReferenceDate: 793_839_600.5))
        let knowsVitals = restored.contains(eventId: "P9-v1")
        #expect(knowsVitals)
        let rewritten = PartitionProcessor.changelogValue(restored)
        #expect(String(decoding: rewritten, as: UTF8.self).contains(#""formatVersion":2"#))
        #expect(try Self.restore(rewritten) == restored)
    }

    @Test("a record of an unknown format, or with a corrupt course, does not restore")
    func unreadableRecords() throws {
        var state = PatientState(patientId: "P9")
        state.insert(Fixtures.admission("P9"))
        let written = String(decoding: PartitionProcessor.changelogValue(state), as: UTF8.self)
        #expect(throws: DecodingError.self) {
            try Self.restore(
                Array(written.replacingOccurrences(of: #""formatVersion":2"#, with: #""formatVersion":3"#).utf8))
        }
        let course = try #require(written.firstRange(of: #""course":""#)).upperBound
        var corrupt = written
        corrupt.replaceSubrange(course..<written.index(after: course), with: "Z")
        #expect(throws: DecodingError.self) { try Self.restore(Array(corrupt.utf8)) }
    }
}
