public import Foundation
import ProtocolCatalog
import ToxWatchContract
import ToxWorker
import ToxicityRules

/// The records the worker writes for one patient's course, to measure their encoding (`toxbench
/// rules COURSE --what encode|encode-foundation`): the outputs it publishes and the changelog
/// record after every event. Not used by the service.
///
/// Building it replays the course (`Benchmarks/Fixtures/course-72h.json`) event by event as a
/// partition task does: after each event the patient is evaluated at the latest event time, each
/// output whose decision changed is kept with its envelope, and the patient's state is kept as the
/// changelog record would be written from it.
public struct OutputEncodeWorkload: Sendable {
    private let grades: [ToxicityGradesOutput]
    private let recommendations: [AnakinraRecommendationOutput]
    private let alternatives: [ShortageAlternativeOutput]
    private let states: [PatientState]

    /// Which records a call encodes.
    public enum Records: String, Sendable {
        case all, outputs, changelog
    }

    /// Records encoded by one call.
    public func recordCount(_ records: Records) -> Int {
        let outputs = grades.count + recommendations.count + alternatives.count
        switch records {
        case .all: return outputs + states.count
        case .outputs: return outputs
        case .changelog: return states.count
        }
    }

    /// - Parameter course: a `toxctl evaluate` input document.
    public init(course: Data) throws {
        let input = try RulesWorkload.input(course)
        let catalog = try AnakinraProtocolCatalog.load()
        let evaluator = PatientEvaluator(protocols: catalog.protocols)
        let inventory = InventorySnapshot(input.inventory)
        var state = PatientState(patientId: input.patient.patientId)
        var grades: [ToxicityGradesOutput] = []
        var recommendations: [AnakinraRecommendationOutput] = []
        var alternatives: [ShortageAlternativeOutput] = []
        var states: [PatientState] = []
        var advice: [PublishedShortageAdvice] = []
        for (index, event) in input.timeline.sorted(by: { $0.occurredAt < $1.occurredAt }).enumerated() {
            state.insert(event)
            guard let at = state.latestEventAt else { continue }
            let evaluation = evaluator.evaluate(state, at: at, inventory: inventory)
            func id(_ type: OutputType) -> String { "\(type.rawValue)/\(state.patientId)/\(index)" }
            if evaluation.summary.grades != state.published.grades {
                grades.append(
                    ToxicityGradesOutput(
                        id: id(.toxicityGrades), patientId: state.patientId, assessedAt: at, body: evaluation.grades))
            }
            if evaluation.summary.recommendation != state.published.recommendation,
                let recommendation = evaluation.recommendation
            {
                recommendations.append(
                    AnakinraRecommendationOutput(
                        id: id(.anakinraRecommendation), patientId: state.patientId, assessedAt: at,
                        body: recommendation))
                state.recommendations.append(recommendation.prior(id: id(.anakinraRecommendation), issuedAt: at))
            }
            if evaluation.alternativeSummaries != advice {
                alternatives += evaluation.alternatives.map {
                    ShortageAlternativeOutput(
                        id: id(.shortageAlternative), patientId: state.patientId, assessedAt: at, body: $0)
                }
                advice = evaluation.alternativeSummaries
            }
            state.published.grades = evaluation.summary.grades
            state.published.recommendation = evaluation.summary.recommendation
            state.appliedOffsets[ToxWatchTopics.vitals, default: 0] += 1
            state.lastEvaluatedAt = at
            state.nextDecisionAt = evaluation.nextDecisionAt
            states.append(state)
        }
        self.grades = grades
        self.recommendations = recommendations
        self.alternatives = alternatives
        self.states = states
    }

    /// Encodes the records with the service's writer (``JSONByteWriter``), or with `foundation`
    /// through the reference path (Foundation's `JSONEncoder`).
    /// - Returns: the bytes written.
    public func encode(_ records: Records, foundation: Bool = false) -> Int {
        var bytes = 0
        if records != .changelog {
            bytes += grades.reduce(0) { $0 + Self.count($1, foundation: foundation) }
            bytes += recommendations.reduce(0) { $0 + Self.count($1, foundation: foundation) }
            bytes += alternatives.reduce(0) { $0 + Self.count($1, foundation: foundation) }
        }
        if records != .outputs {
            for state in states {
                bytes +=
                    foundation
                    ? PatientStateRecord.encodeWithFoundation(state).count : PatientStateRecord.encode(state).count
            }
        }
        return bytes
    }

    private static func count<Body: OutputBody>(_ output: OutputEnvelope<Body>, foundation: Bool) -> Int {
        ((try? foundation ? Array(output.encodedWithFoundation()) : output.encodedBytes())?.count) ?? 0
    }
}
