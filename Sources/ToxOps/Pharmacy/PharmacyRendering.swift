import Foundation
import ToxWatchContract

extension PharmacyWorklist {
    /// The worklist as a table for a terminal (or a pipe).
    package func render(palette: Palette = .plain) -> String {
        let scope = site.map { "site \($0)" } ?? "all sites"
        var lines = [
            palette.apply(
                .bold,
                "Pharmacy worklist · \(scope) · at \(ChartTimeScale.fullClock(at)) · \(entries.count) active patient\(entries.count == 1 ? "" : "s")"
            )
        ]
        if entries.isEmpty {
            lines.append("No patient has an active anakinra recommendation\(site.map { " at site \($0)" } ?? "").")
        } else {
            var columns: [TextTable.Column] = [.init("PATIENT")]
            if site == nil { columns.append(.init("SITE")) }
            columns += [
                .init("ACTION"), .init("DOSE", .right), .init("ROUTE"), .init("FREQ"), .init("DAILY", .right),
                .init("NEXT DOSE DUE"),
                .init("ADVISED"), .init("WARNINGS"), .init("VERIFIED"),
            ]
            var table = TextTable(columns: columns)
            for entry in entries {
                let r = entry.recommendation
                var cells: [TextTable.Cell] = [.init(entry.patientId)]
                if site == nil { cells.append(.init(entry.site ?? "?")) }
                let warnings = r.alerts + r.warnings
                cells += [
                    .init(r.action.uppercased(), style: r.action == "stop" || r.action == "hold" ? .yellow : nil),
                    .init(r.mg.map { "\($0) mg" + (r.mgPerKg.map { " (\(Self.number($0)) mg/kg)" } ?? "") } ?? "-"),
                    .init(r.route ?? "-"), .init(r.frequency ?? "-"), .init(r.dailyMg.map { "\($0) mg" } ?? "-"),
                    .init(dueText(entry), style: entry.due == .overdue ? .red : nil),
                    .init(Self.clock(r.assessedAt)),
                    .init(
                        warnings.isEmpty ? "-" : warnings.joined(separator: ", "),
                        style: r.alerts.isEmpty ? nil : .yellow),
                    .init(entry.verification, style: .yellow),
                ]
                table.append(cells)
            }
            lines.append(table.render(palette: palette))
        }
        if withoutSite > 0 {
            lines.append(
                palette.apply(
                    .dim,
                    "\(withoutSite) active patient(s) with no known site not shown (run without --site to see them)."))
        }
        lines.append("")
        lines.append(palette.apply(.bold, "Next-24-hour need of short drugs against stock (as `toxctl shortage`)"))
        let stockLines = stock.flatMap { report in report.lines.map { (report.site, $0) } }
        if stockLines.isEmpty {
            lines.append("No shortage advice and no short drug\(site.map { " at site \($0)" } ?? "").")
        } else {
            var table = TextTable(columns: [
                .init("SITE"), .init("DRUG"), .init("STATUS"), .init("PATIENTS", .right), .init("DOSES", .right),
                .init("MG", .right),
                .init("UNITS NEEDED", .right), .init("ON HAND", .right), .init("SHORTFALL", .right),
            ])
            for (site, line) in stockLines {
                let shortfall: TextTable.Cell =
                    switch line.shortfall {
                    case nil: .init("?", style: .yellow)
                    case 0?: .init("0", style: .green)
                    case let value?: .init(String(value), style: .red)
                    }
                table.append([
                    .init(site), .init(line.drug), .init(line.status ?? "no record"), .init(String(line.patients)),
                    .init(String(line.doses)), .init(Self.number(line.mg)),
                    .init(line.unitsNeeded.map(String.init) ?? "?"),
                    .init(line.unitsOnHand.map(String.init) ?? "?"), shortfall,
                ])
            }
            lines.append(table.render(palette: palette))
        }
        lines.append(
            palette.apply(
                .dim,
                "Decision support: every line requires clinician verification, and a pharmacist checks every dose; "
                    + "ToxWatch records no verification yet, so each recommendation shows as unverified."))
        return lines.joined(separator: "\n")
    }

    /// `overdue 2 h 10 min (03-07 20:30)`, `in 45 min (…)`, `first dose, due since …`, `on hold`, `no further doses`.
    func dueText(_ entry: Entry) -> String {
        guard let dueAt = entry.dueAt else {
            switch entry.recommendation.action {
            case "hold": return "on hold"
            case "stop": return "no further doses"
            default: return "-"
            }
        }
        let span = Self.span(abs(at.timeIntervalSince(dueAt)))
        if entry.isFirstDose { return "first dose, due since \(Self.clock(dueAt)) (\(span))" }
        return entry.due == .overdue ? "overdue \(span) (\(Self.clock(dueAt)))" : "in \(span) (\(Self.clock(dueAt)))"
    }

