package import Foundation

/// The IEC-HS / carHLH criteria set a protocol selects (`iecHsCriteria` in the protocol data).
package enum IECHSCriteriaSet: String, Hashable, Sendable, CaseIterable {
    /// Hines et al. 2023, the provisional rule R-IECHS-P (criteria unverified, status U).
    case astct2023 = "astct-2023"
    /// Neelapu et al. 2018 (CARTOX), rule R-CARHLH-1.
    case cartox2018 = "cartox-2018"
}

/// Reference limits used when a laboratory result carries no limit of its own (clinical-spec
/// Part B §12 "common lab ULNs"). Every use is reported with source `policy`.
package struct ReferenceLimits: Hashable, Sendable {
    /// Ferritin upper limit of normal, ng/mL.
    package var ferritinULN: Double = 300
    /// ALT upper limit of normal, U/L.
    package var altULN: Double = 40
    /// AST upper limit of normal, U/L.
    package var astULN: Double = 40
    /// Total bilirubin upper limit of normal, mg/dL.
    package var bilirubinULN: Double = 1.2

    package init() {}
}

/// Every ToxWatch default the grading rules use where the sources are silent (status IMPL in the
/// clinical spec), with the spec's values. Reasons that relied on one of them carry source
/// `policy`.
///
/// Durations are in seconds (`TimeInterval`).
///
/// | key | default | spec |
/// |---|---|---|
/// | `vitalsFreshness` | 4 h | A1 |
/// | `neuroFreshness` | 12 h | A1 |
/// | `labFreshness` | 48 h | A1 |
/// | `weightFreshness` | 30 d | A1, A5 |
/// | `plausibleWeightKg` | 0.3–350 kg | A5 |
/// | `episodeCloseWindow` | 24 h (Part B suggests 72 h) | A1 |
/// | `corticosteroidActiveWindow` | 24 h | A1 |
/// | `countInotropesAsVasopressors` | `false` | A2 |
/// | `adultMAPThreshold` / `adultMinimumAgeYears` | MAP < 65 mmHg from 18 y | A2 |
/// | `iceMinimumAgeYears` | 12 (exactly 12 y 0 d uses ICE, flagged) | A3 |
/// | `baselineOxygenLookback` | 72 h before infusion | A2 "oxygen needed before infusion" |
/// | `iecHsCriteria` | `astct-2023` | A4 |
/// | `iecHsTherapyWindow` | 96 h | A4 "on anakinra, emapalumab …" |
/// | `ferritinRiseFactor` / `ferritinRiseWindow` | ×2 within 48 h | Part B §6.1 "rapidly rising" |
/// | `referenceLimits` | ferritin 300, ALT/AST 40, bilirubin 1.2 | Part B §12 |
/// | `cytopenia*` | platelets < 100 ×10³/µL, ANC < 1.0 ×10³/µL, Hb < 9 g/dL | HLH-2004 |
/// | `iecHsCriteriaVerified` | `false` → `provisional: true` | A4 |
package struct GradingPolicy: Hashable, Sendable {
    /// Age after which a temperature, blood pressure or oxygen reading is stale.
    package var vitalsFreshness: TimeInterval = 4 * 3600
    /// Age after which a neurological assessment domain is stale.
    package var neuroFreshness: TimeInterval = 12 * 3600
    /// Age after which a laboratory value is stale.
    package var labFreshness: TimeInterval = 48 * 3600
    /// Age after which a weight is stale.
    package var weightFreshness: TimeInterval = 30 * 86400
    /// Weights outside this range are implausible and ignored (with an alert).
    package var plausibleWeightKg: ClosedRange<Double> = 0.3...350
    /// A CRS, ICANS or IEC-HS episode closes after this long with every finding resolved.
    package var episodeCloseWindow: TimeInterval = 24 * 3600
    /// A corticosteroid is active for this long after an administration.
    package var corticosteroidActiveWindow: TimeInterval = 24 * 3600
    /// Whether dobutamine and milrinone count as vasopressors for CRS hypotension.
    package var countInotropesAsVasopressors: Bool = false
    /// Mean arterial pressure below this is hypotension in adults (mmHg).
    package var adultMAPThreshold: Double = 65
    /// Age from which the adult MAP criterion applies, in completed years.
    package var adultMinimumAgeYears: Int = 18
    /// Age from which ICE (rather than CAPD) is the ICANS instrument, in completed years.
    package var iceMinimumAgeYears: Int = 12
    /// How far before the infusion an oxygen reading still counts as the baseline need.
    package var baselineOxygenLookback: TimeInterval = 72 * 3600
    /// IEC-HS / carHLH criteria set.
    package var iecHsCriteria: IECHSCriteriaSet = .astct2023
    /// IEC-HS-directed therapy (anakinra, emapalumab, ruxolitinib, cryoprecipitate, fibrinogen
    /// concentrate) counts as "on therapy" for this long after an administration. Corticosteroids use
    /// ``corticosteroidActiveWindow``.
    package var iecHsTherapyWindow: TimeInterval = 96 * 3600
    /// Ferritin is rapidly rising when it reached this multiple of the lowest value in the window.
    package var ferritinRiseFactor: Double = 2
    /// Window for ``ferritinRiseFactor``.
    package var ferritinRiseWindow: TimeInterval = 48 * 3600
    /// Limits used when a result carries no upper limit of normal.
    package var referenceLimits = ReferenceLimits()
    /// Platelets below this are a cytopenia (×10³/µL).
    package var cytopeniaPlatelets: Double = 100
    /// Absolute neutrophils below this are a cytopenia (×10³/µL).
    package var cytopeniaANC: Double = 1.0
    /// Hemoglobin below this is a cytopenia (g/dL).
    package var cytopeniaHemoglobin: Double = 9
    /// Set to `true` once Hines 2023 has been checked against the primary text; until then IEC-HS
    /// output is `provisional`.
    package var iecHsCriteriaVerified: Bool = false

    /// The clinical spec's defaults.
    package static let `default` = GradingPolicy()

    package init() {}
}
