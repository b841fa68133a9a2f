// The safety findings (clinical-spec A9): hypersensitivity, TNF blockade, infection risk,
// combination immunosuppression, renal impairment.

struct RenalFinding: Hashable, Sendable {
    /// Index of a reported `creatinine-clearance` lab, when reported.
    var reportedLab: Int?
    /// Index of the creatinine lab the estimate used.
    var creatinineLab: Int?
    var method: CreatinineClearanceEstimate.Method?
    var value: ExactAmount
}

/// Safety findings (A9).
struct SafetyFacts: Hashable, Sendable {
    /// The patient event recording E. coli-derived protein (or anakinra) hypersensitivity.
    var hypersensitivityEvent: Int32?
    /// A TNF blocker given in the window: its slot and index in `given`.
    var tnfSlot: Int?
    var tnfIndex: Int?
    /// ANC below the threshold (lab index).
    var lowANC: Int?
    /// Clinician-coded active infection (event index).
    var activeInfection: Int32?
    /// Immunosuppressants given in the infection window: tocilizumab, corticosteroid, ruxolitinib,
    /// emapalumab (bits 0–3); bit 4: anakinra given in the window.
    var combination: UInt8 = 0
    var renal: RenalFinding?

    var combinationCount: Int { (combination & 0b1111).nonzeroBitCount }
    var anakinraInWindow: Bool { combination & 0b1_0000 != 0 }
}

extension PatientTimeline {
    // MARK: Safety (A9)

    /// Slots of the TNF blockers (etanercept, infliximab, adalimumab, certolizumab, golimumab).
    static let tnfBlockerSlots: [Int] = [Drug.etanercept, .infliximab, .adalimumab, .certolizumab, .golimumab]
        .compactMap(\.slot)

    func safetyFacts(
        at t: Double,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        anakinraPlanned: Bool,
        next: inout NextDecision
    ) -> SafetyFacts {
        var facts = SafetyFacts()
        facts.hypersensitivityEvent = profile.hypersensitivityEvent
        // TNF blockers in the window.
        var latestTNF: Double = -.infinity
        for slot in Self.tnfBlockerSlots {
            let series = index.given[slot]
            guard !series.isEmpty, let i = series.latest(atOrBefore: t) else { continue }
            let time = series.times[i]
            if t - time <= dosing.tnfBlockerWindow, time > latestTNF {
                latestTNF = time
                facts.tnfSlot = slot
                facts.tnfIndex = i
            }
        }
        if facts.tnfIndex != nil { next.consider((latestTNF + dosing.tnfBlockerWindow).nextUp) }
        // Infection risk.
        if let i = currentLab(.anc, at: t),
            index.labs[LabTest.anc.ordinal].values[i].value < dosing.severeNeutropeniaANC
        {
            facts.lowANC = i
        }
        facts.activeInfection = index.finding(.activeInfection, at: t)
        let from = t - dosing.infectionWindow
        func given(_ series: Series<Administration>) -> Bool {
            guard !series.isEmpty, let i = series.latest(atOrBefore: t) else { return false }
            if series.times[i] >= from {
                next.consider((series.times[i] + dosing.infectionWindow).nextUp)
                return true
            }
            return false
        }
        var bits: UInt8 = 0
        if given(index.given[Drug.tocilizumab.slot ?? 0]) { bits |= 1 }
        if given(index.corticosteroids) { bits |= 2 }
        if given(index.given[Drug.ruxolitinib.slot ?? 7]) { bits |= 4 }
        if given(index.given[Drug.emapalumab.slot ?? 8]) { bits |= 8 }
        if anakinraPlanned || given(index.given[Self.anakinraSlot]) { bits |= 16 }
        facts.combination = bits
        facts.renal = renalFinding(at: t, profile: profile)
        return facts
    }

    /// Creatinine clearance < 30 mL/min: reported, or estimated (bedside Schwartz below 18 y,
    /// Cockcroft-Gault from 18 y) when the inputs allow (A9).
    func renalFinding(at t: Double, profile: ProfileFacts) -> RenalFinding? {
        if let i = currentLab(.creatinineClearance, at: t) {
            let value = index.labs[LabTest.creatinineClearance.ordinal].values[i].value
            guard value < Double(RenalFunction.severeImpairmentMLPerMin),
                let exact = ExactAmount(measured: value, places: 1)
            else { return nil }
            return RenalFinding(reportedLab: i, creatinineLab: nil, method: nil, value: exact)
        }
        guard let i = currentLab(.creatinine, at: t), let age = profile.age else { return nil }
        let creatinine = index.labs[LabTest.creatinine.ordinal].values[i].value
        guard
            let estimate = RenalFunction.clearance(
                ageYears: age.age.years,
                sex: profile.sex,
                weightKg: weightKg(profile),
                heightCm: profile.heightCm,
                serumCreatinineMgPerDL: creatinine
            )
        else { return nil }
        guard estimate.value < RenalFunction.severeImpairmentMLPerMin else { return nil }
        return RenalFinding(reportedLab: nil, creatinineLab: i, method: estimate.method, value: estimate.value)
    }
}
