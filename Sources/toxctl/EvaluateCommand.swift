import ArgumentParser
import Foundation
import ProtocolCatalog
import ToxWatchContract
import ToxicityRules

/// `toxctl evaluate`: one patient, offline, through the same engine as `toxd`.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Grade one patient and recommend anakinra offline (same engine as toxd, no Kafka).",
        discussion: """
            Input: one JSON document {"patient": {…}, "events": […], "inventory": […]?} (Schemas/evaluate-input.schema.json). \
            Output: one JSON document {"grades", "recommendation", "alternatives", "alerts"} \
            (Schemas/assessment.schema.json). Only events at or before --at count; --at defaults to the latest \
            event time (inventory included). The protocol is --protocol, else the patient's own `protocol`. \
            The course is first replayed through the worker's own logic, so the answer reads the recommendations \
            toxd would have published before --at (taper steps, course boundaries) and is what toxd would say then.

            With --format fhir, the recommendation is printed as one FHIR R4 resource instead: a MedicationRequest \
            (status draft, intent proposal: anakinra by RxNorm code (unverified) and text, the dose, route, timing, \
            the protocol's caps as maxDosePerPeriod/maxDosePerAdministration, the rationale and "requires clinician \
            verification" as notes, the ToxWatch output id as identifier and extension) when the recommendation \
            proposes a dose (start, continue, escalate, taper); otherwise (none, hold, stop, or no dose because the \
            weight is missing) an OperationOutcome of severity information naming the action and its reasons. \
            Exit status 0 in both cases.

            With --timeline, every output the worker would publish for the course up to --at (default: the \
            latest event), one JSON object a line in the order toxd writes them, with toxd's output ids \
            (type/patient/instant-ms, see Docs/worker.md): the course is fed through the worker's own logic, \
            admission first, then inventory and events in event time, the stock changes re-evaluating the patient.

            With --compare-protocols, every protocol of the catalog is applied to the patient and the \
            recommendations are printed side by side (a table; --json for a JSON document).

            Everything printed is decision support for a clinician and a pharmacist to verify, never an order.

            Exit status: 0 on success; 2 when the input, a protocol file, --at or the protocol is invalid (the \
            message names the field).

            Examples:
              toxctl evaluate --protocol childrens-national patient.json
              toxctl evaluate --at 2026-03-03T18:00:00Z - < patient.json
              toxctl evaluate --compare-protocols patient.json
              toxctl evaluate --timeline Scripts/demo-data/course.json
              toxctl evaluate --protocol st-jude --format fhir patient.json
            """
    )

    @Option(name: .customLong("protocol"), help: "The protocol id (see `toxctl protocols list`).")
    var protocolId: String?

    @Option(name: .long, help: "The instant to evaluate at (ISO-8601 with a UTC offset).")
    var at: String?

    @Flag(name: .customLong("compare-protocols"), help: "Apply every protocol of the catalog, side by side.")
    var compareProtocols = false

    @Flag(help: "With --compare-protocols: print JSON instead of a table.")
    var json = false

    @Flag(help: "Print every output the worker would publish for the course (JSON lines, with the worker's ids).")
    var timeline = false

    /// What `toxctl evaluate` prints.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// The assessment (Schemas/assessment.schema.json).
        case json
        /// The recommendation as a FHIR R4 MedicationRequest proposal, or an OperationOutcome.
        case fhir
    }

    @Option(help: "json (the assessment, default) or fhir (the recommendation as one FHIR R4 resource).")
    var format: Format = .json

    @OptionGroup var catalog: ProtocolsCommand.CatalogOptions

    @Argument(help: "The input file, or - for standard input (the default).")
    var file: String = "-"

    func run() throws {
        let name = file == "-" ? "standard input" : file
        let data: Data
        do {
            data =
                try file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw fail("cannot read \(name): \(error.localizedDescription)")
        }
        let input: EvaluationInput
        do {
            input = try EvaluationInput.decode(data)
        } catch {
            throw fail("invalid input (\(name)): \(error)")
        }
        let loaded = try catalog.loadCatalog()

        let instant: Date
        if let at {
            guard let parsed = Self.parseInstant(at) else {
                throw fail("--at: '\(at)' is not an ISO-8601 date-time with a UTC offset (e.g. 2026-03-03T18:00:00Z)")
            }
            instant = parsed
        } else {
            let times = input.timeline.map(\.occurredAt) + input.inventory.map(\.occurredAt)
            instant = times.max() ?? input.patient.occurredAt
        }
        let inventory = InventorySnapshot(input.inventory.filter { $0.occurredAt <= instant })
        let engine = ToxicityEngine()

        if timeline, compareProtocols || format != .json {
            throw fail("--timeline cannot be combined with --compare-protocols or --format fhir")
        }
        if compareProtocols {
            guard format == .json else { throw fail("--format fhir cannot be combined with --compare-protocols") }
            let timeline = engine.timeline(input.timeline)
            var rows: [(AnakinraProtocol, Explainer)] = []
            for anakinraProtocol in loaded.protocols {
                let prepared = PreparedProtocol(anakinraProtocol)
                let assessment = engine.assess(timeline, at: instant, prepared: prepared, inventory: inventory)
                rows.append((anakinraProtocol, Explainer(assessment)))
            }
            if json {
                try printJSON(ProtocolComparison(rows: rows.map { ($0.0.id, $0.1) }))
            } else {
                print(ComparisonTable.render(patientId: input.patient.patientId, at: instant, rows: rows))
            }
            return
        }

        guard let id = protocolId ?? input.patient.protocolId else {
            throw fail(
                "no protocol: give --protocol ID or set patient.protocol (known: \(loaded.ids.joined(separator: ", ")))"
            )
        }
        guard let anakinraProtocol = loaded[id] else {
            let field = protocolId == nil ? "patient.protocol" : "--protocol"
            throw fail("\(field): unknown protocol \"\(id)\"; known protocols: \(loaded.ids.joined(separator: ", "))")
        }
        if timeline {
            for value in CourseTimeline.outputs(
                for: input, protocolId: id, protocols: loaded.protocols, through: instant)
            {
                print(String(decoding: value, as: UTF8.self))
            }
            return
        }
        var policy = engine.policy
        policy.iecHsCriteria = anakinraProtocol.iecHsCriteria
        // The worker's own earlier advice, as it would have recorded it by then (§A13.16).
        let history = CourseTimeline.recommendations(
            before: instant, for: input, protocolId: id, protocols: loaded.protocols)
        let timeline = PatientTimeline(events: input.timeline, recommendations: history, policy: policy)
        let assessment = ToxicityEngine(policy: policy).assess(
            timeline,
            at: instant,
            prepared: PreparedProtocol(anakinraProtocol),
            inventory: inventory
        )
        if format == .fhir {
            let recommendation = Explainer(assessment).recommendation
            // The id the worker gives the first recommendation it publishes at this instant.
            let output = AnakinraRecommendationOutput(
                id: OutputID(type: .anakinraRecommendation, patientId: input.patient.patientId, instant: instant)
                    .description,
                patientId: input.patient.patientId, assessedAt: instant, body: recommendation)
            let data = try AnakinraFHIR.proposal(for: output, protocol: anakinraProtocol).encoded(pretty: true)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        try printJSON(AssessmentReportWire(Explainer(assessment).report))
    }

    /// ISO-8601 with a UTC offset, with or without fractional seconds.
    static func parseInstant(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    private func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints the message on standard error; the caller throws the returned exit code (2).
    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data(("toxctl evaluate: " + message + "\n").utf8))
        return ExitCode(2)
    }
}

