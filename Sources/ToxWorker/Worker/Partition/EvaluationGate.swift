import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Decides when a patient's event instant may be evaluated, so that the events of one instant
/// (vitals, neuro check and labs charted at 08:00, arriving on three topics, and the pharmacy's
/// inventory change of that instant) are evaluated together.
///
/// An instant T is ready once `grace` (wall clock) has passed since the last record at T arrived.
/// A grace of zero makes every instant ready at once.
///
/// There is no watermark shortcut: a topic's greatest event time says nothing about a patient's
/// records of T still on their way when the topics are not each in event order — a backfill read
/// beside live patients, a course produced at once while the topics are fetched apart, the
/// inventory read by its own consumer — and a partition's admission, medication and inventory
/// records are too sparse to pass a live instant anyway (Docs/worker.md, "Evaluation instants").
///
/// Nothing here is persisted: every instant whose arrival a restored owner never saw counts as
/// arriving when the owner first asks about any of them.
/// What is evaluated (every pending instant, in event time) follows from the changelog alone; only
/// when does not.
struct EvaluationGate: Sendable {
    /// How long an instant waits after its last record arrived; zero = not at all.
    let grace: TimeInterval
    /// Per patient and pending instant, when its last record arrived and which record it was.
    private var arrivals: [String: [Date: Arrival]] = [:]
    /// When this owner first asked about an instant whose arrival it did not see.
    private var unseenSince: Date?
    /// Per patient, when its latest record arrived, until the grace has passed since.
    private var latestArrivals: [String: Date] = [:]

    private struct Arrival: Sendable {
        var at: Date
        var cause: OutputCause?
    }

    init(grace: TimeInterval) {
        self.grace = grace
    }

    /// A record at `instant` of `patientId` arrived at `now` and waits for evaluation.
    mutating func arrived(patientId: String, instant: Date, now: Date, cause: OutputCause?) {
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
        if grace <= 0 { return true }
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

    /// The earliest end of a grace after `now` among the arrivals still waiting; nil with none or
    /// no grace. (An instant whose grace has ended may still wait for an earlier instant of its
    /// patient, whose record arrived later: that one's grace is the deadline that matters.)
    func earliestDeadline(after now: Date) -> Date? {
        guard grace > 0 else { return nil }
        let since = now.addingTimeInterval(-grace)
        var earliest: Date?
        for instants in arrivals.values {
            for arrival in instants.values where arrival.at > since && earliest.map({ arrival.at < $0 }) ?? true {
                earliest = arrival.at
            }
        }
        return earliest?.addingTimeInterval(grace)
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

    /// Forgets every arrival (after a restore: the restored instants' grace starts when first asked).
    mutating func reset() {
        arrivals.removeAll()
        latestArrivals.removeAll()
        unseenSince = nil
    }
}
