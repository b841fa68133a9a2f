package import Foundation
package import ToxicityRules

/// Runs the rules engine for one patient and reduces the result to what the worker publishes.
package struct PatientEvaluator: Sendable {
    private let engine: ToxicityEngine

    package init(engine: ToxicityEngine = ToxicityEngine()) {
        self.engine = engine
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
