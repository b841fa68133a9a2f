import Foundation

/// Builds what an ``Assessment`` decided into what the pharmacy reads (clinical-spec A11): the
/// grades with their criteria and alerts, the recommendation with its reasons, rationale and
/// evidence, the shortage alternatives. Build only what is published: nothing here decides.
package struct Explainer: Sendable {
    private let context: AssessmentContext

    package init(_ assessment: Assessment) {
        context = assessment.context
    }

    /// The grades explained: CRS, ICANS and IEC-HS with their reasons, and the grading alerts.
    package var grading: GradingResult { context.grading }

    /// The anakinra recommendation explained (action `none` with alert `protocol-required` when
    /// there is no protocol).
    package var recommendation: AnakinraRecommendation { AnakinraRecommendation(body: context.recommendationBody()) }

    /// Alternatives for drugs the patient needs now and cannot have.
    package var alternatives: [ShortageAlternative] { context.alternatives() }

    /// The whole `toxctl evaluate` document.
    package var report: AssessmentReport {
        let grading = self.grading
        let recommendation = self.recommendation
        var merged = grading.alerts
        for alert in recommendation.alerts {
            if let i = merged.firstIndex(where: { $0.code == alert.code }) {
                for field in alert.fields where !merged[i].fields.contains(field) { merged[i].fields.append(field) }
                for id in alert.eventIds where !merged[i].eventIds.contains(id) { merged[i].eventIds.append(id) }
            } else {
                merged.append(alert)
            }
        }
        return AssessmentReport(
            grades: grading.grades, recommendation: recommendation, alternatives: alternatives, alerts: merged)
    }
}

/// The grades, the anakinra recommendation, the shortage alternatives and the alerts of one
/// patient at one instant, explained.
///
/// `AssessmentReportWire` (ToxWatchContract) encodes it as the `toxctl evaluate` document of
/// DESIGN.md §4: `{"grades": {…}, "recommendation": {…}, "alternatives": […], "alerts": […]}`.
package struct AssessmentReport: Sendable, Hashable {
    /// The `grades` object.
    package var grades: GradeSet
    /// The anakinra recommendation.
    package var recommendation: AnakinraRecommendation?
    /// Alternatives for drugs the patient needs now and cannot have.
    package var alternatives: [ShortageAlternative]
    /// Grading alerts, then the recommendation's (one entry per code).
    package var alerts: [Alert]

    package init(
        grades: GradeSet, recommendation: AnakinraRecommendation?, alternatives: [ShortageAlternative], alerts: [Alert]
    ) {
        self.grades = grades
        self.recommendation = recommendation
        self.alternatives = alternatives
        self.alerts = alerts
    }
}