/// `--compare-protocols --json`: the grades once, then each protocol's recommendation.
struct ProtocolComparison: Encodable {
    var rows: [(id: String, explainer: Explainer)]

    private enum CodingKeys: String, CodingKey { case grades, protocols, alerts }
    private enum RowKeys: String, CodingKey {
        case protocolId = "protocol"
        case recommendation, alternatives
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let grading = rows.first?.explainer.grading
        if let grading { try c.encode(GradeSetWire(grading.grades), forKey: .grades) }
        var list = c.nestedUnkeyedContainer(forKey: .protocols)
        for row in rows {
            var item = list.nestedContainer(keyedBy: RowKeys.self)
            try item.encode(row.id, forKey: .protocolId)
            try item.encode(AnakinraRecommendationWire(row.explainer.recommendation), forKey: .recommendation)
            try item.encode(row.explainer.alternatives.wire, forKey: .alternatives)
        }
        try c.encode((grading?.alerts ?? []).wire, forKey: .alerts)
    }
}

/// The readable side-by-side table of `--compare-protocols`.
enum ComparisonTable {
    static func render(patientId: String, at instant: Date, rows: [(AnakinraProtocol, Explainer)]) -> String {
        let formatter = ISO8601DateFormatter()
        var lines: [String] = []
        if let first = rows.first?.1 {
            let g = first.grading
            lines.append(
                "Patient \(patientId) at \(formatter.string(from: instant)): "
                    + "CRS \(g.crs.gradeText) (max \(g.crs.maxGrade)), ICANS \(g.icans.gradeText) (max \(g.icans.maxGrade)), "
                    + "IEC-HS \(g.iecHs.present ? "present" : "absent")"
                    + (g.iecHs.present ? " grade \(g.iecHs.grade)" : "")
            )
            lines.append("")
        }
        let header = ["PROTOCOL", "ACTION", "DOSE", "ROUTE", "FREQ", "DAILY", "WHY", "ALERTS / WARNINGS"]
        var table: [[String]] = [header]
        for (anakinraProtocol, explainer) in rows {
            let body = explainer.recommendation.body
            let dose = body.dose
            let why = body.reasons.first(where: \.decisive)?.code.rawValue ?? body.reasons.first?.code.rawValue ?? ""
            table.append([
                anakinraProtocol.id,
                body.action.rawValue,
                dose.map { $0.mg.map { "\($0) mg" } ?? "see options" } ?? "-",
                dose?.route.rawValue ?? "-",
                dose?.frequency?.rawValue ?? (dose == nil ? "-" : "none"),
                dose?.dailyMg.map { "\($0) mg" } ?? "-",
                why,
                (body.alerts.map(\.code.rawValue) + body.warnings.map(\.code.rawValue)).joined(separator: ","),
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in table { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in table {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            lines.append(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines.append("")
        lines.append("Decision support only: every recommendation is for a clinician and a pharmacist to verify.")
        return lines.joined(separator: "\n")
    }
}
