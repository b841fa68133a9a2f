import Foundation

// Small, allocation-free building blocks of the recommendation rules: the grades at T, documented
// grade queries over the precomputed courses, the patient's profile facts, and the accumulator of
// the next instant at which an assessment could change.

/// A protocol prepared for the engine: a reference to the decoded protocol, so that an assessment
/// holding it costs one reference count. Build one per protocol and reuse it.
package final class PreparedProtocol: Sendable {
    package let value: AnakinraProtocol
    package let id: String
    // Plain values of the fields the decisions read, so that the evaluation path never copies the
    // protocol (its strings and arrays).
    let indications: [IndicationRule]
    let antigenTargets: [[String]]
    let defaultFrequency: DoseFrequency?
    let allowsIV: Bool
    let allowsSC: Bool
    let preferredRoute: Route
    let trigger: TriggerRule
    let taperMethod: TaperMethod
    let taperIntervals: [DoseFrequency]
    let lastAgentWeaned: Bool
    let reassessmentHours: Int
    let perDayDose: Bool

    package init(_ value: AnakinraProtocol) {
        self.value = value
        id = value.id
        indications = value.indications.map(IndicationRule.init)
        antigenTargets = value.indications.map(\.antigenTargets)
        defaultFrequency = value.frequency.default
        allowsIV = value.routes.allowed.contains(.iv)
        allowsSC = value.routes.allowed.contains(.sc)
        preferredRoute = value.routes.preferred
        trigger = TriggerRule(value.taper.trigger)
        taperMethod = value.taper.method
        taperIntervals = value.taper.intervals
        lastAgentWeaned = value.lastAgentWeaned.value
        reassessmentHours = value.reassessment.hours.min
        perDayDose = value.dose.basis.isPerDay
    }
}

/// An indication's rule fields (``ProtocolIndication`` without its text).
struct IndicationRule: Hashable, Sendable {
    var toxicity: IndicationToxicity
    var line: LineOfTherapy
    var minimumGrade: Int?
    var corticosteroid: CorticosteroidRequirement?
    var persistingHoursAfterFirstTocilizumab: Int?
    var beforeSecondTocilizumab: Bool
    var withoutIcans: Bool
    var isolatedLateOnset: Bool
    var fromDayAfterInfusion: Int?
    var orAfterFeverCount: Int?
    var doseSpecified: Bool

    init(_ i: ProtocolIndication) {
        toxicity = i.toxicity
        line = i.line
        minimumGrade = i.minimumGrade
        corticosteroid = i.corticosteroid
        persistingHoursAfterFirstTocilizumab = i.persistingHoursAfterFirstTocilizumab
        beforeSecondTocilizumab = i.beforeSecondTocilizumab
        withoutIcans = i.withoutIcans
        isolatedLateOnset = i.isolatedLateOnset
        fromDayAfterInfusion = i.fromDayAfterInfusion
        orAfterFeverCount = i.orAfterFeverCount
        doseSpecified = i.doseSpecified
    }
}

/// A taper trigger's rule fields (``TaperTrigger`` without its text).
struct TriggerRule: Hashable, Sendable {
    var kind: TaperTriggerKind
    var grade: Int?
    var scope: TaperTriggerScope?
    var holdHours: Int?
    var afterHours: HoursRange?

    init(_ t: TaperTrigger) {
        kind = t.kind
        grade = t.grade
        scope = t.scope
        holdHours = t.holdHours
        afterHours = t.afterHours
    }
}

/// CRS, ICANS and IEC-HS as a bit set.
struct ToxicitySet: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    static let crs = ToxicitySet(rawValue: 1)
    static let icans = ToxicitySet(rawValue: 2)
    static let iecHs = ToxicitySet(rawValue: 4)
    static let all: ToxicitySet = [.crs, .icans, .iecHs]
    /// The single toxicities, in order (a global: no array is built per call).
    static let singles: [ToxicitySet] = [.crs, .icans, .iecHs]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ toxicity: IndicationToxicity) {
        switch toxicity {
        case .crs: self = .crs
        case .icans: self = .icans
        case .iecHs: self = .iecHs
        case .prolongedRefractoryThrombocytopenia: self = []
        }
    }

    /// Display names, in a fixed order.
    var names: [String] {
        var names: [String] = []
        if contains(.crs) { names.append("CRS") }
        if contains(.icans) { names.append("ICANS") }
        if contains(.iecHs) { names.append("IEC-HS") }
        return names
    }
}

/// The three evaluations at T, computed once per assessment.
struct GradeSnapshot: Sendable {
    var time: Double
    var crs: CRSEvaluation
    var icans: ICANSEvaluation
    var iecHs: IECHSEvaluation

