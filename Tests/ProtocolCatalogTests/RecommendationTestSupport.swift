import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// What the recommendation tests run on a course (built with
/// `CourseBuilder(.recommendationTests)`).
extension CourseBuilder {
    func timeline(policy: GradingPolicy = .default) -> PatientTimeline {
        PatientTimeline(events: events, recommendations: recommendations, policy: policy)
    }

    /// Assesses at `hours` under a shipped protocol (or `anakinraProtocol` when given).
    func assess(
        at hours: Double,
        _ id: String?,
        anakinraProtocol: AnakinraProtocol? = nil,
        dosing: DosingPolicy = .default,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Assessment {
        let p: AnakinraProtocol? =
            try anakinraProtocol ?? id.map { try Shipped.protocolNamed($0, sourceLocation: sourceLocation) }
        let result = ToxicityEngine().assess(
            timeline(),
            at: Self.at(hours),
            protocol: p,
            inventory: InventorySnapshot(inventory),
            dosing: dosing
        )
        if let p { RecommendationInvariants.check(p, result, sourceLocation: sourceLocation) }
        return result
    }

    /// Records the engine's recommendation as the worker would (an earlier recommendation).
    mutating func record(_ assessment: Assessment, at hours: Double) {
        guard let recommendation = assessment.recommendation else { return }
        recommendations.append(recommendation.prior(id: "r\(recommendations.count + 1)", issuedAt: Self.at(hours)))
    }
}

/// Invariants every assessment under a protocol must keep (checked on every test assessment).
enum RecommendationInvariants {
    static func check(
        _ p: AnakinraProtocol,
        _ assessment: Assessment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let recommendation = assessment.recommendation else {
            Issue.record("an assessment under a protocol always has a recommendation", sourceLocation: sourceLocation)
            return
        }
        let body = recommendation.body
        #expect(body.protocolId == p.id, sourceLocation: sourceLocation)
        // The dose is decided, with its caps, before it is explained: the published dose is the decision's.
        #expect(
            assessment.decidedDose == body.dose, "the published dose is the decided one", sourceLocation: sourceLocation
        )
        #expect(assessment.decision.dose.caps.count == body.caps.count, sourceLocation: sourceLocation)
        if let dose = body.dose {
            let doses =
                (dose.mg.flatMap { mg in dose.frequency.map { [(mg, $0)] } } ?? [])
                + dose.options.map { ($0.mg, $0.frequency) }
            for (mg, frequency) in doses {
                if let cap = p.caps.perDoseMg { #expect(mg <= cap, "per-dose cap", sourceLocation: sourceLocation) }
                if let cap = p.caps.dailyMg {
                    #expect(mg * frequency.dosesPer24Hours <= cap, "daily cap", sourceLocation: sourceLocation)
                }
            }
            if let cap = p.caps.dailyMg, let daily = dose.dailyMg {
                #expect(daily <= cap, "daily cap", sourceLocation: sourceLocation)
            }
            if let mg = dose.mg, let frequency = dose.frequency {
                #expect(dose.dailyMg == mg * frequency.dosesPer24Hours, sourceLocation: sourceLocation)
            }
            #expect(p.routes.allowed.contains(dose.route), "route within the protocol", sourceLocation: sourceLocation)
        }
        if body.action == .hold, recommendation.has(.eColiHypersensitivity) {
            #expect(body.dose == nil, sourceLocation: sourceLocation)
        }
        if !body.action.dosesAnakinra, body.action != .hold {
            #expect(body.dose == nil, sourceLocation: sourceLocation)
        }
        #expect(body.rationale.first?.isEmpty == false, sourceLocation: sourceLocation)
    }
}

extension Assessment {
    /// The explained parts the tests read (the worker explains only what it publishes).
    var recommendation: AnakinraRecommendation? { Explainer(self).recommendation }
    var grading: GradingResult { Explainer(self).grading }
    var alternatives: [ShortageAlternative] { Explainer(self).alternatives }
    var report: AssessmentReport { Explainer(self).report }
    var alerts: [Alert] { report.alerts }
    var body: RecommendationBody? { recommendation?.body }
    var dose: RecommendedDose? { recommendation?.body.dose }
    var reasonCodes: [ReasonCode] { recommendation?.body.reasons.map(\.code) ?? [] }
    var warningCodes: [ReasonCode] { recommendation?.body.warnings.map(\.code) ?? [] }
    var alertCodes: [AlertCode] { alerts.map(\.code) }
    var decisiveReason: ReasonCode? { recommendation?.body.reasons.first(where: \.decisive)?.code }
}
