package import ToxicityRules

/// An ``AssessmentReport`` on the wire: exactly the `toxctl evaluate` document of DESIGN.md §4,
/// `{"grades": {…}, "recommendation": {…}, "alternatives": […], "alerts": […]}`.
package struct AssessmentReportWire: Codable, Sendable {
    package var report: AssessmentReport

    package init(_ report: AssessmentReport) { self.report = report }

    private enum CodingKeys: String, CodingKey {
        case grades, recommendation, alternatives, alerts
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        report = AssessmentReport(
            grades: try c.decode(GradeSetWire.self, forKey: .grades).grades,
            recommendation: try c.decodeIfPresent(AnakinraRecommendationWire.self, forKey: .recommendation)?
                .recommendation,
            alternatives: try c.decodeIfPresent([ShortageAlternativeWire].self, forKey: .alternatives)?.map(\.advice)
                ?? [],
            alerts: try c.decodeIfPresent([AlertWire].self, forKey: .alerts)?.alerts ?? []
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(GradeSetWire(report.grades), forKey: .grades)
        try c.encode(report.recommendation.map(AnakinraRecommendationWire.init), forKey: .recommendation)
        try c.encode(report.alternatives.wire, forKey: .alternatives)
        try c.encode(report.alerts.wire, forKey: .alerts)
    }
}
