import Synchronization
package import ToxicityRules

/// The pharmacy stock every partition task consults: the latest inventory event per `site/drug`,
/// filled by the worker's inventory reader from the whole `pharmacy.inventory.v1` topic.
package final class InventoryView: Sendable {
    private let state = Mutex((events: [String: InventoryEvent](), snapshot: InventorySnapshot.empty))

    package init() {}

    /// Records an inventory event. Returns `true` when it changed the drug's status at its site
    /// (the only change that can alter a recommendation or an alternative).
    @discardableResult
    package func apply(_ event: InventoryEvent) -> Bool {
        let key = "\(event.site)/\(event.drug.name)"
        return state.withLock { state in
            if let current = state.events[key], current.occurredAt > event.occurredAt { return false }
            let changed = state.events[key]?.status != event.status
            state.events[key] = event
            state.snapshot = InventorySnapshot(state.events.keys.sorted().compactMap { state.events[$0] })
            return changed
        }
    }

    /// The current stock as the engine reads it (rebuilt only when an event arrives).
    package func snapshot() -> InventorySnapshot {
        state.withLock { $0.snapshot }
    }

    /// Number of `site/drug` entries known.
    package var count: Int { state.withLock { $0.events.count } }
}
