import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Decides when a patient's event instant may be evaluated, so that the events of one instant
/// (vitals, neuro check and labs charted at 08:00, arriving on three topics) are evaluated together.
///
/// An instant T is ready once every input topic of the partition has passed it (the partition's
/// watermark: per topic, the greatest event time seen; "passed" means greater than T), or once
/// `grace` (wall clock) has passed since the last record at T arrived. A grace of zero makes every
/// instant ready at once.
///
/// Nothing here is persisted: the watermarks are rebuilt from the restored courses, and every
/// instant whose arrival a restored owner never saw counts as arriving when the owner first asks
/// about any of them.
/// What is evaluated (every pending instant, in event time) follows from the changelog alone; only
/// when does not.
struct EvaluationGate: Sendable {
    /// How long an instant waits for the watermark after its last record arrived; zero = not at all.
    let grace: TimeInterval
    /// The topics whose watermarks must pass an instant.
    let topics: [String]
    /// Per input topic, the greatest event time seen in the partition.
    private(set) var watermarks: [String: Date] = [:]
    /// Per patient and pending instant, when its last record arrived and which record it was.
    private var arrivals: [String: [Date: Arrival]] = [:]
    /// When this owner first asked about an instant whose arrival it did not see.
    private var unseenSince: Date?

    private struct Arrival: Sendable {
        var at: Date
        var cause: OutputCause?
    }

    init(grace: TimeInterval, topics: [String] = ToxWatchTopics.patientInputs) {
        self.grace = grace
        self.topics = topics
    }

    /// A record of `topic` brought an event at `instant` into the partition.
    mutating func observe(topic: String, instant: Date) {
        if watermarks[topic].map({ instant > $0 }) ?? true { watermarks[topic] = instant }
    }

    /// A record at `instant` of `patientId` arrived at `now` and waits for evaluation.
    mutating func arrived(patientId: String, instant: Date, now: Date, cause: OutputCause) {
        arrivals[patientId, default: [:]][instant] = Arrival(at: now, cause: cause)
    }

    /// Whether `instant` of `patientId` may be evaluated at wall-clock `now`.
    mutating func isReady(_ instant: Date, patientId: String, now: Date) -> Bool {
        if grace <= 0 || watermarkPassed(instant) { return true }
        let arrived: Date
        if let arrival = arrivals[patientId]?[instant] {
            arrived = arrival.at
        } else {
            // Restored pending: its grace starts when the owner first looks.
            arrived = unseenSince ?? now
            unseenSince = arrived
        }
        return now.timeIntervalSince(arrived) >= grace
    }

    /// Whether every input topic has passed `instant`.
    func watermarkPassed(_ instant: Date) -> Bool {
        topics.allSatisfy { topic in watermarks[topic].map { $0 > instant } ?? false }
    }

    /// The input record whose arrival last moved `instant` of `patientId`, if this owner saw it.
    func cause(patientId: String, instant: Date) -> OutputCause? {
        arrivals[patientId]?[instant]?.cause
    }

    /// `patientId` was evaluated at `instant`: arrivals at or before it are settled.
    mutating func evaluated(patientId: String, through instant: Date) {
        guard var pending = arrivals[patientId] else { return }
        pending = pending.filter { $0.key > instant }
        arrivals[patientId] = pending.isEmpty ? nil : pending
    }

    /// Forgets the patients' arrivals and rebuilds the watermarks from restored courses.
    mutating func rebuild(from patients: some Sequence<PatientState>) {
        arrivals.removeAll()
        watermarks.removeAll()
        unseenSince = nil
        for state in patients {
            for event in state.events {
                observe(topic: InputEvent.clinical(event).type.topic, instant: event.occurredAt)
            }
        }
    }
}
