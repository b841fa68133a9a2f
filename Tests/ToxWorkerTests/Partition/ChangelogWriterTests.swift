import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The changelog record's byte writer (``PatientStateRecord/encode(_:)``) writes exactly the bytes
/// of the reference path (``PatientStateRecord/encodeWithFoundation(_:)``: Foundation's
/// `JSONEncoder` with ``PatientStateRecord/encoder``): random patient states through both.
@Suite("Changelog writer")
struct ChangelogWriterTests {
    typealias Fixtures = PartitionProcessorTests

    /// A random state: a few events, random offsets, published decisions, earlier recommendations,
    /// instants and issued ids, each present or absent, with strings and numbers of every kind.
    static func randomState(_ rng: inout SplitMix64) -> PatientState {
        let patientId = rng.jsonString()
        var state = PatientState(patientId: patientId)
        // Events carry a valid patient id (an invalid one cannot be encoded, and the record is empty).
        let eventPatient = "P\(rng.next() % 1000)"
        if rng.next() % 2 == 0 { state.insert(Fixtures.admission(eventPatient)) }
        for index in 0..<rng.count(max: 3) {
            state.insert(
                Fixtures.vitals(
                    eventPatient, "v\(index)/\(rng.next() % 100)", hours: Double(rng.next() % 80),
                    temperature: 36 + Double(rng.next() % 40) / 10))
        }
        for _ in 0..<rng.count(max: 4) { state.appliedOffsets[rng.jsonString()] = Int64(rng.jsonInt()) }
        state.published = PublishedSummary(
            grades: rng.next() % 3 == 0
                ? nil
                : GradeDecisions(
                    crs: .init(grade: rng.next() % 3 == 0 ? nil : rng.jsonInt(), maxGrade: rng.jsonInt()),
                    icans: .init(grade: rng.jsonInt(), maxGrade: rng.jsonInt()),
                    iecHs: .init(present: rng.next() % 2 == 0, grade: rng.jsonInt(), maxGrade: rng.jsonInt())),
            recommendation: rng.next() % 3 == 0
                ? nil
                : PublishedRecommendation(
                    action: rng.pick(RecommendationAction.allCases), protocolId: rng.optionalJSONString(),
                    mg: rng.jsonInt(), route: rng.pick(Route.allCases)))
        if rng.next() % 2 == 0 {
            var advice: [String: ShortageAdviceState] = [:]
            for _ in 0..<rng.count(max: 3) {
                let summary = PublishedShortageAdvice(
                    drug: rng.jsonString(), site: rng.optionalJSONString(), status: rng.pick(StockStatus.allCases),
                    alternatives: [.init(rank: rng.jsonInt(), drug: rng.jsonString())])
                advice[rng.jsonString()] = ShortageAdviceState(
                    summary: rng.next() % 4 == 0 ? nil : summary, neededAt: rng.jsonDate())
            }
            state.published.setAdvice(advice)
        }
        state.recommendations = (0..<rng.count(max: 3)).map { _ in
            PriorRecommendation(
                id: rng.jsonString(), issuedAt: rng.jsonDate(), action: rng.pick(RecommendationAction.allCases),
                drug: rng.jsonString(), doseMg: rng.optionalJSONDouble(), intervalHours: rng.optionalJSONDouble(),
                route: rng.next() % 3 == 0 ? nil : rng.pick(Route.allCases), protocolId: rng.optionalJSONString(),
                dailyMg: rng.optionalJSONDouble())
        }
        state.nextDecisionAt = rng.optionalJSONDate()
        state.lastEvaluatedAt = rng.optionalJSONDate()
        for _ in 0..<rng.count(max: 3) {
            state.noteIssued(
                OutputID(
                    type: rng.pick(OutputType.allCases), patientId: patientId, instant: rng.jsonDate(),
                    drug: rng.optionalJSONString(), revision: Int(rng.next() % 4)))
        }
        return state
    }

    @Test("random patient states: the writer's changelog record is JSONEncoder's, byte for byte")
    func randomStates() throws {
        var rng = SplitMix64(state: 0xC4A6)
        for seed in 0..<500 {
            let state = Self.randomState(&rng)
            let written = PatientStateRecord.encode(state)
            #expect(!written.isEmpty)
            let reference = PatientStateRecord.encodeWithFoundation(state)
            #expect(firstDifference(written, reference) == nil, "seed \(seed)")
        }
    }

    @Test("a state with a non-finite number has no record, as encoding it with JSONEncoder gives none")
    func nonFinite() {
        var state = PatientState(patientId: "P1")
        state.recommendations = [PriorRecommendation(id: "r", issuedAt: Fixtures.now, action: .start, doseMg: .nan)]
        #expect(PatientStateRecord.encode(state).isEmpty)
        #expect(PatientStateRecord.encodeWithFoundation(state).isEmpty)
    }
}
