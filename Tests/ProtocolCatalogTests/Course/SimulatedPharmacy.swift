import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// A closed loop: the engine assesses the course every `step` hours, a simulated pharmacy gives
/// every dose it recommends at its `nextDoseDueAt` (at once when there is none: a start),
/// and the recommendations are fed back as the worker records them (when the action or the dose
/// changes), or not at all (`toxctl evaluate` without a history).
struct SimulatedPharmacy {
    /// One assessment of the loop and the dose given after it, if any.
    struct Turn {
        var at: Double
        var assessment: Assessment
        var givenMg: Int?

        var courseTurn: CourseTurn {
            guard let body = assessment.recommendation?.body else { preconditionFailure("a protocol gives a body") }
            return CourseTurn(at: at, body: body, givenMg: givenMg)
        }
    }

    var course: CourseBuilder
    let protocolId: String
    var recordsRecommendations = true
    var turns: [Turn] = []
    private var published: String?
    private var lastDoseAt: Double?

    init(_ course: CourseBuilder, protocolId: String, recordsRecommendations: Bool = true) {
        self.course = course
        self.protocolId = protocolId
        self.recordsRecommendations = recordsRecommendations
    }

    /// What makes a recommendation new for the pharmacy (the worker's summary): action and dose.
    static func summary(_ a: Assessment) -> String {
        let dose = a.dose
        return [
            a.action.rawValue, dose?.mg.map(String.init) ?? "", dose?.dailyMg.map(String.init) ?? "",
            dose?.route.rawValue ?? "", dose?.frequency?.rawValue ?? "",
        ].joined(separator: "|")
    }

    /// The mg given for a recommended dose: the per-dose mg, or the first option's when the
    /// protocol leaves the frequency to the prescriber (CHOP).
    static func mgToGive(_ dose: RecommendedDose) -> Int? { dose.mg ?? dose.options.first?.mg }

    /// Runs the loop over `from...through`, calling `observe` after every assessment.
    /// - Parameter anakinraProtocol: The protocol when it is not a shipped one (else `protocolId`'s).
    mutating func run(
        from: Double,
        through: Double,
        every step: Double = 1,
        protocol anakinraProtocol: AnakinraProtocol? = nil,
        observe: (Turn) throws -> Void = { _ in }
    ) throws {
        var t = from
        while t <= through + 1e-9 {
            let a = try course.assess(at: t, protocolId, anakinraProtocol: anakinraProtocol)
            let summary = Self.summary(a)
            if recordsRecommendations, summary != published {
                course.record(a, at: t)
                published = summary
            }
            var turn = Turn(at: t, assessment: a)
            if a.action.dosesAnakinra, let dose = a.dose, let mg = Self.mgToGive(dose) {
                let due = a.body?.nextDoseDueAt.map { $0.timeIntervalSince(CourseBuilder.reference) / 3600 }
                if due.map({ $0 <= t + 1e-9 }) ?? true {
                    course.med(at: t, .anakinra, doseMg: Double(mg), route: dose.route)
                    lastDoseAt = t
                    turn.givenMg = mg
                }
            }
            turns.append(turn)
            try observe(turn)
            t += step
        }
    }

    /// The administrations the loop gave: (hour, mg).
    var doses: [(at: Double, mg: Int)] { turns.compactMap { turn in turn.givenMg.map { (turn.at, $0) } } }
}
