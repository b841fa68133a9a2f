package import Foundation
import ProtocolCatalog
package import ToxWatchContract
package import ToxicityRules

/// Runs the rules engine for one patient and reduces the result to what the worker publishes.
package struct PatientEvaluator: Sendable {
    private let engine: ToxicityEngine
    /// Protocols by id, prepared once: the shipped ones and the site's own.
    private let protocols: [String: PreparedProtocol]
    /// For patients whose admission names no protocol.
    private let defaultProtocol: String?

    package init(
        engine: ToxicityEngine = ToxicityEngine(), protocols: [AnakinraProtocol] = [], defaultProtocol: String? = nil
    ) {
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
            throw ConfigurationError(
                "defaultProtocol: unknown protocol '\(id)'; known: \(catalog.ids.joined(separator: ", "))")
        }
        return PatientEvaluator(protocols: catalog.protocols, defaultProtocol: configuration.defaultProtocol)
    }

    /// One evaluation: what the rules decided, what makes each output new, and the output bodies,
    /// explained only when read (read them only for what is published).
    package struct Evaluation: Sendable {
        /// What the rules decided.
        package var assessment: Assessment
        /// The shortage advice, explained (built when the patient needs a drug that is short, or
        /// anakinra is held).
        package var alternatives: [ShortageAlternative]
        /// What makes each of ``alternatives`` new, in the same order.
        package var alternativeSummaries: [PublishedShortageAdvice]
        /// The grades and the recommendation, as decided.
        package var summary: PublishedSummary
        package var nextDecisionAt: Date?

        /// The `toxicity-grades` body, explained.
        package var grades: ToxicityGradesBody { ToxicityGradesBody(Explainer(assessment).grading) }

        /// The recommendation, explained.
        package var recommendation: AnakinraRecommendation? { Explainer(assessment).recommendation }

        /// Whether the patient's anakinra course ends with this evaluation (stop, or none because
        /// the course completed): shortage needs held until then end with it.
        package var endsCourse: Bool { assessment.action == .stop || assessment.courseCompleted }
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

    private func latestPatientField(_ state: PatientState, at instant: Date?, _ field: (PatientEvent) -> String?)
        -> String?
    {
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
    /// an earlier call (`nil`: `state`'s own ``PatientState/timeline``, else built here; handed
    /// back either way). A timeline assesses an instant from the events at or before it only, so
    /// one built from the whole batch serves each of its instants; only the recommendations issued
    /// so far are handed in anew. The caller passes `nil` again once the events changed.
    package func evaluate(
        _ state: PatientState, at instant: Date, inventory: InventorySnapshot, course: inout PatientTimeline?
    ) -> Evaluation {
        // An unknown protocol id gives no protocol: the engine answers `none` with `protocol-required`.
        let rules = protocolId(of: state, at: instant).flatMap { protocols[$0] }
        let policy = engine.policy(for: rules)
        var built = course ?? state.timeline ?? PatientTimeline(events: state.events, policy: policy)
        if built.policy != policy { built = built.rebuilt(policy: policy) }
        course = built
        let timeline = built.with(recommendations: state.recommendations)
        let assessment = engine.assess(timeline, at: instant, prepared: rules, inventory: inventory)
        let alternatives = Explainer(assessment).alternatives
        return Evaluation(
            assessment: assessment, alternatives: alternatives,
            alternativeSummaries: alternatives.map(PublishedShortageAdvice.init),
            summary: PublishedSummary(grades: assessment.grades, recommendation: PublishedRecommendation(assessment)),
            nextDecisionAt: assessment.nextDecisionAt)
    }

    /// The shortage record saying a patient no longer needs `drug` (alternatives empty, need zero),
    /// which replaces the patient's earlier need in site totals (`toxctl shortage`).
    package func noLongerNeeded(_ drug: String, state: PatientState, at instant: Date, inventory: InventorySnapshot)
        -> ShortageAlternative
    {
        let site = site(of: state, at: instant)
        return ShortageAlternative(
            shortDrug: drug, site: site, status: inventory.entry(Drug(name: drug), site: site)?.status,
            cause: "no-longer-needed", reasons: [], alternatives: [], excluded: [],
            need24h: ShortageNeed(mg: 0, doses: 0, units: 0))
    }
}
