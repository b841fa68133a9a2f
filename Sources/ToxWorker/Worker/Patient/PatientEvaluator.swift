package import ToxWatchContract
package import Foundation
import ProtocolCatalog
package import ToxicityRules

/// Runs the rules engine for one patient and reduces the result to what the worker publishes.
package struct PatientEvaluator: Sendable {
    private let engine: ToxicityEngine
    /// Protocols by id, prepared once: the shipped ones and the site's own.
    private let protocols: [String: PreparedProtocol]
    /// For patients whose admission names no protocol.
    private let defaultProtocol: String?

    package init(engine: ToxicityEngine = ToxicityEngine(), protocols: [AnakinraProtocol] = [], defaultProtocol: String? = nil) {
        self.engine = engine
        var prepared: [String: PreparedProtocol] = [:]
        for anakinraProtocol in protocols { prepared[anakinraProtocol.id] = PreparedProtocol(anakinraProtocol) }
        self.protocols = prepared
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
        package var recommendation: AnakinraRecommendation?
        package var alternatives: [ShortageAlternative]
        /// What makes each of ``alternatives`` new, in the same order.
        package var alternativeSummaries: [String]
        package var summary: PublishedSummary
        package var nextDecisionAt: Date?
    }

    /// The treating site of a patient as of `instant` (latest admission event at or before it that
    /// names one; the latest of the course when `instant` is nil).
    package func site(of state: PatientState, at instant: Date? = nil) -> String? {
        latestPatientField(state, at: instant) { $0.site }
    }

    /// The patient's protocol id as of `instant` (latest admission event at or before it that names
    /// one), else the default. A due evaluation reads the protocol of its own instant, not one an
    /// admission event after it names.
    package func protocolId(of state: PatientState, at instant: Date? = nil) -> String? {
        latestPatientField(state, at: instant) { $0.protocolId } ?? defaultProtocol
    }

    private func latestPatientField(_ state: PatientState, at instant: Date?, _ field: (PatientEvent) -> String?) -> String? {
        for admission in state.admissions.reversed() {
            if let instant, admission.occurredAt > instant { continue }
            if let value = field(admission) { return value }
        }
        return nil
    }

    package func evaluate(_ state: PatientState, at instant: Date, inventory: InventorySnapshot) -> Evaluation {
        var course: PatientTimeline?
        return evaluate(state, at: instant, inventory: inventory, course: &course)
    }

    /// Evaluates the patient at `instant` from `course`, the timeline of `state`'s events built by
    /// an earlier call (`nil`: built here and handed back). A timeline assesses an instant from the
    /// events at or before it only, so one built from the whole batch serves each of its instants;
    /// only the recommendations issued so far are handed in anew. The caller passes `nil` again
    /// once the events changed.
    package func evaluate(
        _ state: PatientState, at instant: Date, inventory: InventorySnapshot, course: inout PatientTimeline?
    ) -> Evaluation {
        // An unknown protocol id gives no protocol: the engine answers `none` with `protocol-required`.
        let rules = protocolId(of: state, at: instant).flatMap { protocols[$0] }
        let policy = engine.policy(for: rules)
        var built = course ?? PatientTimeline(events: state.events, policy: policy)
        if built.policy != policy { built = built.rebuilt(policy: policy) }
        course = built
        let timeline = built.with(recommendations: state.recommendations)
        let assessment = engine.assess(timeline, at: instant, prepared: rules, inventory: inventory)
        // The grading's alerts and event ids are derived when read: the body reads each once.
        let body: ToxicityGradesBody
        if let grading = assessment.grading {
            body = ToxicityGradesBody(grading)
        } else {
            let grades = assessment.grades
            body = ToxicityGradesBody(
                crs: grades.crs, icans: grades.icans, iecHs: grades.iecHs, inputEventIds: grades.eventIds, alerts: [])
        }
        // The explained body, built once: the summary, the output and the prior all read it.
        let recommendation = assessment.recommendation.map { AnakinraRecommendation(body: $0.body) }
        let alternatives = assessment.alternatives
        let summary = PublishedSummary(
            grades: "crs=\(body.crs.grade.map(String.init) ?? "null")/\(body.crs.maxGrade);"
                + "icans=\(body.icans.grade.map(String.init) ?? "null")/\(body.icans.maxGrade);"
                + "iechs=\(body.iecHs.present)/\(body.iecHs.grade)/\(body.iecHs.maxGrade)",
            recommendation: recommendation.map(Self.summary))
        return Evaluation(
            grades: body, recommendation: recommendation, alternatives: alternatives,
            alternativeSummaries: alternatives.map(Self.summary), summary: summary,
            nextDecisionAt: assessment.nextDecisionAt)
    }

    /// The shortage record saying a patient no longer needs `drug` (alternatives empty, need zero),
    /// which replaces the patient's earlier need in site totals (`toxctl shortage`).
    package func noLongerNeeded(_ drug: String, state: PatientState, at instant: Date, inventory: InventorySnapshot) -> ShortageAlternative {
        let site = site(of: state, at: instant)
        return ShortageAlternative(
            shortDrug: drug, site: site, status: inventory.entry(Drug(name: drug), site: site)?.status,
            cause: "no-longer-needed", reasons: [], alternatives: [], excluded: [],
            need24h: ShortageNeed(mg: 0, doses: 0, units: 0))
    }

    /// What makes a recommendation new for the pharmacy: its action and its dose.
    private static func summary(_ recommendation: AnakinraRecommendation) -> String {
        let dose = recommendation.dose
        return [
            recommendation.action.rawValue, recommendation.protocolId ?? "", dose?.mg.map(String.init) ?? "",
            dose?.dailyMg.map(String.init) ?? "", dose?.route.rawValue ?? "", dose?.frequency?.rawValue ?? "",
        ].joined(separator: "|")
    }

    /// What makes shortage advice new: the short drug, its status and the alternatives offered.
    private static func summary(_ alternative: ShortageAlternative) -> String {
        let options = alternative.alternatives.map { "\($0.rank):\($0.drug)" }.joined(separator: ",")
        return "\(alternative.shortDrug)@\(alternative.site ?? "*")=\(alternative.status?.rawValue ?? "")[\(options)]"
    }
}
