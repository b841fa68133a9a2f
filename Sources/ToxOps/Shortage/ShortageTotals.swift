package import Foundation
import KafkaClient
import ToxWatchContract
package import ToxicityRules

/// One record of `pharmacy.shortage-alternatives.v1`, reduced to what the site totals need: whose
/// advice, when, about which short drug at which site, and the patient's next-24-hour need
/// (the engine's ``ShortageNeed``).
package struct ShortageAdvice: Sendable, Hashable {
    package var patientId: String
    package var assessedAt: Date
    package var shortDrug: String
    package var site: String?
    package var status: StockStatus?
    /// `shortage`, `contraindication` or `tnf-blockade`; only `shortage` advice draws on stock.
    package var cause: String
    package var need: ShortageNeed?

    package init(
        patientId: String, assessedAt: Date, shortDrug: String, site: String?, status: StockStatus?, cause: String,
        need: ShortageNeed?
    ) {
        self.patientId = patientId
        self.assessedAt = assessedAt
        self.shortDrug = shortDrug
        self.site = site
        self.status = status
        self.cause = cause
        self.need = need
    }

    private struct Wire: Decodable {
        var type: String
        var patientId: String
        var assessedAt: String
        var shortDrug: String
        var site: String?
        var status: String?
        var cause: String?
        var need24h: ShortageNeedWire?
    }

    /// The largest need one record may state (doses, units; mg a thousand times that): far above
    /// any patient's 24 hours, so that the site's totals can never overflow.
    static let maximumNeed = 1_000_000

    /// Reads a record as `toxd` writes it; nil for anything else (another type, unreadable JSON, a
    /// need that is negative or past ``maximumNeed``).
    package static func decode(_ value: [UInt8]) -> ShortageAdvice? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(value)), wire.type == "shortage-alternative",
            case .success(let assessedAt) = ISO8601Timestamp.parse(wire.assessedAt)
        else { return nil }
        if let need = wire.need24h?.need {
            let counts = [need.doses, need.units].compactMap { $0 }
            guard counts.allSatisfy({ (0...maximumNeed).contains($0) }),
                need.mg.map({ $0.isFinite && $0 >= 0 && $0 <= Double(maximumNeed) * 1000 }) ?? true
            else { return nil }
        }
        return ShortageAdvice(
            patientId: wire.patientId, assessedAt: assessedAt, shortDrug: Drug(name: wire.shortDrug).name,
            site: wire.site,
            status: wire.status.flatMap(StockStatus.init(rawValue:)), cause: wire.cause ?? "shortage",
            need: wire.need24h?.need)
    }
}

/// One short drug's line of `toxctl shortage`.
package struct ShortageLine: Sendable, Hashable, Codable {
    package var drug: String
    /// The latest inventory status at the site, nil without an inventory record.
    package var status: String?
    /// Patients whose latest advice has a need for the drug in the next 24 hours.
    package var patients: Int
    package var doses: Int
    package var mg: Double
    /// Stock units needed (100 mg syringes for anakinra; the inventory's `unitMg` otherwise); nil
    /// when some patient's need cannot be converted to units.
    package var unitsNeeded: Int?
    package var unitMg: Double?
    package var unitsOnHand: Int?
    /// Units needed minus units on hand, at least 0; nil when either is unknown.
    package var shortfall: Int?

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(drug, forKey: .drug)
        try c.encode(status, forKey: .status)
        try c.encode(patients, forKey: .patients)
        try c.encode(doses, forKey: .doses)
        try c.encode(mg, forKey: .mg)
        try c.encode(unitsNeeded, forKey: .unitsNeeded)
        try c.encode(unitMg, forKey: .unitMg)
        try c.encode(unitsOnHand, forKey: .unitsOnHand)
        try c.encode(shortfall, forKey: .shortfall)
    }
}

/// `toxctl shortage --site S`: every patient's latest need against the latest inventory.
package struct ShortageReport: Sendable, Hashable {
    package var site: String
    package var lines: [ShortageLine]
    /// Advice records at the site that were superseded by a later one of the same patient and drug.
    package var superseded: Int
    /// Records on the topic that could not be read as shortage advice.
    package var unreadable: Int
    /// Records of `pharmacy.inventory.v1` that are not valid inventory events (toxd dead-letters them).
    package var unreadableInventory = 0
    /// Inventory keys of the site (`site/drug`) whose latest record could not be read: their line
    /// uses the record before it.
    package var staleInventoryKeys: [String] = []

    package var hasShortfall: Bool { lines.contains { ($0.shortfall ?? 0) > 0 } }
}

