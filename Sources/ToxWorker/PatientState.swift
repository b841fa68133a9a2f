package import ClinicalEvents
package import Foundation
package import ToxicityRules

/// What a worker knows about one patient: the course so far (in event time), which inputs it
/// already reflects, and what it last published. Persisted as one changelog record per change.
package struct PatientState: Sendable, Equatable {
    package let patientId: String
    /// The course, ordered by `occurredAt` (ties keep arrival order), pruned to what rules need.
    package private(set) var events: [ClinicalEvent] = []
    /// Per input topic, the highest offset (in this patient's partition) already applied.
    package var appliedOffsets: [String: Int64] = [:]
    /// What was last published for this patient, for change detection.
    package var published = PublishedSummary()
    /// The anakinra recommendations published for this patient (the engine reads its earlier advice).
    package var recommendations: [PriorRecommendation] = []
    /// The next instant at which the assessment may change with no new event (punctuation).
    package var nextDecisionAt: Date?
    /// The latest instant the patient was evaluated at (an event time or a timer's due instant).
    /// Evaluations never go back before it, so a patient's outputs move forward in time.
    package var lastEvaluatedAt: Date?

    package init(patientId: String) {
        self.patientId = patientId
    }

    /// Latest event time of the course.
    package var latestEventAt: Date? { events.last?.occurredAt }

    /// The instant an input-driven evaluation uses: the latest event time, or a later instant a
    /// timer already evaluated at.
    package var evaluationInstant: Date? {
        guard let latest = latestEventAt else { return nil }
        return lastEvaluatedAt.map { max($0, latest) } ?? latest
    }

    /// Whether the state already reflects this input record.
    package func hasApplied(topic: String, offset: Int64) -> Bool {
        guard let applied = appliedOffsets[topic] else { return false }
        return offset <= applied
    }

    /// Whether an event with this id is already part of the course (an HL7 resend, a replay).
    package func contains(eventId: String) -> Bool {
        events.contains { $0.eventId == eventId }
    }

    /// Inserts an event in event time; an event with the same instant as others goes after them.
    package mutating func insert(_ event: ClinicalEvent) {
        let time = event.occurredAt
        if let last = events.last, last.occurredAt > time {
            let index = events.partitionPoint { $0.occurredAt > time }
            events.insert(event, at: index)
        } else {
            events.append(event)
        }
    }

    /// Drops events no rule can need any more: everything older than `horizon` before the latest
    /// event, except the latest patient (admission) event, which carries age, allergies and infusion.
    package mutating func prune(keeping horizon: TimeInterval) {
        guard let latest = latestEventAt else { return }
        let cutoff = latest.addingTimeInterval(-horizon)
        guard let first = events.first, first.occurredAt < cutoff else { return }
        var keptPatientEvents: [ClinicalEvent] = []
        var kept: [ClinicalEvent] = []
        kept.reserveCapacity(events.count)
        for event in events {
            if event.occurredAt >= cutoff {
                kept.append(event)
            } else if case .patient = event {
                keptPatientEvents.append(event)
            }
        }
        events = keptPatientEvents + kept
        recommendations.removeAll { $0.issuedAt < cutoff }
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, assuming the array is partitioned
    /// (all non-matching elements first).
    fileprivate func partitionPoint(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// The part of each output that decides whether a new one is published: grades, the
/// recommendation's action and dose, and the alternatives. Reasons and event ids change with
/// every observation and do not count.
package struct PublishedSummary: Sendable, Equatable, Codable {
    package var grades: String?
    package var recommendation: String?
    package var alternatives: String?

    package init(grades: String? = nil, recommendation: String? = nil, alternatives: String? = nil) {
        self.grades = grades
        self.recommendation = recommendation
        self.alternatives = alternatives
    }
}

/// The changelog value of a patient (`toxd.patient-state.v1`, key = patient id).
package struct PatientStateRecord: Codable, Sendable {
    package static let formatVersion = 1

    package var formatVersion: Int
    package var patientId: String
    package var events: [EventEnvelope]
    package var appliedOffsets: [String: Int64]
    package var published: PublishedSummary
    package var recommendations: [PriorRecommendation]?
    package var nextDecisionAt: Date?
    package var lastEvaluatedAt: Date?

    package init(_ state: PatientState) {
        formatVersion = Self.formatVersion
        patientId = state.patientId
        events = state.events.map { EventEnvelope($0) }
        appliedOffsets = state.appliedOffsets
        published = state.published
        recommendations = state.recommendations
        nextDecisionAt = state.nextDecisionAt
        lastEvaluatedAt = state.lastEvaluatedAt
    }

    /// Rebuilds the state; events are re-sorted in case a future writer did not keep them in order.
    package func state() -> PatientState {
        var state = PatientState(patientId: patientId)
        for envelope in events {
            if case .clinical(let event) = envelope.event { state.insert(event) }
        }
        state.appliedOffsets = appliedOffsets
        state.published = published
        state.recommendations = recommendations ?? []
        state.nextDecisionAt = nextDecisionAt
        state.lastEvaluatedAt = lastEvaluatedAt
        return state
    }
}

/// The changelog's per-partition checkpoint: where each output partition ended after the last
/// batch whose changelog was written. Outputs after these offsets may belong to an interrupted
/// batch, so restore scans them.
package struct PartitionCheckpoint: Codable, Sendable, Equatable {
    package var formatVersion = 1
    package var partition: Int
    /// Output topic → the offset just after the batch's last output in partition `partition`.
    package var outputEndOffsets: [String: Int64]
    /// Input topic → the next offset after the inputs whose effects (outputs, dead letters and
    /// changelog records) are all written. Inputs below it are skipped even if their offsets were
    /// never committed, which covers poison records that leave no patient state behind.
    package var handledInputOffsets: [String: Int64]

    package init(partition: Int, outputEndOffsets: [String: Int64], handledInputOffsets: [String: Int64]) {
        self.partition = partition
        self.outputEndOffsets = outputEndOffsets
        self.handledInputOffsets = handledInputOffsets
    }

    /// The changelog key of partition `partition`'s checkpoint. It starts with a control
    /// character, which no patient id (an HL7 or FHIR identifier) may contain.
    package static func key(partition: Int) -> String { "\u{1}toxd-checkpoint-\(partition)" }
}
