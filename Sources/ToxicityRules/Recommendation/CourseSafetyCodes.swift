// Codes of the course-safety amendments (clinical-spec §A13): exact strings that tests and
// downstream consumers match on.

extension ReasonCode {
    /// §A13.4: a fixed-dose regimen whose daily dose exceeds 10 mg/kg/day for the weight: hold.
    package static let weightBasedMaximumExceeded: ReasonCode = "weight-based-maximum-exceeded"
    /// §A13.2: the administered dose differs by more than 10 % from the dose computed for the step.
    package static let administeredDoseDeviation: ReasonCode = "administered-dose-deviation"
    /// §A13.6–7: IEC-HS is not stable or improving over the last 24 h: no taper.
    package static let iecHsNotStable: ReasonCode = "iec-hs-not-stable"
    /// §A13.14: anakinra is unavailable at the patient's site.
    package static let anakinraUnavailable: ReasonCode = "anakinra-unavailable"
    /// A dose was charted after the engine's own stop with no anakinra order since (IMPL): the stop
    /// stands.
    package static let administeredAfterStop: ReasonCode = "administered-after-stop"
}

extension AlertCode {
    package static let weightBasedMaximumExceeded: AlertCode = "weight-based-maximum-exceeded"
    package static let administeredDoseDeviation: AlertCode = "administered-dose-deviation"
    package static let anakinraUnavailable: AlertCode = "anakinra-unavailable"
    package static let stockLow: AlertCode = "stock-low"
    package static let administeredAfterStop: AlertCode = "administered-after-stop"

    /// Messages of the §A13 alerts (``Alert/message`` falls back to these).
    static let courseSafetyMessages: [AlertCode: String] = [
        .weightBasedMaximumExceeded:
            "The regimen's fixed dose is above 10 mg/kg/day for this weight: held; the dose is shown for a documented override",
        .administeredDoseDeviation:
            "The administered anakinra dose differs by more than 10 % from the protocol dose: the protocol dose is recommended",
        .anakinraUnavailable: "Anakinra is unavailable at the patient's site: see the shortage alternatives",
        .stockLow: "Anakinra stock is low at the patient's site",
        .administeredAfterStop:
            "Anakinra was given after the recommendation to stop, with no new order: the stop stands until anakinra is ordered again",
    ]
}
