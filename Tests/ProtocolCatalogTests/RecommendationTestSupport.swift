import Foundation
import Testing

@testable import ProtocolCatalog
@testable import ToxicityRules

func isoDate(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// A patient course for recommendation tests: times are hours from a reference instant (the
/// infusion is at −96 h, i.e. day +4 at hour 0, unless given); event ids are sequential.
struct PatientCourse {
    static let reference = isoDate("2026-03-02T06:00:00Z")

    var patientId = "p1"
    var events: [ClinicalEvent] = []
    var recommendations: [PriorRecommendation] = []
    var inventory: [InventoryEvent] = []
    private var counter = 0

    static func at(_ hours: Double) -> Date { reference.addingTimeInterval(hours * 3600) }

    private mutating func nextId() -> String {
        counter += 1
        return "e\(counter)"
    }

    mutating func patient(
        at hours: Double = -100,
        ageYears: Double? = nil,
        birthDate: Date? = nil,
        weightKg: Double?,
        heightCm: Double? = nil,
        sex: Sex? = nil,
        target: String = "CD19",
        infusedAtHours: Double? = -96,
        allergies: [String] = [],
        site: String? = nil,
        protocolId: String? = nil
    ) {
        events.append(
            .patient(
                PatientEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    birthDate: birthDate,
                    ageYears: ageYears,
                    sex: sex,
                    weightKg: weightKg,
                    heightCm: heightCm,
                    allergies: allergies,
                    infusion: infusedAtHours.map {
                        Infusion(product: "tisagenlecleucel", target: target, infusedAt: Self.at($0))
                    },
                    protocolId: protocolId,
                    site: site
                )
            )
        )
    }

    mutating func vitals(at hours: Double, temp: Double? = nil, sbp: Double? = nil, oxygen: OxygenSupport? = nil) {
        events.append(
            .vitals(
                VitalsEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    temperatureC: temp,
                    systolicBP: sbp,
                    oxygen: oxygen
                )
            )
        )
    }

    /// Vitals every `every` hours over `from...through` (inclusive).
    mutating func vitals(
        from: Double,
        through: Double,
        every: Double = 4,
        temp: Double,
        sbp: Double,
        oxygen: OxygenSupport = .roomAir
    ) {
        var h = from
        while h <= through + 1e-9 {
            vitals(at: h, temp: temp, sbp: sbp, oxygen: oxygen)
            h += every
        }
    }

    mutating func neuro(
        at hours: Double,
        ice: Int? = nil,
        capd: Int? = nil,
        consciousness: Consciousness = .awake,
        seizure: Seizure = .none
    ) {
        events.append(
            .neuro(
                NeuroEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    iceScore: ice,
                    capdScore: capd,
                    consciousness: consciousness,
                    seizure: seizure,
                    motorWeakness: MotorWeakness.none,
                    cerebralEdema: CerebralEdema.none
                )
            )
        )
    }

    /// Neuro assessments every `every` hours.
    mutating func neuro(
        from: Double,
        through: Double,
        every: Double = 8,
        ice: Int? = nil,
        capd: Int? = nil,
        consciousness: Consciousness = .awake
    ) {
        var h = from
        while h <= through + 1e-9 {
            neuro(at: h, ice: ice, capd: capd, consciousness: consciousness)
            h += every
        }
    }

    mutating func lab(at hours: Double, _ test: LabTest, _ value: Double, uln: Double? = nil) {
        events.append(
            .lab(
                LabEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    test: test,
                    value: value,
                    upperLimitOfNormal: uln
                )
            )
        )
    }

    mutating func finding(at hours: Double, _ finding: ClinicalFinding, present: Bool = true) {
        events.append(
            .finding(
                FindingEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    finding: finding,
                    present: present
                )
            )
        )
    }

    mutating func med(
        at hours: Double,
        _ drug: Drug,
        _ action: MedicationAction = .administered,
        doseMg: Double? = nil,
        route: Route? = .iv
    ) {
        events.append(
            .medication(
                MedicationEvent(
                    eventId: nextId(),
                    patientId: patientId,
                    occurredAt: Self.at(hours),
                    drug: drug,
                    action: action,
                    doseMg: doseMg,
                    route: route
                )
            )
        )
    }

    /// Anakinra administrations every `every` hours over `from...through`.
    mutating func anakinra(from: Double, through: Double, every: Double, mg: Double, route: Route = .iv) {
        var h = from
        while h <= through + 1e-9 {
            med(at: h, .anakinra, doseMg: mg, route: route)
            h += every
        }
    }

    mutating func stock(at hours: Double, site: String, _ drug: Drug, _ status: StockStatus, units: Int? = nil) {
        inventory.append(
            InventoryEvent(
                eventId: nextId(),
                occurredAt: Self.at(hours),
                site: site,
                drug: drug,
                status: status,
                unitsOnHand: units
            )
        )
    }

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

extension OxygenSupport {
    static let roomAir = OxygenSupport(device: .roomAir)
    static func nasalCannula(_ flow: Double) -> OxygenSupport {
        OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: flow)
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
        #expect(assessment.decidedDose == body.dose, "the published dose is the decided one", sourceLocation: sourceLocation)
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
