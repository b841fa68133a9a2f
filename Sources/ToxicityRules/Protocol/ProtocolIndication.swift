// A protocol's indications (clinical-spec A5–A6): which toxicity, at which grade, in which line
// of therapy.

/// One situation in which the protocol gives anakinra, and its line of therapy.
package struct ProtocolIndication: Sendable, Hashable {
    package var toxicity: IndicationToxicity
    package var line: LineOfTherapy
    /// Lowest grade of `toxicity` at which the indication applies (`nil`: any grade / not stated).
    package var minimumGrade: Int?
    /// CAR T-cell antigen targets the centre states (`CD19`, `CD22`); empty when not stated.
    package var antigenTargets: [String]
    /// Whether a corticosteroid must accompany anakinra, and how.
    package var corticosteroid: CorticosteroidRequirement?
    /// Seattle CRS: the grade has persisted this many hours after the first tocilizumab dose.
    package var persistingHoursAfterFirstTocilizumab: Int?
    /// Seattle CRS: started before a second tocilizumab dose.
    package var beforeSecondTocilizumab: Bool
    /// Oliai: CRS without ICANS.
    package var withoutIcans: Bool
    /// NIH: isolated, late-onset toxicity with no fever and no hypotension.
    package var isolatedLateOnset: Bool
    /// Park prophylaxis: start on this day after infusion …
    package var fromDayAfterInfusion: Int?
    /// … or earlier, after this many documented fevers.
    package var orAfterFeverCount: Int?
    /// `false` when the source gives no dose for this indication (MUSC ICANS/carHLH): the
    /// recommendation carries `dose-not-specified-by-protocol` and offers the protocol's dose.
    package var doseSpecified: Bool
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        toxicity: IndicationToxicity,
        line: LineOfTherapy,
        minimumGrade: Int?,
        antigenTargets: [String],
        corticosteroid: CorticosteroidRequirement?,
        persistingHoursAfterFirstTocilizumab: Int?,
        beforeSecondTocilizumab: Bool,
        withoutIcans: Bool,
        isolatedLateOnset: Bool,
        fromDayAfterInfusion: Int?,
        orAfterFeverCount: Int?,
        doseSpecified: Bool,
        status: EvidenceStatus,
        evidence: String?,
        note: String?
    ) {
        self.toxicity = toxicity
        self.line = line
        self.minimumGrade = minimumGrade
        self.antigenTargets = antigenTargets
        self.corticosteroid = corticosteroid
        self.persistingHoursAfterFirstTocilizumab = persistingHoursAfterFirstTocilizumab
        self.beforeSecondTocilizumab = beforeSecondTocilizumab
        self.withoutIcans = withoutIcans
        self.isolatedLateOnset = isolatedLateOnset
        self.fromDayAfterInfusion = fromDayAfterInfusion
        self.orAfterFeverCount = orAfterFeverCount
        self.doseSpecified = doseSpecified
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}

/// What anakinra is given for.
package enum IndicationToxicity: String, Sendable, Hashable, CaseIterable {
    case crs
    case icans
    /// IEC-HS / carHLH.
    case iecHs = "iec-hs"
    /// CHOP: prolonged refractory thrombocytopenia after CD22 CAR T-cells (clinician-coded).
    case prolongedRefractoryThrombocytopenia = "prolonged-refractory-thrombocytopenia"
}

/// Where anakinra sits relative to tocilizumab and corticosteroids.
package enum LineOfTherapy: String, Sendable, Hashable, CaseIterable {
    /// Before any toxicity (Park: from day +2).
    case prophylaxis
    /// First agent for the indication (St. Jude carHLH, NIH isolated late carHLH, Oliai).
    case firstLine = "first-line"
    /// Started together with a corticosteroid (Seattle severe ICANS).
    case concurrentWithCorticosteroid = "concurrent-with-corticosteroid"
    /// After a first tocilizumab dose and a corticosteroid, before tocilizumab is repeated (Seattle CRS).
    case afterFirstTocilizumabAndCorticosteroid = "after-first-tocilizumab-and-corticosteroid"
    /// After non-response to tocilizumab and corticosteroids (CNH, CHOP, MUSC; A6).
    case refractoryToTocilizumabAndCorticosteroid = "refractory-to-tocilizumab-and-corticosteroid"
    /// After non-response to corticosteroids (Gazeau, Wehrli ICANS).
    case refractoryToCorticosteroid = "refractory-to-corticosteroid"
    /// After non-response to tocilizumab (Gazeau CRS).
    case refractoryToTocilizumab = "refractory-to-tocilizumab"
    /// Given with tocilizumab (Jatiani).
    case withTocilizumab = "with-tocilizumab"
    /// The source states no line.
    case notStated = "not-stated"
}

/// How a corticosteroid must accompany anakinra for an indication.
package enum CorticosteroidRequirement: String, Sendable, Hashable, CaseIterable {
    /// A corticosteroid has been administered.
    case given
    /// A corticosteroid has been administered or ordered (Seattle ICANS).
    case givenOrOrdered = "given-or-ordered"
    /// Recommended with anakinra when the patient is more severely affected (NIH, St. Jude).
    case ifSevere = "if-severe"
}
