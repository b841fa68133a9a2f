public import Foundation
import ProtocolCatalog
import ToxWatchContract
import ToxWorker
import ToxicityRules

/// The per-event work of the worker on one patient, exposed for the benchmark package in
/// `Benchmarks/` (a separate package, which cannot see `package` declarations). Not used by the
/// service.
///
/// The patient is a `toxctl evaluate` document (`Benchmarks/Fixtures/course-72h.json`: a 72-hour
/// course). Building the workload replays it event by event the way a partition task does, so
/// the patient carries the anakinra recommendations the worker would have published.
public struct RulesWorkload: Sendable {
    private let evaluator: PatientEvaluator
    private let engine = ToxicityEngine()
    private let state: PatientState
    private let instant: Date
    private let inventory: InventorySnapshot
    private let prepared: PreparedProtocol?
    private let timeline: PatientTimeline
    /// The timeline of every event but the latest, built with the protocol's policy, and the
    /// latest event: the patient as the worker holds it when the latest event arrives.
    private let timelineBeforeLatest: PatientTimeline
    private let latestEvent: ClinicalEvent
    private let rawEvents: [[UInt8]]
    private let rawEventData: [Data]

    /// Events in the course (the admission included).
    public var eventCount: Int { state.events.count }
    /// Recommendations the worker published while the course was replayed.
    public var publishedRecommendationCount: Int { state.recommendations.count }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A workload's course file, read as `toxctl evaluate` reads it.
    static func input(_ course: Data) throws -> EvaluationInput {
        do {
            return try EvaluationInput.decode(course)
        } catch {
            throw Failure(description: "course: \(error)")
        }
    }

    /// - Parameter course: a `toxctl evaluate` input document.
    public init(course: Data) throws {
        let input = try Self.input(course)
        let catalog = try AnakinraProtocolCatalog.load()
        guard let protocolId = input.patient.protocolId, let rules = catalog[protocolId] else {
            throw Failure(description: "course: the admission must name a shipped protocol")
        }
        evaluator = PatientEvaluator(protocols: catalog.protocols)
        prepared = PreparedProtocol(rules)
        inventory = InventorySnapshot(input.inventory)
        // The worker's replay: apply each event, evaluate at the latest event time, and keep the
        // recommendations whose action or dose changed (PartitionProcessor.evaluate).
        var state = PatientState(patientId: input.patient.patientId)
        var published: PublishedRecommendation?
        for (index, event) in input.timeline.sorted(by: { $0.occurredAt < $1.occurredAt }).enumerated() {
            state.insert(event)
            guard let at = state.latestEventAt else { continue }
            let evaluation = evaluator.evaluate(state, at: at, inventory: inventory)
            if evaluation.summary.recommendation != published, let recommendation = evaluation.recommendation {
                state.recommendations.append(recommendation.prior(id: "bench/\(index)", issuedAt: at))
                published = evaluation.summary.recommendation
            }
        }
        self.state = state
        guard let last = state.latestEventAt else { throw Failure(description: "course: no events") }
        instant = last
        timeline = engine.timeline(state.events, recommendations: state.recommendations)
        guard let latest = state.events.last else { throw Failure(description: "course: no events") }
        latestEvent = latest
        timelineBeforeLatest = PatientTimeline(
            events: state.events.dropLast(), recommendations: state.recommendations,
            policy: engine.policy(for: prepared))
        // Each event's own bytes, as the worker receives them.
        guard let document = try JSONSerialization.jsonObject(with: course) as? [String: Any],
            let events = document["events"] as? [Any], let patient = document["patient"]
        else { throw Failure(description: "course: not an object with patient and events") }
        rawEvents = try ([patient] + events).map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        rawEventData = rawEvents.map { Data($0) }
    }

