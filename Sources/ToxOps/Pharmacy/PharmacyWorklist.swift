package import Foundation
package import ToxicityRules

/// `toxctl pharmacy`: what the pharmacy has to prepare, from the latest anakinra recommendation per
/// patient, and the 24-hour need of short drugs against stock per site (``ShortageTotals``).
///
/// Patient id only: no name, no clinical detail beyond the dose and its warnings.
package struct PharmacyWorklist: Sendable {
    /// When the next dose falls, judged at the worklist's instant.
    package enum Due: String, Sendable, Codable {
        /// The due time has passed.
        case overdue
        /// The due time is still ahead.
        case upcoming
        /// Nothing to give on a schedule (hold, stop).
        case none
    }

    /// One active patient's line.
    package struct Entry: Sendable, Hashable {
        package var patientId: String
        package var site: String?
        package var recommendation: RecommendationRecord
        /// The next dose: the record's `nextDoseDueAt`, or the recommendation's time for a start
        /// (no dose given yet: the first dose is due now).
        package var dueAt: Date?
        package var isFirstDose: Bool
        package var due: Due
        /// Always `unverified`: ToxWatch records no clinician verification (`ack`) yet.
        package var verification: String { "unverified" }
    }

    package var at: Date
    /// The site asked for, nil for all.
    package var site: String?
    /// Overdue first (most overdue first), then by due time, then those without a due time.
    package var entries: [Entry]
    /// Per site, the short drugs' 24-hour need against the latest inventory.
    package var stock: [ShortageReport]
    /// Active patients left out because no site is known for them (only with a site asked for).
    package var withoutSite: Int

    /// A recommendation stays on the list this long after a `stop`, so the pharmacy stops preparing.
    package static let stopShownFor: TimeInterval = 24 * 3600

    /// Builds the worklist.
    /// - Parameters:
    ///   - recommendations: recommendation records, any order; the latest per patient counts.
    ///   - sites: each patient's site (from the admission events).
    ///   - advice: shortage advice records and `inventory`: totalled per site by ``ShortageTotals``.
    ///   - site: only this site's patients and stock; nil for every site.
    ///   - at: the instant due and overdue are judged at.
    ///   - asOf: when given, records after it are left out (the worklist as it was then, for a
    ///     replayed course); a live worklist keeps every record.
    package static func build(
        recommendations: [RecommendationRecord], sites: [String: String], advice: [ShortageAdvice],
        inventory: [InventoryEvent], site: String?, at: Date, asOf: Date? = nil
    ) -> PharmacyWorklist {
        func kept(_ date: Date) -> Bool { asOf.map { date <= $0 } ?? true }
        let recommendations = recommendations.filter { kept($0.assessedAt) }
        let advice = advice.filter { kept($0.assessedAt) }
        let inventory = inventory.filter { kept($0.occurredAt) }
        // The latest record per patient, except that a `none` right after a `stop` (course completed)
        // leaves the stop shown: the pharmacy is to stop preparing.
        var latest: [String: RecommendationRecord] = [:]
        var latestNonNone: [String: RecommendationRecord] = [:]
        for record in recommendations {
            if let current = latest[record.patientId], current.assessedAt > record.assessedAt { continue }
            latest[record.patientId] = record
            if record.action != "none" { latestNonNone[record.patientId] = record }
        }
        for (patientId, record) in latest where record.action == "none" {
            if let stop = latestNonNone[patientId], stop.action == "stop" { latest[patientId] = stop }
        }
        var entries: [Entry] = []
        var withoutSite = 0
        for record in latest.values where isActive(record, at: at) {
            let patientSite = sites[record.patientId] ?? adviceSite(record.patientId, advice)
            if let site, patientSite != site {
                if patientSite == nil { withoutSite += 1 }
                continue
            }
            let isFirstDose = record.action == "start" && record.nextDoseDueAt == nil
            let dueAt = record.givesDose ? (record.nextDoseDueAt ?? (isFirstDose ? record.assessedAt : nil)) : nil
            let due: Due = dueAt.map { $0 <= at ? .overdue : .upcoming } ?? .none
            entries.append(
                Entry(
                    patientId: record.patientId, site: patientSite, recommendation: record, dueAt: dueAt,
                    isFirstDose: isFirstDose, due: due))
        }
        entries.sort(by: Self.order)
        let stockSites =
            site.map { [$0] }
            ?? Array(Set(inventory.map(\.site) + advice.compactMap(\.site))).sorted()
        let stock = stockSites.map { ShortageTotals.compute(site: $0, advice: advice, inventory: inventory) }
        return PharmacyWorklist(at: at, site: site, entries: entries, stock: stock, withoutSite: withoutSite)
    }

    /// On the list: an action that gives or holds a dose, or a stop issued in the last 24 hours.
    static func isActive(_ record: RecommendationRecord, at: Date) -> Bool {
        switch record.action {
        case "start", "continue", "escalate", "taper", "hold": true
        case "stop": at.timeIntervalSince(record.assessedAt) < stopShownFor
        default: false
        }
    }

    /// The site of the patient's latest shortage advice, when the admission gave none.
    private static func adviceSite(_ patientId: String, _ advice: [ShortageAdvice]) -> String? {
        advice.filter { $0.patientId == patientId && $0.site != nil }.max { $0.assessedAt < $1.assessedAt }?.site
    }

    /// Overdue before upcoming before none; within them by due time, then patient id.
    private static func order(_ a: Entry, _ b: Entry) -> Bool {
        let rank: [Due: Int] = [.overdue: 0, .upcoming: 1, .none: 2]
        if a.due != b.due { return rank[a.due, default: 2] < rank[b.due, default: 2] }
        if let x = a.dueAt, let y = b.dueAt, x != y { return x < y }
        return a.patientId < b.patientId
    }
}
