package import Foundation

// The anakinra recommendation as the pharmacy sees it (DESIGN.md §3 `anakinra-recommendation`,
// clinical-spec A11). The assessment decides with plain values, the dose included; the reasons,
// warnings, alerts, caps, rationale and evidence are built from that decision by an `Explainer`.

/// The dose of a recommendation.
package struct RecommendedDose: Hashable, Sendable {
    /// Whole mg per dose; `nil` only when the protocol states no frequency (CHOP: see `options`).
    package var mg: Int?
    /// mg per kg per dose actually given, to 3 decimals.
    package var mgPerKg: Double?
    package var route: Route
    /// `nil` when the protocol states no frequency (alert `frequency-required`).
    package var frequency: DoseFrequency?
    /// Whole mg per 24 h.
    package var dailyMg: Int?
    /// The doses at the frequencies a prescriber may choose (CHOP), or the protocol's own
    /// frequency when another was given.
    package var options: [RecommendedDoseOption]
    /// 100 mg prefilled syringes per dose (each dose uses its own).
    package var syringesPerDose: Int?
    /// Volume per dose at 150 mg/mL, to 3 decimals (what an SC injection would be).
    package var volumePerDoseML: Double?

    package init(
        mg: Int?,
        mgPerKg: Double?,
        route: Route,
        frequency: DoseFrequency?,
        dailyMg: Int?,
        options: [RecommendedDoseOption] = [],
        syringesPerDose: Int? = nil,
        volumePerDoseML: Double? = nil
    ) {
        self.mg = mg
        self.mgPerKg = mgPerKg
        self.route = route
        self.frequency = frequency
        self.dailyMg = dailyMg
        self.options = options
        self.syringesPerDose = syringesPerDose
        self.volumePerDoseML = volumePerDoseML
    }

}

/// A dose at one frequency, offered beside the main dose.
package struct RecommendedDoseOption: Hashable, Sendable {
    package var frequency: DoseFrequency
    package var mg: Int
    package var dailyMg: Int

    package init(frequency: DoseFrequency, mg: Int, dailyMg: Int) {
        self.frequency = frequency
        self.mg = mg
        self.dailyMg = dailyMg
    }
}

/// Where a part of a recommendation comes from: a table row of the seed, a spec section, a label.
package struct EvidenceItem: Hashable, Sendable {
    /// What the evidence is for: `indication`, `dose`, `frequency`, `caps`, `route`, `course`,
    /// `escalation`, `taper`, `safety`, `rounding`.
    package var about: String
    /// `seed Table 1 row CNH`, `clinical-spec A6`, `Kineret label`, `policy` …
    package var source: String
    /// V, C, U or IMPL.
    package var status: EvidenceStatus?

    package init(about: String, source: String, status: EvidenceStatus? = nil) {
        self.about = about
        self.source = source
        self.status = status
    }
}

/// Every field of a recommendation, explained (what is encoded).
package struct RecommendationBody: Hashable, Sendable {
    package var action: RecommendationAction
    /// `nil` when no dose is given (none, stop, a hold for hypersensitivity, missing weight);
    /// a hold for TNF blockade shows the computed dose for a documented override.
    package var dose: RecommendedDose?
    package var nextDoseDueAt: Date?
    /// The caps that changed the dose.
    package var caps: [Reason]
    /// Readable sentences: the decision, then the arithmetic.
    package var rationale: [String]
    /// Why the action (indication, course, route, safety), as codes.
    package var reasons: [Reason]
    package var warnings: [Reason]
    package var alerts: [Alert]
    /// The protocol id.
    package var protocolId: String?
    package var evidence: [EvidenceItem]
    /// Every input event id the recommendation used, sorted.
    package var inputEventIds: [String]

    package init(
        action: RecommendationAction,
        dose: RecommendedDose?,
        nextDoseDueAt: Date?,
        caps: [Reason],
        rationale: [String],
        reasons: [Reason],
        warnings: [Reason],
        alerts: [Alert],
        protocolId: String?,
        evidence: [EvidenceItem],
        inputEventIds: [String]
    ) {
        self.action = action
        self.dose = dose
        self.nextDoseDueAt = nextDoseDueAt
        self.caps = caps
        self.rationale = rationale
        self.reasons = reasons
        self.warnings = warnings
        self.alerts = alerts
        self.protocolId = protocolId
        self.evidence = evidence
        self.inputEventIds = inputEventIds
    }

}

/// The anakinra recommendation at an instant, explained (what the pharmacy receives): built by an
/// ``Explainer`` from the assessment's decision.
package struct AnakinraRecommendation: Hashable, Sendable {
    /// Every field, explained.
    package let body: RecommendationBody

    package init(body: RecommendationBody) {
        self.body = body
    }

    package var action: RecommendationAction { body.action }
    package var protocolId: String? { body.protocolId }
    package var nextDoseDueAt: Date? { body.nextDoseDueAt }
    package var dose: RecommendedDose? { body.dose }
    package var reasons: [Reason] { body.reasons }
    package var warnings: [Reason] { body.warnings }
    package var alerts: [Alert] { body.alerts }
    package var caps: [Reason] { body.caps }
    package var rationale: [String] { body.rationale }
    package var evidence: [EvidenceItem] { body.evidence }

    /// Whether a reason or a warning has this code.
    package func has(_ code: ReasonCode) -> Bool {
        body.reasons.contains { $0.code == code } || body.warnings.contains { $0.code == code }
    }

    /// Whether an alert has this code.
    package func hasAlert(_ code: AlertCode) -> Bool { body.alerts.contains { $0.code == code } }

    /// The form the engine takes back as an earlier recommendation (``PriorRecommendation``).
    package func prior(id: String, issuedAt: Date) -> PriorRecommendation {
        let dose = action == .hold ? nil : body.dose
        return PriorRecommendation(
            id: id,
            issuedAt: issuedAt,
            action: action,
            doseMg: dose?.mg.map(Double.init),
            intervalHours: dose?.frequency.map { Double($0.intervalHours) },
            route: dose?.route,
            protocolId: protocolId,
            dailyMg: dose?.dailyMg.map(Double.init)
        )
    }

}
