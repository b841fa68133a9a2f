public import Foundation
import ToxWatchContract
import ToxWorker
import ToxicityRules

/// What holding and restoring patient states costs (`toxbench state-memory`, `toxbench restore`):
/// many patients, each with the first events of one course (`Benchmarks/Fixtures/course-72h.json`)
/// under its own patient and event ids. Not used by the service.
public final class PatientStateWorkload {
    /// The course's events in event time, the admission first.
    private let course: [ClinicalEvent]
    /// The states ``hold(count:events:)`` built, kept alive until ``release()``.
    private var held: [PatientState] = []

    /// - Parameter course: a `toxctl evaluate` input document.
    public init(course: Data) throws {
        let input = try RulesWorkload.input(course)
        self.course = input.timeline.sorted { $0.occurredAt < $1.occurredAt }
    }

    /// The number of events in the course.
    public var courseLength: Int { course.count }

    /// Builds `count` patients' states of the course's first `events` events (1: the admission
    /// alone) and holds them. - Returns: the number of events held.
    @discardableResult
    public func hold(count: Int, events: Int) -> Int {
        held.reserveCapacity(held.count + count)
        for index in 0..<count { held.append(state(patient: index, events: events)) }
        return count * min(events, course.count)
    }

    /// Drops the held states.
    public func release() {
        held = []
    }

    /// The changelog records of `count` patients with the course's first `events` events: as the
    /// current writer writes them (``PatientStateRecord/encode(_:)``), or in format 1 (each event
    /// as its contract JSON), as the version before the compact course wrote them.
    public func records(count: Int, events: Int, formatOne: Bool) -> [[UInt8]] {
        (0..<count).map { index in
            let state = state(patient: index, events: events)
            return formatOne ? FormatOneRecord(state).encoded() : PatientStateRecord.encode(state)
        }
    }

    /// Restores a state from each record as a partition's restore does. - Returns: the events restored.
    public func restore(_ records: [[UInt8]]) throws -> Int {
        var events = 0
        for value in records {
            let state = try PartitionProcessor.stateDecoder.decode(PatientStateRecord.self, from: Data(value)).state()
            events += state.latestEventAt == nil ? 0 : 1
        }
        return events
    }

    /// Patient `index`'s state: the course's first `events` events under its ids, as a worker holds
    /// it after applying them (offsets per topic, evaluated at the latest event).
    private func state(patient index: Int, events: Int) -> PatientState {
        let patientId = "BENCH-\(100_000 + index)"
        var state = PatientState(patientId: patientId)
        for (number, event) in course.prefix(events).enumerated() {
            state.insert(Self.event(event, patientId: patientId, eventId: "\(patientId)-\(number)"))
            state.appliedOffsets[InputEvent.clinical(event).type.topic] = Int64(index * 64 + number)
        }
        state.lastEvaluatedAt = state.latestEventAt
        return state
    }

    private static func event(_ event: ClinicalEvent, patientId: String, eventId: String) -> ClinicalEvent {
        switch event {
        case .patient(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .patient(e)
        case .vitals(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .vitals(e)
        case .neuro(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .neuro(e)
        case .lab(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .lab(e)
        case .finding(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .finding(e)
        case .medication(var e):
            (e.patientId, e.eventId) = (patientId, eventId)
            return .medication(e)
        }
    }
}

/// A changelog record in format 1, as the worker wrote it before the compact course: the events as
/// contract JSON, every other member as in format 2.
private struct FormatOneRecord: Encodable {
    var events: [EventEnvelope]
    var formatVersion = 1
    var patientId: String
    var appliedOffsets: [String: Int64]
    var published: PublishedSummary
    var recommendations: [PriorRecommendationWire]?
    var nextDecisionAt: Date?
    var lastEvaluatedAt: Date?

    init(_ state: PatientState) {
        events = state.events.map { EventEnvelope($0) }
        patientId = state.patientId
        appliedOffsets = state.appliedOffsets
        published = state.published
        recommendations = state.recommendations.map(PriorRecommendationWire.init)
        nextDecisionAt = state.nextDecisionAt
        lastEvaluatedAt = state.lastEvaluatedAt
    }

    func encoded() -> [UInt8] {
        (try? PatientStateRecord.encoder.encode(self)).map { Array($0) } ?? []
    }
}
