package import Foundation
import ProtocolCatalog
package import ToxicityRules

/// Runs the rules engine for one patient and reduces the result to what the worker publishes.
package struct PatientEvaluator: Sendable {
    private let engine: ToxicityEngine
    /// Protocols by id: the shipped ones and the site's own.
    private let protocols: [String: AnakinraProtocol]
    /// For patients whose admission names no protocol.
    private let defaultProtocol: String?

    package init(engine: ToxicityEngine = ToxicityEngine(), protocols: [AnakinraProtocol] = [], defaultProtocol: String? = nil) {
        self.engine = engine
        self.protocols = Dictionary(protocols.map { ($0.id, $0) }, uniquingKeysWith: { _, site in site })
        self.defaultProtocol = defaultProtocol
    }

    /// Loads the protocol catalogue (shipped files plus `protocolsDirectory`) and checks that the
    /// default protocol, if one is configured, exists.
    package static func load(configuration: WorkerConfiguration) throws -> PatientEvaluator {
        let catalog = try AnakinraProtocolCatalog.load(protocolsDirectory: configuration.protocolsDirectory)
        if let id = configuration.defaultProtocol, catalog[id] == nil {
            throw ConfigurationError("defaultProtocol: unknown protocol '\(id)'; known: \(catalog.ids.joined(separator: ", "))")
        }
        return PatientEvaluator(protocols: catalog.protocols, defaultProtocol: configuration.defaultProtocol)
    }

    /// One evaluation: the output bodies and the summary used to decide whether to publish them.
    package struct Evaluation: Sendable {
        package var grades: ToxicityGradesBody
        package var recommendation: (any Encodable & Sendable)?
        package var alternatives: [any Encodable & Sendable]
        package var summary: PublishedSummary
        package var nextDecisionAt: Date?
    }

    /// The treating site of a patient (latest admission event that names one).
    package func site(of state: PatientState) -> String? {
        for event in state.events.reversed() {
            if case .patient(let patient) = event, let site = patient.site { return site }
        }
        return nil
    }

    package func evaluate(_ state: PatientState, at instant: Date, inventory: [InventoryEvent]) -> Evaluation {
        let timeline = engine.timeline(state.events)
        let result = engine.grade(timeline, at: instant)
        let grades = result.grades
        let body = ToxicityGradesBody(
            crs: grades.crs, icans: grades.icans, iecHs: grades.iecHs, inputEventIds: grades.eventIds,
            alerts: result.alerts)
        let summary = PublishedSummary(
            grades: "crs=\(grades.crs.grade)/\(grades.crs.maxGrade);icans=\(grades.icans.grade)/\(grades.icans.maxGrade);"
                + "iechs=\(grades.iecHs.present)/\(grades.iecHs.grade)/\(grades.iecHs.maxGrade)")
        return Evaluation(grades: body, recommendation: nil, alternatives: [], summary: summary, nextDecisionAt: nil)
    }
}

/// The body of a `toxicity-grades` output (`Schemas/toxicity-grades.schema.json`).
package struct ToxicityGradesBody: Encodable, Sendable {
    package var crs: GradeAssessment
    package var icans: GradeAssessment
    package var iecHs: IECHSAssessment
    package var inputEventIds: [String]
    package var alerts: [Alert]
}
