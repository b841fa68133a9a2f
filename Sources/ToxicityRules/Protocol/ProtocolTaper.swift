// A protocol's taper, its trigger, its duration and the alternative regimens (clinical-spec A7).

/// When and how anakinra is weaned (A7).
package struct ProtocolTaper: Sendable, Hashable {
    package var trigger: TaperTrigger
    package var method: TaperMethod
    /// `lengthen-interval`: the intervals to step through (each step moves to the next longer
    /// interval in this list, same mg per dose; after the last, stop).
    package var intervals: [DoseFrequency]
    /// `dose-steps`: explicit steps (MUSC 2 mg/kg Q12H); after the last, stop.
    package var steps: [TaperDoseStep]
    /// Time on each step unless the step says otherwise (default steps: 24 h).
    package var stepHours: HoursRange
    /// Taper length the source states (CNH 3–7 d).
    package var lengthDays: DaysRange?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        trigger: TaperTrigger,
        method: TaperMethod,
        intervals: [DoseFrequency],
        steps: [TaperDoseStep],
        stepHours: HoursRange,
        lengthDays: DaysRange?,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.trigger = trigger
        self.method = method
        self.intervals = intervals
        self.steps = steps
        self.stepHours = stepHours
        self.lengthDays = lengthDays
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// Taper methods.
package enum TaperMethod: String, Sendable, Hashable, CaseIterable {
    /// Same mg per dose, longer interval each step (A7 default: Q6H → Q8H → Q12H → Q24H → stop).
    case lengthenInterval = "lengthen-interval"
    /// Explicit reduced doses (MUSC: 4 → 2 mg/kg Q12H for 2–3 days, then stop).
    case doseSteps = "dose-steps"
    /// Stop when the trigger holds, no taper (Oliai: until ICANS ≤ 1).
    case stopWithoutTaper = "stop-without-taper"
}

/// One explicit taper step: a dose in one basis key and a frequency.
package struct TaperDoseStep: Sendable, Hashable {
    package var basis: DoseBasis
    package var amount: ExactAmount
    package var frequency: DoseFrequency
    /// Time on this step; `nil` uses the taper's `stepHours`.
    package var hours: HoursRange?

    package init(basis: DoseBasis, amount: ExactAmount, frequency: DoseFrequency, hours: HoursRange? = nil) {
        self.basis = basis
        self.amount = amount
        self.frequency = frequency
        self.hours = hours
    }
}

/// What starts the taper (A7).
package struct TaperTrigger: Sendable, Hashable {
    package var kind: TaperTriggerKind
    /// `grade-at-most`: the grade threshold (CNH, Seattle: 2; Oliai: 1).
    package var grade: Int?
    /// `grade-at-most`: which toxicities must be at or below `grade`.
    package var scope: TaperTriggerScope?
    /// How long the condition must hold before the taper starts (A7: 24 h).
    package var holdHours: Int?
    /// `improving`: judged after this window of initial dosing (MUSC 48–72 h).
    package var afterHours: HoursRange?
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        kind: TaperTriggerKind,
        grade: Int?,
        scope: TaperTriggerScope?,
        holdHours: Int?,
        afterHours: HoursRange?,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.kind = kind
        self.grade = grade
        self.scope = scope
        self.holdHours = holdHours
        self.afterHours = afterHours
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// Kinds of taper trigger.
package enum TaperTriggerKind: String, Sendable, Hashable, CaseIterable {
    /// The toxicities in `scope` are at or below `grade` (or resolved).
    case gradeAtMost = "grade-at-most"
    /// Clinical stability and/or improvement (St. Jude).
    case improvingOrStable = "improving-or-stable"
    /// Improving after the initial dosing window (MUSC).
    case improving
    /// The source states no trigger: tapering is prescriber-defined.
    case notStated = "not-stated"
}

/// Which toxicities a `grade-at-most` trigger looks at.
package enum TaperTriggerScope: String, Sendable, Hashable, CaseIterable {
    /// CRS and ICANS both (CNH).
    case crsAndIcans = "crs-and-icans"
    /// The toxicity anakinra was started for (Seattle).
    case indicatingToxicity = "indicating-toxicity"
    /// ICANS only (Oliai).
    case icans
}

/// Expected course length.
package struct ProtocolDuration: Sendable, Hashable {
    /// Total course including taper.
    package var totalDays: DaysRange?
    /// Initial full dosing before a taper may start (MUSC 48–72 h).
    package var initialHours: HoursRange?
    /// The source's wording.
    package var text: String
    package var status: EvidenceStatus
    package var evidence: String?

    package init(
        totalDays: DaysRange?,
        initialHours: HoursRange?,
        text: String,
        status: EvidenceStatus,
        evidence: String?
    ) {
        self.totalDays = totalDays
        self.initialHours = initialHours
        self.text = text
        self.status = status
        self.evidence = evidence
    }
}

/// Another regimen the source states beside the primary one (MUSC: 100 mg daily SC × 3–4 d,
/// then 50 mg daily with taper).
package struct AlternativeRegimen: Sendable, Hashable {
    package var id: String
    package var name: String
    package var dose: ProtocolDose
    package var frequency: ProtocolFrequency
    /// Time on the starting dose.
    package var initialHours: HoursRange?
    /// The regimen's own taper; `nil` uses the protocol's.
    package var taper: ProtocolTaper?
    /// How a prescriber chooses between regimens (often not stated).
    package var selection: String?
    package var status: EvidenceStatus
    package var evidence: String?

    package init(
        id: String,
        name: String,
        dose: ProtocolDose,
        frequency: ProtocolFrequency,
        initialHours: HoursRange?,
        taper: ProtocolTaper?,
        selection: String?,
        status: EvidenceStatus,
        evidence: String?
    ) {
        self.id = id
        self.name = name
        self.dose = dose
        self.frequency = frequency
        self.initialHours = initialHours
        self.taper = taper
        self.selection = selection
        self.status = status
        self.evidence = evidence
    }
}
