import Synchronization
package import ToxicityRules

/// The pharmacy stock every partition task consults: the latest inventory event per `site/drug`,
/// filled by the worker's inventory reader from the whole `pharmacy.inventory.v1` topic.
package final class InventoryView: Sendable {
    private let entries = Mutex<[String: InventoryEvent]>([:])

    package init() {}

    /// Records an inventory event. Returns `true` when it changed the drug's status at its site
    /// (the only change that can alter a recommendation or an alternative).
    @discardableResult
    package func apply(_ event: InventoryEvent) -> Bool {
        let key = "\(event.site)/\(event.drug.name)"
        return entries.withLock { entries in
            if let current = entries[key], current.occurredAt > event.occurredAt { return false }
            let changed = entries[key]?.status != event.status
            entries[key] = event
            return changed
        }
    }

    /// The current stock, ordered by key so that evaluations are deterministic.
    package func snapshot() -> [InventoryEvent] {
        entries.withLock { entries in entries.keys.sorted().compactMap { entries[$0] } }
    }
}