    /// One evaluation as the worker runs it after an event: `PatientEvaluator.evaluate` (the
    /// timeline from the patient's events, then the assessment's decisions, the alternatives, the
    /// next decision instant and the published summary; nothing explained that is not published).
    /// - Returns: a value that depends on the result (keep it alive in the benchmark).
    public func evaluateLikeWorker() -> Int {
        let evaluation = evaluator.evaluate(state, at: instant, inventory: inventory)
        return (evaluation.summary.grades?.crs.maxGrade ?? 0) &+ (evaluation.summary.recommendation?.mg ?? 0)
            &+ evaluation.alternatives.count &+ (evaluation.nextDecisionAt == nil ? 0 : 1)
    }

    /// The full assessment on a timeline built beforehand (the engine alone), explained: the
    /// grading (grades, their event ids and alerts), the recommendation's body, the alternatives
    /// and the next decision instant.
    public func assessPrebuilt() -> Int {
        let assessment = engine.assess(timeline, at: instant, prepared: prepared, inventory: inventory)
        let explainer = Explainer(assessment)
        let grades: ToxicityGradesBody? = ToxicityGradesBody(explainer.grading)
        let recommendation: RecommendationBody? = explainer.recommendation.body
        let alternatives = explainer.alternatives
        return (grades?.crs.grade ?? 0) &+ (grades?.icans.grade ?? 0) &+ (grades?.inputEventIds.count ?? 0)
            &+ (recommendation?.dose?.mg ?? 0) &+ alternatives.count &+ (grades?.alerts.count ?? 0)
            &+ (assessment.nextDecisionAt == nil ? 0 : 1)
    }

    /// The latest event appended to the patient's timeline (``PatientTimeline/adding(_:)``: the
    /// index extended, the grade courses built on), then the decisions at its instant, nothing
    /// explained: what the worker computes for an event after which no output changes.
    public func appendAndDecide() -> Int {
        let assessment = appendedAssessment()
        return assessment.grades.crs.maxGrade &+ (assessment.decidedDose?.mg ?? 0)
            &+ (assessment.nextDecisionAt == nil ? 0 : 1)
    }

    /// ``appendAndDecide()`` and then the published path: the grades and the recommendation
    /// explained and both output records encoded.
    /// - Returns: the encoded bytes.
    public func appendDecideExplainEncode() -> Int {
        let assessment = appendedAssessment()
        let explainer = Explainer(assessment)
        let grades = OutputEnvelope(
            id: "bench", patientId: state.patientId, assessedAt: instant, body: ToxicityGradesBody(explainer.grading))
        let recommendation = OutputEnvelope(
            id: "bench", patientId: state.patientId, assessedAt: instant, body: explainer.recommendation)
        return ((try? grades.encoded())?.count ?? 0) &+ ((try? recommendation.encoded())?.count ?? 0)
    }

    private func appendedAssessment() -> Assessment {
        let appended = timelineBeforeLatest.adding([latestEvent])
        return engine.assess(appended, at: instant, prepared: prepared, inventory: inventory)
    }

    /// Building the patient's timeline (every index and grade history) from its events.
    public func buildTimeline() -> Int {
        engine.timeline(state.events, recommendations: state.recommendations).events.count
    }

    /// Decoding and validating every event of the course from its bytes (`decodeEvent`: the
    /// byte-level reader the worker uses, ``EventCodec``).
    /// - Returns: the number of events decoded.
    public func decodeCourse() -> Int {
        var decoded = 0
        for bytes in rawEvents where (try? decodeEvent(bytes)) != nil { decoded += 1 }
        return decoded
    }

    /// The same through the reference reader (Foundation's `JSONDecoder`), for comparison.
    /// - Returns: the number of events decoded.
    public func decodeCourseWithFoundation() -> Int {
        var decoded = 0
        for bytes in rawEventData where (try? EventEnvelope.decodeWithFoundation(bytes)) != nil { decoded += 1 }
        return decoded
    }

    /// Number of raw events ``decodeCourse()`` decodes.
    public var rawEventCount: Int { rawEvents.count }

    /// The changelog record of the patient (what the worker writes after each change), in bytes.
    public func encodeChangelogRecord() -> Int {
        PartitionProcessor.changelogValue(state).count
    }
}
