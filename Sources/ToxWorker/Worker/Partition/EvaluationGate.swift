import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Decides when a patient's event instant may be evaluated, so that the events of one instant
/// (vitals, neuro check and labs charted at 08:00, arriving on three topics) are evaluated together.
///
/// An instant T is ready once every input topic of the partition has passed it (the partition's
/// watermark: per topic, the greatest event time seen; "passed" means greater than T) while the
/// partition's input is caught up (``inputCaughtUp``), or once
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
    /// Whether the partition's input was caught up when the current batch or punctuation began:
    /// nothing known waiting in the inbox, in librdkafka or in the log (the partition task sets it).
    /// The watermark makes an instant ready only then: while a backlog is read, the topics are
    /// fetched apart, so a topic's watermark (set by other patients) says nothing about a lagging
    /// patient's records on it.
    var inputCaughtUp = true
    /// Per patient, when its latest record arrived, until the grace has passed since.
    private var latestArrivals: [String: Date] = [:]

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
        latestArrivals[patientId] = now
    }

    /// Whether `patientId`'s records have settled at wall-clock `now`: none arrived within the
    /// grace. Until then the patient's decisions due after its latest event wait: more of its
    /// records may be on the way (a backfill arriving over several fetches), and a decision fired
    /// before them would be evaluated without events that precede it.
    mutating func isSettled(patientId: String, now: Date) -> Bool {
        guard grace > 0, let latest = latestArrivals[patientId] else { return true }
        guard now.timeIntervalSince(latest) >= grace else { return false }
        latestArrivals[patientId] = nil
        return true
    }

    /// Whether `instant` of `patientId` may be evaluated at wall-clock `now`.
    mutating func isReady(_ instant: Date, patientId: String, now: Date) -> Bool {
        if grace <= 0 || (inputCaughtUp && watermarkPassed(instant)) { return true }
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
        latestArrivals.removeAll()
        watermarks.removeAll()
        unseenSince = nil
        for state in patients {
            for event in state.events {
                observe(topic: InputEvent.clinical(event).type.topic, instant: event.occurredAt)
            }
        }
    }
}
