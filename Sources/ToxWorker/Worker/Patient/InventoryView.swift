package import Foundation
import Synchronization
package import ToxicityRules

/// The pharmacy stock every partition task consults: the inventory events per `site/drug`, filled
/// by the worker's inventory reader from the whole `pharmacy.inventory.v1` topic, kept as a history
/// in event time so that an evaluation at T reads the stock as it was at T, whenever it runs.
package final class InventoryView: Sendable {
    private struct State {
        /// Per `site/drug`, its events in event time (a tie keeps arrival order), at most
        /// ``InventoryView/eventsPerDrug`` of them.
        var events: [String: [InventoryEvent]] = [:]
        /// The history built from ``events``; nil after a change until it is asked for.
        var history: InventoryHistory? = .empty
    }

    private let state = Mutex(State())

    /// How many events of one drug at one site are kept: the oldest go first. An evaluation reads
    /// the stock at most a late-event window (6 h by default) back from the patient's latest event,
    /// and a site's stock of a drug changes a few times a day.
    static let eventsPerDrug = 64

    package init() {}

    /// Records an inventory event. Returns `true` when it changed the drug's status at its site
    /// at its own instant (the only change that can alter a recommendation or an alternative).
    @discardableResult
    package func apply(_ event: InventoryEvent) -> Bool {
        let key = "\(event.site)/\(event.drug.name)"
        return state.withLock { state in
            var events = state.events[key] ?? []
            let index = events.partitionPoint { $0.occurredAt > event.occurredAt }
            let before = index > 0 ? events[index - 1].status : nil
            events.insert(event, at: index)
            if events.count > Self.eventsPerDrug { events.removeFirst(events.count - Self.eventsPerDrug) }
            state.events[key] = events
            state.history = nil
            return before != event.status
        }
    }

    /// The stock over event time, as the evaluations read it (rebuilt only after an event arrived).
    package func history() -> InventoryHistory {
        state.withLock { state in
            if let history = state.history { return history }
            let history = InventoryHistory(state.events.keys.sorted().flatMap { state.events[$0] ?? [] })
            state.history = history
            return history
        }
    }

    /// Number of `site/drug` entries known.
    package var count: Int { state.withLock { $0.events.count } }
}

/// The pharmacy stock over event time: which ``InventorySnapshot`` held at each instant.
///
/// Evaluations read the stock of their own instant (``snapshot(at:)``), so an inventory event read
/// before a patient's earlier instants were evaluated (the inventory has its own consumer; a
/// backfill arrives at once) does not reach back into them, and the same course gives the same
/// records live, in one batch, after a crash or through `toxctl evaluate --timeline`.
package struct InventoryHistory: Sendable {
    /// From each change instant on (ascending), the stock until the next one.
    private var steps: [(from: Date, snapshot: InventorySnapshot)]
    /// Each event that changed its drug's status at its site from the event before it (the first
    /// of a drug at a site counts), ascending in event time.
    private var changes: [(at: Date, site: String)] = []

    /// No inventory: every drug available at every instant.
    package static let empty = InventoryHistory(snapshot: .empty)

    /// The same stock at every instant (tests, and callers without a history).
    package init(snapshot: InventorySnapshot) {
        steps = [(.distantPast, snapshot)]
    }

    /// The history of `events` (any order; on a tie in `occurredAt` the later in the list wins, as
    /// ``InventorySnapshot/init(_:)`` decides). Before the first event every drug is available.
    package init(_ events: [InventoryEvent]) {
        let ordered = events.enumerated().sorted {
            ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset)
        }
        var latest: [String: InventoryEvent] = [:]
        var changes: [(at: Date, site: String)] = []
        var steps: [(from: Date, snapshot: InventorySnapshot)] = [(.distantPast, .empty)]
        var index = ordered.startIndex
        while index < ordered.endIndex {
            let instant = ordered[index].element.occurredAt
            while index < ordered.endIndex, ordered[index].element.occurredAt == instant {
                let event = ordered[index].element
                let key = "\(event.site)/\(event.drug.name)"
                if latest[key]?.status != event.status { changes.append((instant, event.site)) }
                latest[key] = event
                index += 1
            }
            let snapshot = InventorySnapshot(latest.keys.sorted().compactMap { latest[$0] })
            if snapshot != steps[steps.count - 1].snapshot { steps.append((instant, snapshot)) }
        }
        self.steps = steps
        self.changes = changes
    }

    /// The stock at `instant`: every event at or before it counts.
    package func snapshot(at instant: Date) -> InventorySnapshot {
        let index = steps.partitionPoint { $0.from > instant }
        return steps[max(0, index - 1)].snapshot
    }

    /// The changes of a drug's status at a site after `instant` (all of them when nil), ascending.
    package func changes(after instant: Date?) -> ArraySlice<(at: Date, site: String)> {
        changes[(instant.map { instant in changes.partitionPoint { $0.at > instant } } ?? 0)...]
    }

    /// The stock after every event.
    package var latest: InventorySnapshot { steps[steps.count - 1].snapshot }
}