package enum ShortageTotals {
    /// The unit size of a drug when the inventory does not say: anakinra comes as 100 mg syringes.
    package static func defaultUnitMg(_ drug: String) -> Double? { drug == Drug.anakinra.name ? 100 : nil }

    /// Totals the needs of the latest advice per patient and drug at `site` against the latest
    /// inventory record per `site/drug`. Advice whose cause is not a shortage (a contraindication,
    /// TNF blockade) draws on no stock and is left out; a later record without need (the patient no
    /// longer needs the drug: cause `no-longer-needed`) replaces an earlier one.
    package static func compute(
        site: String, advice: [ShortageAdvice], inventory: [InventoryEvent], unreadable: Int = 0,
        unreadableInventory: Int = 0, staleInventoryKeys: Set<String> = []
    ) -> ShortageReport {
        var latest: [String: ShortageAdvice] = [:]
        var atSite = 0
        for record in advice
        where record.site == site && (record.cause == "shortage" || record.cause == "no-longer-needed") {
            atSite += 1
            let key = "\(record.patientId)\u{0}\(record.shortDrug)"
            if let previous = latest[key], previous.assessedAt > record.assessedAt { continue }
            latest[key] = record
        }
        var stock: [String: InventoryEvent] = [:]
        for event in inventory where event.site == site {
            if let previous = stock[event.drug.name], previous.occurredAt > event.occurredAt { continue }
            stock[event.drug.name] = event
        }
        var drugs = Set(latest.values.map(\.shortDrug))
        for (drug, event) in stock where event.status == .shortage || event.status == .unavailable {
            drugs.insert(drug)
        }
        var lines: [ShortageLine] = []
        for drug in drugs.sorted() {
            let entry = stock[drug]
            let unitMg = entry?.unitMg ?? defaultUnitMg(drug)
            let needs = latest.values.filter { $0.shortDrug == drug }.compactMap(\.need).filter(hasNeed)
            var units: Int? = 0
            for need in needs {
                guard let patientUnits = need.units ?? unitsFor(need, unitMg: unitMg) else {
                    units = nil
                    break
                }
                units = units.map { $0 + patientUnits }
            }
            let shortfall: Int? =
                if let units, let onHand = entry?.unitsOnHand { max(0, units - onHand) } else { nil }
            lines.append(
                ShortageLine(
                    drug: drug, status: entry?.status.rawValue, patients: needs.count,
                    doses: needs.reduce(0) { $0 + ($1.doses ?? 0) },
                    mg: needs.reduce(0) { $0 + ($1.mg ?? 0) }, unitsNeeded: units, unitMg: unitMg,
                    unitsOnHand: entry?.unitsOnHand,
                    shortfall: shortfall))
        }
        return ShortageReport(
            site: site, lines: lines, superseded: atSite - latest.count, unreadable: unreadable,
            unreadableInventory: unreadableInventory,
            staleInventoryKeys: staleInventoryKeys.filter { $0.hasPrefix(site + "/") }.sorted())
    }

    private static func hasNeed(_ need: ShortageNeed) -> Bool {
        (need.mg ?? 0) > 0 || (need.doses ?? 0) > 0 || (need.units ?? 0) > 0
    }

    /// Units for a need without its own count: whole units per dose (an opened syringe is not
    /// shared), else for the total.
    static func unitsFor(_ need: ShortageNeed, unitMg: Double?) -> Int? {
        guard let unitMg, unitMg > 0, let mg = need.mg else { return nil }
        if let doses = need.doses, doses > 0 {
            return Int((mg / Double(doses) / unitMg).rounded(.up)) * doses
        }
        return Int((mg / unitMg).rounded(.up))
    }
}