    /// The current grade of one toxicity (IEC-HS: its A4 grade, 0 when absent).
    @inline(__always)
    func grade(_ toxicity: ToxicitySet) -> Int {
        switch toxicity {
        case .crs: crs.core.grade
        case .icans: icans.core.grade
        case .iecHs: iecHs.present ? max(1, iecHs.grade) : 0
        default: worst(toxicity)
        }
    }

    /// The worst current grade over a set.
    func worst(_ set: ToxicitySet) -> Int {
        var value = 0
        if set.contains(.crs) { value = max(value, crs.core.grade) }
        if set.contains(.icans) { value = max(value, icans.core.grade) }
        if set.contains(.iecHs), iecHs.present { value = max(value, max(1, iecHs.grade)) }
        return value
    }

    /// The toxicities active now (grade ≥ 1; IEC-HS present).
    var active: ToxicitySet {
        var set: ToxicitySet = []
        if crs.core.grade >= 1 { set.insert(.crs) }
        if icans.core.grade >= 1 { set.insert(.icans) }
        if iecHs.present { set.insert(.iecHs) }
        return set
    }
}

/// The documented grades of a course over an interval: the grade at an instant is that of the
/// latest point resting on complete data (a grade that is only a lower bound because findings
/// were missing or stale neither confirms nor breaks a condition; the last documented grade is
/// carried forward).
struct DocumentedRange: Hashable, Sendable {
    /// The documented grade at the start of the interval, if any.
    var atStart: Int?
    var maximum: Int
    var minimum: Int
    /// Whether data was complete at some instant of the interval: the point in force at its start
    /// is complete, or a complete point lies inside it. (Equal consecutive points are merged in a
    /// course, so a grade documented without interruption has no point inside the interval.)
    var documentedInside: Bool
}

extension GradeCourse {
    /// The grade of the latest point resting on complete data at or before `t`.
    func documentedGrade(at t: Double) -> Int? {
        guard var p = pointIndex(atOrBefore: t) else { return nil }
        while p >= 0 {
            if completeness[p] { return Int(grades[p]) }
            p -= 1
        }
        return nil
    }

    /// The documented grades over `start...end`; `nil` when nothing was documented by `end`.
    func documentedRange(from start: Double, through end: Double) -> DocumentedRange? {
        let atStart = documentedGrade(at: start)
        var maximum = atStart ?? Int.min
        var minimum = atStart ?? Int.max
        let first = pointIndex(atOrBefore: start)
        var inside = first.map { completeness[$0] } ?? false
        var p = (first ?? -1) + 1
        while p < times.count, times[p] <= end {
            if completeness[p], times[p] > start {
                let g = Int(grades[p])
                maximum = max(maximum, g)
                minimum = min(minimum, g)
                inside = true
            }
            p += 1
        }
        guard atStart != nil || inside else { return nil }
        return DocumentedRange(atStart: atStart, maximum: maximum, minimum: minimum, documentedInside: inside)
    }

    /// The latest instant at or before `t` at which the documented grade dropped from above `grade`
    /// to `grade` or below (`nil` when it was never above, or is above at `t`).
    func lastDocumentedDrop(toAtMost grade: Int, atOrBefore t: Double) -> Double? {
        guard var p = pointIndex(atOrBefore: t) else { return nil }
        var lastAtMost: Double?
        while p >= 0 {
            if completeness[p] {
                if Int(grades[p]) > grade { return lastAtMost }
                lastAtMost = times[p]
            }
            p -= 1
        }
        return nil
    }

    /// The first point strictly after `t`, if any (the grade history may change there).
    func nextPointTime(after t: Double) -> Double? {
        let p = (pointIndex(atOrBefore: t) ?? -1) + 1
        return p < times.count ? times[p] : nil
    }
}

extension PatientTimeline {
    /// The course of one toxicity (a copy: prefer the queries below on the evaluation path).
    func course(_ toxicity: ToxicitySet) -> GradeCourse {
        switch toxicity {
        case .icans: storage.icansCourse
        case .iecHs: storage.iecHsCourse
        default: storage.crsCourse
        }
    }

    // Course queries that read the timeline's courses in place (no copy of their arrays).

    func documentedGrade(_ toxicity: ToxicitySet, at t: Double) -> Int? {
        switch toxicity {
        case .icans: storage.icansCourse.documentedGrade(at: t)
        case .iecHs: storage.iecHsCourse.documentedGrade(at: t)
        default: storage.crsCourse.documentedGrade(at: t)
        }
    }