    /// One JSON document (one line): what the table shows, for programs.
    package func renderJSON() throws -> String {
        struct Dose: Encodable {
            var mg: Int?
            var mgPerKg: Double?
            var route: String?
            var frequency: String?
            var dailyMg: Int?
        }
        struct Patient: Encodable {
            var patientId: String
            var site: String?
            var action: String
            var dose: Dose?
            var nextDoseDueAt: String?
            var firstDose: Bool
            var due: String
            var minutesOverdue: Int?
            var warnings: [String]
            var alerts: [String]
            var verification: String
            var protocolId: String?
            var recommendationId: String
            var recommendedAt: String

            enum CodingKeys: String, CodingKey {
                case patientId, site, action, dose, nextDoseDueAt, firstDose, due, minutesOverdue, warnings, alerts,
                    verification
                case protocolId = "protocol"
                case recommendationId, recommendedAt
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(patientId, forKey: .patientId)
                try c.encode(site, forKey: .site)
                try c.encode(action, forKey: .action)
                try c.encode(dose, forKey: .dose)
                try c.encode(nextDoseDueAt, forKey: .nextDoseDueAt)
                try c.encode(firstDose, forKey: .firstDose)
                try c.encode(due, forKey: .due)
                try c.encode(minutesOverdue, forKey: .minutesOverdue)
                try c.encode(warnings, forKey: .warnings)
                try c.encode(alerts, forKey: .alerts)
                try c.encode(verification, forKey: .verification)
                try c.encode(protocolId, forKey: .protocolId)
                try c.encode(recommendationId, forKey: .recommendationId)
                try c.encode(recommendedAt, forKey: .recommendedAt)
            }
        }
        struct Stock: Encodable {
            var site: String
            var line: ShortageLine

            func encode(to encoder: any Encoder) throws {
                try line.encode(to: encoder)
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(site, forKey: .site)
            }

            enum CodingKeys: String, CodingKey { case site }
        }
        struct Document: Encodable {
            var at: String
            var site: String?
            var patients: [Patient]
            var stock: [Stock]
            var patientsWithoutSite: Int
            var requiresClinicianVerification = true

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(at, forKey: .at)
                try c.encode(site, forKey: .site)
                try c.encode(patients, forKey: .patients)
                try c.encode(stock, forKey: .stock)
                try c.encode(patientsWithoutSite, forKey: .patientsWithoutSite)
                try c.encode(requiresClinicianVerification, forKey: .requiresClinicianVerification)
            }

            enum CodingKeys: String, CodingKey {
                case at, site, patients, stock, patientsWithoutSite, requiresClinicianVerification
            }
        }
        let patients = entries.map { entry in
            let r = entry.recommendation
            return Patient(
                patientId: entry.patientId, site: entry.site, action: r.action,
                dose: r.mg == nil && r.route == nil
                    ? nil
                    : Dose(mg: r.mg, mgPerKg: r.mgPerKg, route: r.route, frequency: r.frequency, dailyMg: r.dailyMg),
                nextDoseDueAt: entry.dueAt.map(ISO8601Timestamp.format), firstDose: entry.isFirstDose,
                due: entry.due.rawValue,
                minutesOverdue: entry.due == .overdue ? entry.dueAt.map { Int(at.timeIntervalSince($0) / 60) } : nil,
                warnings: r.warnings, alerts: r.alerts, verification: entry.verification, protocolId: r.protocolId,
                recommendationId: r.id, recommendedAt: ISO8601Timestamp.format(r.assessedAt))
        }
        let document = Document(
            at: ISO8601Timestamp.format(at), site: site, patients: patients,
            stock: stock.flatMap { report in report.lines.map { Stock(site: report.site, line: $0) } },
            patientsWithoutSite: withoutSite)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// `03-07 20:30` (UTC).
    static func clock(_ date: Date) -> String {
        ChartTimeScale.clock(date)
    }

    /// `2 h 10 min`, `45 min`, `3 d 4 h`.
    static func span(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 {
            return minutes % 60 == 0 ? "\(minutes / 60) h" : "\(minutes / 60) h \(minutes % 60) min"
        }
        return "\(minutes / 1440) d \(minutes % 1440 / 60) h"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded()
            ? String(Int(value))
            : String(format: "%.2f", value).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}