extension ShortageReport {
    package func render(palette: Palette = .plain) -> String {
        var lines = [
            palette.apply(
                .bold, "Site \(site): next-24-hour need of patients with shortage advice, against the latest inventory")
        ]
        if self.lines.isEmpty {
            lines.append("No shortage advice and no short drug at site \(site).")
        } else {
            var table = TextTable(columns: [
                .init("DRUG"), .init("STATUS"), .init("PATIENTS", .right), .init("DOSES", .right), .init("MG", .right),
                .init("UNITS NEEDED", .right), .init("UNIT", .right), .init("ON HAND", .right),
                .init("SHORTFALL", .right),
            ])
            for line in self.lines {
                let shortfall: TextTable.Cell =
                    switch line.shortfall {
                    case nil: .init("?", style: .yellow)
                    case 0?: .init("0", style: .green)
                    case let value?: .init(String(value), style: .red)
                    }
                table.append([
                    .init(line.drug), .init(line.status ?? "no record", style: line.status == nil ? .yellow : nil),
                    .init(String(line.patients)), .init(String(line.doses)), .init(formatNumber(line.mg)),
                    .init(line.unitsNeeded.map(String.init) ?? "?"),
                    .init(line.unitMg.map { "\(formatNumber($0)) mg" } ?? "?"),
                    .init(line.unitsOnHand.map(String.init) ?? "?"), shortfall,
                ])
            }
            lines.append(table.render(palette: palette))
        }
        if superseded > 0 {
            lines.append(palette.apply(.dim, "\(superseded) earlier advice record(s) superseded by a later one."))
        }
        if unreadable > 0 {
            lines.append(palette.apply(.yellow, "\(unreadable) record(s) could not be read as shortage advice."))
        }
        if unreadableInventory > 0 {
            lines.append(
                palette.apply(
                    .yellow,
                    "\(unreadableInventory) inventory record\(unreadableInventory == 1 ? "" : "s") could not be read "
                        + "(toxctl dlq list --source-topic \(ToxWatchTopics.inventory) says why)."))
        }
        for key in staleInventoryKeys {
            lines.append(
                palette.apply(
                    .yellow,
                    "The latest inventory record of \(escapingControlCharacters(key)) could not be read: its line uses the one before it."
                ))
        }
        lines.append(palette.apply(.dim, "Decision support: a pharmacist verifies every figure before acting on it."))
        return lines.joined(separator: "\n")
    }

    package func renderJSON() throws -> String {
        struct Document: Encodable {
            var site: String
            var drugs: [ShortageLine]
            var superseded: Int
            var unreadable: Int
            var unreadableInventory: Int
            var staleInventoryKeys: [String]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(
            decoding: try encoder.encode(
                Document(
                    site: site, drugs: lines, superseded: superseded, unreadable: unreadable,
                    unreadableInventory: unreadableInventory, staleInventoryKeys: staleInventoryKeys)),
            as: UTF8.self)
    }
}

/// Reads the shortage-advice and inventory topics.
package struct ShortageCollector: Sendable {
    package let reader: TopicReader

    package init(reader: TopicReader) {
        self.reader = reader
    }

    package func collect(site: String) async throws(OpsError) -> ShortageReport {
        struct Collected: Sendable {
            var advice: [ShortageAdvice] = []
            var inventory: [String: InventoryEvent] = [:]
            var unreadable = 0
            var unreadableInventory = 0
            /// Keys whose latest record could not be read.
            var staleKeys: Set<String> = []
        }
        let adviceTopic = ToxWatchTopics.shortageAlternatives
        let inventoryTopic = ToxWatchTopics.inventory
        let collected = try await reader.read([adviceTopic, inventoryTopic], into: Collected()) { state, message in
            if message.topic == inventoryTopic {
                let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
                guard let value = message.value else {
                    state.inventory[key] = nil  // a tombstone deletes the key
                    state.staleKeys.remove(key)
                    return
                }
                if case .inventory(let event)? = try? decodeEvent(value) {
                    state.inventory[event.key] = event
                    state.staleKeys.remove(event.key)
                } else {
                    // As toxd does: not an inventory event, so dead-lettered, and counted here.
                    state.unreadableInventory += 1
                    if state.inventory[key] != nil { state.staleKeys.insert(key) }
                }
            } else if let value = message.value, let advice = ShortageAdvice.decode(value) {
                state.advice.append(advice)
            } else if message.value != nil {
                state.unreadable += 1
            }
        }
        return ShortageTotals.compute(
            site: site, advice: collected.advice, inventory: Array(collected.inventory.values),
            unreadable: collected.unreadable,
            unreadableInventory: collected.unreadableInventory, staleInventoryKeys: collected.staleKeys)
    }
}