    func documentedRange(_ toxicity: ToxicitySet, from start: Double, through end: Double) -> DocumentedRange? {
        switch toxicity {
        case .icans: storage.icansCourse.documentedRange(from: start, through: end)
        case .iecHs: storage.iecHsCourse.documentedRange(from: start, through: end)
        default: storage.crsCourse.documentedRange(from: start, through: end)
        }
    }

    func lastDocumentedDrop(_ toxicity: ToxicitySet, toAtMost grade: Int, atOrBefore t: Double) -> Double? {
        switch toxicity {
        case .icans: storage.icansCourse.lastDocumentedDrop(toAtMost: grade, atOrBefore: t)
        case .iecHs: storage.iecHsCourse.lastDocumentedDrop(toAtMost: grade, atOrBefore: t)
        default: storage.crsCourse.lastDocumentedDrop(toAtMost: grade, atOrBefore: t)
        }
    }

    func episodeStatus(_ toxicity: ToxicitySet, at t: Double) -> EpisodeStatus? {
        switch toxicity {
        case .icans: storage.icansCourse.status(at: t)
        case .iecHs: storage.iecHsCourse.status(at: t)
        default: storage.crsCourse.status(at: t)
        }
    }

    /// The worst documented grade over a set at `t` (`nil` when none is documented).
    func documentedWorst(_ set: ToxicitySet, at t: Double) -> Int? {
        var value: Int?
        for toxicity in ToxicitySet.singles where set.contains(toxicity) {
            if let g = documentedGrade(toxicity, at: t) { value = max(value ?? 0, g) }
        }
        return value
    }
}

/// The patient facts the recommendation rules need, read without allocation.
struct ProfileFacts: Sendable {
    /// The current weight's index in the weights series (≤ 30 days, plausible).
    var weight: Int?
    var age: (age: PatientAge, event: Int32)?
    /// The patient event that records an anakinra hypersensitivity (E. coli-derived protein).
    var hypersensitivityEvent: Int32?
    var heightCm: Double?
    var sex: Sex?
    var site: String?
    var infusion: (time: Double, event: Int32)?
    var antigenTarget: String?
    var protocolId: String?

    /// Allergy codes that contraindicate anakinra (label: E. coli-derived proteins or any component).
    static let contraindicatingAllergies: Set<String> = ["e-coli-derived-protein", "anakinra", "kineret"]
}

extension PatientTimeline {
    func profileFacts(at t: Double) -> ProfileFacts {
        var facts = ProfileFacts()
        let weights = index.weights
        if let i = weights.latest(atOrBefore: t), t - weights.times[i] <= policy.weightFreshness {
            facts.weight = i
        }
        facts.age = index.age(at: t)
        facts.infusion = index.infusedAt(at: t)
        let count = index.patients.countAtOrBefore(t)
        var k = 0
        while k < count {
            let position = index.patients.values[k]
            if case .patient(let p) = events[Int(position)] {
                if let height = p.heightCm { facts.heightCm = height }
                if let sex = p.sex { facts.sex = sex }
                if let site = p.site { facts.site = site }
                if let target = p.infusion?.target { facts.antigenTarget = target }
                if let protocolId = p.protocolId { facts.protocolId = protocolId }
                if facts.hypersensitivityEvent == nil {
                    for allergy in p.allergies where ProfileFacts.contraindicatingAllergies.contains(allergy) {
                        facts.hypersensitivityEvent = position
                        break
                    }
                }
            }
            k += 1
        }
        return facts
    }

    /// The weight value of a weights-series index, in kg.
    func weightKg(_ facts: ProfileFacts) -> Double? {
        facts.weight.map { index.weights.values[$0] }
    }

    /// The current value of a laboratory test (within the lab freshness window).
    @inline(__always)
    func currentLab(_ test: LabTest, at t: Double) -> Int? {
        let series = index.labs[test.ordinal]
        guard !series.isEmpty else { return nil }
        return series.reading(at: t, window: policy.labFreshness).current
    }
}

/// The earliest instant after T at which an assessment could change with no new event.
struct NextDecision: Sendable {
    let after: Double
    private(set) var earliest: Double = .infinity

    init(after: Double) { self.after = after }

    @inline(__always)
    mutating func consider(_ t: Double) {
        if t > after, t < earliest { earliest = t }
    }

    @inline(__always)
    mutating func consider(_ t: Double?) {
        if let t { consider(t) }
    }

    /// The staleness instant of the current observation of a series.
    @inline(__always)
    mutating func considerStale<V>(_ series: Series<V>, window: Double) {
        guard !series.isEmpty, let i = series.latest(atOrBefore: after) else { return }
        let time = series.times[i]
        if after - time <= window { consider(staleInstant(time, window: window)) }
    }

    var date: Date? { earliest.isFinite ? Date(timeIntervalSinceReferenceDate: earliest) : nil }
}
