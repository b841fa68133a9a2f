package import Foundation

/// Every ToxWatch default the recommendation rules (clinical-spec A6–A10) use where the sources are
/// silent (status IMPL), with the spec's values. Reasons that relied on one of them carry source
/// `policy`. Durations are in seconds.
///
/// | key | default | spec |
/// |---|---|---|
/// | `refractoryWindow` | 24 h after the first corticosteroid | A6 (b) |
/// | `tocilizumabMaximumTotal` / `tocilizumabMaximumPer24Hours` | 4 / 3 | A6 (c), label |
/// | `overdueFactor` | 1.25 × the interval | A7 |
/// | `duplicateFactor` | 0.75 × the interval | A7 |
/// | `courseLapseMinimum` / `courseLapseIntervals` | no dose for max(24 h, 2 intervals) ends a course | IMPL |
/// | `recurrenceWindow` | 72 h after a course ended | A7 recurrence (IMPL) |
/// | `tnfBlockerWindow` | 14 days | A9 |
/// | `infectionWindow` | 72 h | A9 |
/// | `severeNeutropeniaANC` | 0.5 ×10³/µL | A9 |
/// | `ivPlateletsBelow` | 50 ×10³/µL | A8 |
/// | `ivFibrinogenBelow` / `ivINRAbove` | 150 mg/dL / 1.5 | A8 |
/// | `ivGradeAtLeast` | CRS or ICANS ≥ 3 | A8 |
/// | `ivChildUnderYears` | 12 y (where both routes are allowed) | A8 |
/// | `tocilizumabNeedGrade` | CRS ≥ 2 in an open episode | A10 |
/// | `severeIECHSGrade` | IEC-HS grade ≥ 3 is "severe" | A6 NIH / St. Jude |
/// | `iecHsStability…` | 24 h: ferritin ≤ +20 %, fibrinogen ≥ −20 %, ALT/bilirubin ≤ +50 % | §A13.6 |
/// | `…ActiveWindow` | tocilizumab, ruxolitinib 24 h; emapalumab, siltuximab 72 h | §A13.8 (IMPL) |
package struct DosingPolicy: Hashable, Sendable {
    /// A6 (b): refractory when the grade has not fallen this long after the first corticosteroid.
    package var refractoryWindow: TimeInterval = 24 * 3600
    /// A6 (c), tocilizumab label: at most 4 doses in total …
    package var tocilizumabMaximumTotal: Int = 4
    /// … and 3 in 24 hours.
    package var tocilizumabMaximumPer24Hours: Int = 3
    /// A7: alert `dose-overdue` beyond this multiple of the dosing interval.
    package var overdueFactor: Double = 1.25
    /// A7: alert `possible-duplicate-dose` for two administrations closer than this multiple of
    /// the interval.
    package var duplicateFactor: Double = 0.75
    /// A course of anakinra has ended when no dose was given for the longer of this …
    package var courseLapseMinimum: TimeInterval = 24 * 3600
    /// … and this many dosing intervals (IMPL).
    package var courseLapseIntervals: Double = 2
    /// After a course ended, a toxicity back above the taper trigger (or worse than when the
    /// course ended) within this window restarts anakinra at the last full dose (reason
    /// `recurrence`), even in a new episode; later, a new episode is judged on the indications.
    package var recurrenceWindow: TimeInterval = 72 * 3600
    /// A9: a TNF blocker given this long before T puts anakinra on hold.
    package var tnfBlockerWindow: TimeInterval = 14 * 86400
    /// A9: window of the immunosuppression combination (anakinra plus ≥ 2 others).
    package var infectionWindow: TimeInterval = 72 * 3600
    /// A9: ANC below this is warning `infection-risk` (×10³/µL).
    package var severeNeutropeniaANC: Double = 0.5
    /// A8: platelets below this favour IV (×10³/µL).
    package var ivPlateletsBelow: Double = 50
    /// A8: fibrinogen below this favours IV (mg/dL).
    package var ivFibrinogenBelow: Double = 150
    /// A8: INR above this favours IV.
    package var ivINRAbove: Double = 1.5
    /// A8: CRS or ICANS at or above this grade favours IV.
    package var ivGradeAtLeast: Int = 3
    /// A8: children below this age get IV where both routes are allowed (injection pain).
    package var ivChildUnderYears: Int = 12
    /// A10: a patient "would need tocilizumab now" at CRS of this grade or more in an open episode
    /// with the tocilizumab maximum not reached.
    package var tocilizumabNeedGrade: Int = 2
    /// "Severe" IEC-HS (NIH/St. Jude "with corticosteroids if severe"): this A4 grade or more.
    package var severeIECHSGrade: Int = 3
    /// Park: prophylaxis from this long after the infusion (day +2).
    package var prophylaxisDayLength: TimeInterval = 86400
    /// Age from which ruxolitinib is within its label (A10).
    package var ruxolitinibMinimumAgeYears: Int = 12

    /// §A13.6: IEC-HS is "stable or improving" over this window …
    package var iecHsStabilityWindow: TimeInterval = 24 * 3600
    /// … with ferritin not rising by more than this fraction, …
    package var iecHsFerritinRise: Double = 0.20
    /// … fibrinogen not falling by more than this fraction, …
    package var iecHsFibrinogenFall: Double = 0.20
    /// … and ALT and bilirubin not rising by more than this fraction.
    package var iecHsLiverRise: Double = 0.50
    /// §A13.8: how long after a dose each other CAR T toxicity agent counts as active (blocks the
    /// "last agent weaned" taper); the corticosteroid's window is the grading policy's.
    package var tocilizumabActiveWindow: TimeInterval = 24 * 3600
    package var ruxolitinibActiveWindow: TimeInterval = 24 * 3600
    package var emapalumabActiveWindow: TimeInterval = 72 * 3600
    package var siltuximabActiveWindow: TimeInterval = 72 * 3600

    /// The clinical spec's defaults.
    package static let `default` = DosingPolicy()

    package init() {}
}
