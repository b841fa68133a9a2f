// A protocol's taper, its trigger, its duration and the alternative regimens (clinical-spec A7).

/// When and how anakinra is weaned (A7).
package struct ProtocolTaper: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trigger, method, intervals, steps, stepHours, lengthDays, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        trigger = try c.required(.trigger)
        method = try c.enumeration(.method)
        intervals = c.has(.intervals) ? try c.enumerations(.intervals) : []
        steps = try c.optional(.steps) ?? []
        stepHours = try c.required(.stepHours)
        lengthDays = try c.optional(.lengthDays)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        switch method {
        case .lengthenInterval:
            guard !intervals.isEmpty else { throw c.error(.intervals, "is required for method lengthen-interval") }
            guard intervals == intervals.sorted(), Set(intervals).count == intervals.count else {
                throw c.error(.intervals, "must be strictly increasing intervals (e.g. Q8H, Q12H, Q24H)")
            }
            guard !intervals.contains(.q48h) else {
                throw c.error(.intervals, "Q48H is only available as a clinician's renal override")
            }
            guard steps.isEmpty else { throw c.error(.steps, "must be empty for method lengthen-interval") }
        case .doseSteps:
            guard !steps.isEmpty else { throw c.error(.steps, "is required for method dose-steps") }
            guard intervals.isEmpty else { throw c.error(.intervals, "must be empty for method dose-steps") }
        case .stopWithoutTaper:
            guard steps.isEmpty, intervals.isEmpty else {
                throw c.error(.method, "stop-without-taper takes no intervals or steps")
            }
        }
    }
}

/// Taper methods.
package enum TaperMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Same mg per dose, longer interval each step (A7 default: Q6H → Q8H → Q12H → Q24H → stop).
    case lengthenInterval = "lengthen-interval"
    /// Explicit reduced doses (MUSC: 4 → 2 mg/kg Q12H for 2–3 days, then stop).
    case doseSteps = "dose-steps"
    /// Stop when the trigger holds, no taper (Oliai: until ICANS ≤ 1).
    case stopWithoutTaper = "stop-without-taper"
}

/// One explicit taper step: a dose in one basis key and a frequency.
package struct TaperDoseStep: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, frequency, hours
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        let (basis, range) = try ProtocolDose.decodeAmount(c)
        guard !range.isRange else {
            throw ProtocolValidationError(
                codingPath: c.codingPath + [AnyProtocolKey(stringValue: basis.rawValue)],
                message: "a taper step takes one amount, not a range"
            )
        }
        self.basis = basis
        amount = range.low
        frequency = try c.enumeration(.frequency)
        guard frequency != .q48h else {
            throw c.error(.frequency, "Q48H is only available as a clinician's renal override")
        }
        hours = try c.optional(.hours)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try ProtocolDose.encodeAmount(basis: basis, amount: DoseAmount(amount), into: &c)
        try c.encode(frequency, forKey: .frequency)
        try c.encodeIfPresent(hours, forKey: .hours)
    }
}

/// What starts the taper (A7).
package struct TaperTrigger: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, grade, scope, holdHours, afterHours, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        kind = try c.enumeration(.kind)
        grade = try c.optionalInteger(.grade, in: 0...4)
        scope = try c.optionalEnumeration(.scope)
        holdHours = try c.optionalInteger(.holdHours, in: 0...336)
        afterHours = try c.optional(.afterHours)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
        switch kind {
        case .gradeAtMost:
            guard grade != nil else { throw c.error(.grade, "is required for kind grade-at-most") }
            guard scope != nil else { throw c.error(.scope, "is required for kind grade-at-most") }
        case .improving:
            guard afterHours != nil else { throw c.error(.afterHours, "is required for kind improving") }
        case .improvingOrStable, .notStated:
            break
        }
    }
}

/// Kinds of taper trigger.
package enum TaperTriggerKind: String, Sendable, Hashable, CaseIterable, Codable {
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
package enum TaperTriggerScope: String, Sendable, Hashable, CaseIterable, Codable {
    /// CRS and ICANS both (CNH).
    case crsAndIcans = "crs-and-icans"
    /// The toxicity anakinra was started for (Seattle).
    case indicatingToxicity = "indicating-toxicity"
    /// ICANS only (Oliai).
    case icans
}

/// Expected course length.
package struct ProtocolDuration: Sendable, Hashable, Codable {
    /// Total course including taper.
    package var totalDays: DaysRange?
    /// Initial full dosing before a taper may start (MUSC 48–72 h).
    package var initialHours: HoursRange?
    /// The source's wording.
    package var text: String
    package var status: EvidenceStatus
    package var evidence: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case totalDays, initialHours, text, status, evidence }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        totalDays = try c.optional(.totalDays)
        initialHours = try c.optional(.initialHours)
        text = try c.string(.text)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
    }
}

/// Another regimen the source states beside the primary one (MUSC: 100 mg daily SC × 3–4 d,
/// then 50 mg daily with taper).
package struct AlternativeRegimen: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, dose, frequency, initialHours, taper, selection, status, evidence
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        id = try c.string(.id)
        guard AnakinraProtocol.isValidId(id) else {
            throw c.error(.id, "\"\(id)\" must be lower-case letters, digits and single hyphens")
        }
        name = try c.string(.name)
        dose = try c.required(.dose)
        frequency = try c.required(.frequency)
        initialHours = try c.optional(.initialHours)
        taper = try c.optional(.taper)
        selection = try c.optional(.selection)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
    }
}
