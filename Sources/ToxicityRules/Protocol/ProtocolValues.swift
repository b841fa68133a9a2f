// Small value types shared by the protocol model and the dose arithmetic.

/// How well a protocol value is supported (clinical-spec.md status tags).
package enum EvidenceStatus: String, Sendable, Hashable, CaseIterable {
    /// Seen in a copy of the source.
    case verified = "V"
    /// Corroborated by secondary material only.
    case corroborated = "C"
    /// Unverified: must be checked against the primary document before clinical use.
    case unverified = "U"
    /// A ToxWatch default, not a published rule: configurable, and outputs say so (`policy`).
    case policy = "IMPL"

    /// The source tag an output cites for a value with this status and evidence.
    package func sourceTag(evidence: String) -> String {
        self == .policy ? "policy" : evidence
    }
}

/// A dosing interval. `Q48H` exists only as a clinician's renal override (clinical-spec A5).
package enum DoseFrequency: String, Sendable, Hashable, CaseIterable, Comparable {
    case q4h = "Q4H"
    case q6h = "Q6H"
    case q8h = "Q8H"
    case q12h = "Q12H"
    case q24h = "Q24H"
    case q48h = "Q48H"

    /// Hours between doses.
    package var intervalHours: Int {
        switch self {
        case .q4h: 4
        case .q6h: 6
        case .q8h: 8
        case .q12h: 12
        case .q24h: 24
        case .q48h: 48
        }
    }

    /// The most doses given in any 24-hour period: 24 ÷ interval, and 1 for `Q48H` (a dosing
    /// day carries one whole dose, so daily caps are checked against that dose).
    package var dosesPer24Hours: Int { Swift.max(1, 24 / intervalHours) }

    /// The frequencies a protocol may use without a clinician's renal override.
    package static let standard: [DoseFrequency] = [.q4h, .q6h, .q8h, .q12h, .q24h]

    /// Shorter interval first (`Q4H` < `Q6H`).
    package static func < (lhs: DoseFrequency, rhs: DoseFrequency) -> Bool { lhs.intervalHours < rhs.intervalHours }
}

/// A range of hours, e.g. MUSC's 48–72 h reassessment window.
package struct HoursRange: Sendable, Hashable, CustomStringConvertible {
    package var min: Int
    package var max: Int

    package init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }

    /// A single value.
    package init(_ hours: Int) { self.init(min: hours, max: hours) }

    package var description: String { min == max ? "\(min) h" : "\(min)–\(max) h" }
}

/// A range of days with either end possibly unstated ("days to 2 weeks").
package struct DaysRange: Sendable, Hashable, CustomStringConvertible {
    package var min: Int?
    package var max: Int?

    package init(min: Int?, max: Int?) {
        self.min = min
        self.max = max
    }

    package var description: String {
        switch (min, max) {
        case (let a?, let b?): a == b ? "\(a) d" : "\(a)–\(b) d"
        case (let a?, nil): "≥ \(a) d"
        case (nil, let b?): "up to \(b) d"
        case (nil, nil): "not stated"
        }
    }
}

/// Anakinra product facts used by volume and supply arithmetic (Kineret label, clinical-spec §7, V).
package enum AnakinraProduct {
    /// One prefilled syringe holds 100 mg.
    package static let syringeMg = 100
    /// 100 mg in 0.67 mL: 150 mg/mL.
    package static let mgPerML = 150
    /// Below this weight the SC volume gets too small to measure (alert `low-volume-measurement`).
    package static let lowVolumeWeightKg = 10
    /// The seed letter's general maximum per dose; above it without a protocol cap: `above-common-cap`.
    package static let commonPerDoseCapMg = 100
    /// The seed letter's general maximum per day ("max daily dose, 400 mg").
    package static let commonDailyCapMg = 400
    /// Plausible measured weights (clinical-spec A5); outside: `weight-required`.
    package static let plausibleWeightKg: ClosedRange<Double> = 0.3...350
}
