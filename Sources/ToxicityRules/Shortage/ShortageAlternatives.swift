package import Foundation

// Pharmacy inventory and shortage alternatives (clinical-spec A10).

/// The latest stock status per site and drug: what `pharmacy.inventory.v1` says at an instant.
///
/// The snapshot is the caller's view of the inventory (the worker's global table, or the
/// `inventory` array of `toxctl evaluate` up to T); the engine does not filter it by time.
package struct InventorySnapshot: Sendable, Hashable {
    /// One site's stock of one drug.
    package struct Entry: Sendable, Hashable {
        package var site: String
        package var drug: Drug
        package var status: StockStatus
        package var unitsOnHand: Int?
        package var unitMg: Double?
        package var eventId: String
        package var occurredAt: Date
    }

    /// Entries by site, then by drug slot (drugs without a slot are not tracked).
    private var bySite: [String: [Entry?]] = [:]
    /// The worst status of each drug across sites (for patients without a site).
    private var worst: [Entry?] = []

    /// No inventory: every drug available.
    package static let empty = InventorySnapshot()

    package init() {}

    /// The latest event per `site/drug` (by `occurredAt`; on a tie the later in the list).
    package init(_ events: [InventoryEvent]) {
        var latest: [String: [Entry?]] = [:]
        for event in events {
            guard let slot = event.drug.slot else { continue }
            var row = latest[event.site] ?? Array(repeating: nil, count: Drug.slotCount)
            if let current = row[slot], current.occurredAt > event.occurredAt { continue }
            row[slot] = Entry(
                site: event.site,
                drug: event.drug,
                status: event.status,
                unitsOnHand: event.unitsOnHand,
                unitMg: event.unitMg,
                eventId: event.eventId,
                occurredAt: event.occurredAt
            )
            latest[event.site] = row
        }
        bySite = latest
        var worst = [Entry?](repeating: nil, count: Drug.slotCount)
        for site in latest.keys.sorted() {
            guard let row = latest[site] else { continue }
            for (slot, entry) in row.enumerated() {
                guard let entry else { continue }
                if let current = worst[slot], current.status.severity >= entry.status.severity { continue }
                worst[slot] = entry
            }
        }
        self.worst = worst
    }

    /// The stock of `drug` at `site`; for a patient without a site, the worst status of any site.
    package func entry(_ drug: Drug, site: String?) -> Entry? {
        guard let slot = drug.slot else { return nil }
        if let site {
            guard let row = bySite[site] else { return nil }
            return row[slot]
        }
        return worst.isEmpty ? nil : worst[slot]
    }

    /// Every entry, by site then drug name.
    package var entries: [Entry] {
        bySite.keys.sorted().flatMap { site in (bySite[site] ?? []).compactMap { $0 } }
    }
}

extension StockStatus {
    /// available 0, low 1, shortage 2, unavailable 3.
    package var severity: Int {
        switch self {
        case .available: 0
        case .low: 1
        case .shortage: 2
        case .unavailable: 3
        }
    }

    /// `shortage` or `unavailable`: alternatives are offered.
    package var isShort: Bool { self == .shortage || self == .unavailable }
}

/// A dose of an alternative agent.
package struct AlternativeDose: Hashable, Sendable {
    /// mg per dose (0.1 mg for supporting agents, whole mg for anakinra); `nil` without a
    /// frequency (CHOP) or weight.
    package var mg: Double?
    package var mgPerKg: Double?
    package var route: Route
    package var frequency: DoseFrequency?
    /// `once`, `Q6H`, `twice weekly` …
    package var schedule: String
    package var dailyMg: Double?

    package init(
        mg: Double?,
        mgPerKg: Double?,
        route: Route,
        frequency: DoseFrequency?,
        schedule: String,
        dailyMg: Double?
    ) {
        self.mg = mg
        self.mgPerKg = mgPerKg
        self.route = route
        self.frequency = frequency
        self.schedule = schedule
        self.dailyMg = dailyMg
    }
}

/// One ranked alternative.
package struct AlternativeOption: Hashable, Sendable {
    package var rank: Int
    package var drug: String
    package var dose: AlternativeDose?
    /// `shortage-mode: outside usual line` for anakinra offered before its line of therapy.
    package var label: String?
    package var rationale: String
    /// Where the option comes from (`case series`, `CARTOX (off-label)` …).
    package var evidence: String
    package var status: EvidenceStatus
    package var cautions: [Reason]
    /// The protocol the anakinra option was computed with.
    package var protocolId: String?

    package init(
        rank: Int, drug: String, dose: AlternativeDose?, label: String? = nil, rationale: String, evidence: String,
        status: EvidenceStatus, cautions: [Reason], protocolId: String? = nil
    ) {
        self.rank = rank
        self.drug = drug
        self.dose = dose
        self.label = label
        self.rationale = rationale
        self.evidence = evidence
        self.status = status
        self.cautions = cautions
        self.protocolId = protocolId
    }
}

/// An agent considered and left out, with the reason.
package struct ExcludedAlternative: Hashable, Sendable {
    package var drug: String
    package var reason: Reason

    package init(drug: String, reason: Reason) {
        self.drug = drug
        self.reason = reason
    }
}

/// The patient's need for the short drug in the next 24 hours.
package struct ShortageNeed: Hashable, Sendable {
    package var mg: Double?
    package var doses: Int?
    /// Stock units (100 mg syringes for anakinra; the inventory's `unitMg` otherwise).
    package var units: Int?

    package init(mg: Double?, doses: Int?, units: Int?) {
        self.mg = mg
        self.doses = doses
        self.units = units
    }
}

/// Alternatives to a drug the patient needs now and cannot have (A10), or to anakinra when it is
/// held for hypersensitivity or TNF blockade (Part B TC23).
package struct ShortageAlternative: Hashable, Sendable {
    package var shortDrug: String
    package var site: String?
    package var status: StockStatus?
    /// `shortage`, `contraindication` or `tnf-blockade`.
    package var cause: String
    /// Why the patient needs the drug now.
    package var reasons: [Reason]
    package var alternatives: [AlternativeOption]
    package var excluded: [ExcludedAlternative]
    package var need24h: ShortageNeed?

    package init(
        shortDrug: String,
        site: String?,
        status: StockStatus?,
        cause: String,
        reasons: [Reason],
        alternatives: [AlternativeOption],
        excluded: [ExcludedAlternative],
        need24h: ShortageNeed?
    ) {
        self.shortDrug = shortDrug
        self.site = site
        self.status = status
        self.cause = cause
        self.reasons = reasons
        self.alternatives = alternatives
        self.excluded = excluded
        self.need24h = need24h
    }

    /// The alternative for a drug, if offered.
    package func option(_ drug: String) -> AlternativeOption? { alternatives.first { $0.drug == drug } }
}

/// What the shortage rules decided at T (plain values; an `Explainer` builds the alternatives).
struct ShortageDecision: Hashable, Sendable {
    /// Tocilizumab short at the patient's site, and the patient would need it now.
    var tocilizumab: InventorySnapshot.Entry?
    /// Anakinra short at the patient's site, and the patient is on or due anakinra.
    var anakinra: InventorySnapshot.Entry?
    var isEmpty: Bool { tocilizumab == nil && anakinra == nil }
}

extension PatientTimeline {
    /// A10: the patient "would need tocilizumab now" with CRS at the policy's grade (2) or more in
    /// an open episode and the tocilizumab maximum (4 in total, 3 in 24 h) not reached.
    func needsTocilizumab(at t: Double, grades: GradeSnapshot, dosing: DosingPolicy) -> Bool {
        guard grades.crs.core.grade >= dosing.tocilizumabNeedGrade, grades.crs.status?.isOpen == true else {
            return false
        }
        let toci = index.given[Drug.tocilizumab.slot ?? 0]
        let infusion = index.infusedAt(at: t)?.time ?? -.infinity
        let total = toci.count(from: infusion, through: t)
        let last24 = toci.countAtOrBefore(t) - toci.countAtOrBefore(t - 24 * 3600)
        return total < dosing.tocilizumabMaximumTotal && last24 < dosing.tocilizumabMaximumPer24Hours
    }
}
