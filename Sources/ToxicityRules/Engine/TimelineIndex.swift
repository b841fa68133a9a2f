import Foundation

// Per-kind observation series built once per timeline, so that "the latest X at or before T" is a
// binary search over a contiguous array of times. Times are seconds since the reference date
// (`Date.timeIntervalSinceReferenceDate`), compared unrounded.

/// Observations of one kind, in event-time order.
struct Series<Value: Sendable>: Sendable {
    var times: [Double] = []
    var values: [Value] = []
    /// Index of the source event in ``PatientTimeline/events``.
    var events: [Int32] = []

    var isEmpty: Bool { times.isEmpty }
    var count: Int { times.count }

    mutating func append(_ time: Double, _ value: Value, event: Int) {
        times.append(time)
        values.append(value)
        events.append(Int32(truncatingIfNeeded: event))
    }

    /// Number of observations at or before `t` (the upper bound of `t`).
    @inline(__always)
    func countAtOrBefore(_ t: Double) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let mid = (low &+ high) >> 1
            if times[mid] <= t { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// Number of observations strictly before `t` (the lower bound of `t`).
    @inline(__always)
    func countBefore(_ t: Double) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let mid = (low &+ high) >> 1
            if times[mid] < t { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// Index of the latest observation at or before `t`.
    @inline(__always)
    func latest(atOrBefore t: Double) -> Int? {
        let n = countAtOrBefore(t)
        return n > 0 ? n - 1 : nil
    }

    /// Index of the first observation at or after `t`.
    @inline(__always)
    func first(atOrAfter t: Double) -> Int? {
        let n = countBefore(t)
        return n < times.count ? n : nil
    }

    /// Number of observations in `from...through`.
    func count(from: Double, through: Double) -> Int {
        guard from <= through else { return 0 }
        return countAtOrBefore(through) - countBefore(from)
    }
}

/// The current value of a finding at an instant (clinical-spec A1).
enum Reading: Hashable, Sendable {
    /// Never observed at or before the instant.
    case missing
    /// Observed, but older than its freshness window (the index of the latest observation).
    case stale(Int)
    /// The latest observation, within its freshness window.
    case current(Int)

    var current: Int? {
        if case .current(let i) = self { return i }
        return nil
    }

    /// The latest observation whether or not it is fresh.
    var latest: Int? {
        switch self {
        case .missing: nil
        case .stale(let i), .current(let i): i
        }
    }
}

extension Series {
    /// The reading at `t` with a freshness window; `window == .infinity` ignores freshness.
    @inline(__always)
    func reading(at t: Double, window: Double) -> Reading {
        guard let i = latest(atOrBefore: t) else { return .missing }
        return t - times[i] > window ? .stale(i) : .current(i)
    }
}

/// A laboratory value with the limit reported with it.
struct LabValue: Hashable, Sendable {
    var value: Double
    var upperLimitOfNormal: Double?
}

/// Cerebral edema and raised-ICP signs from one assessment (the ICANS ICP/edema domain).
struct IntracranialObservation: Hashable, Sendable {
    var edema: CerebralEdema?
    /// Bit set of ``RaisedICPSign`` ordinals.
    var signs: UInt8

    var signList: [RaisedICPSign] {
        RaisedICPSign.allCases.filter { signs & (1 << $0.ordinal) != 0 }
    }
}

/// An implausible value, kept out of the series and reported as an alert.
struct ImplausibleValue: Hashable, Sendable {
    var field: FieldName
}

/// A drug administration (or infusion start) with its dose.
struct Administration: Hashable, Sendable {
    var drug: Drug
    var doseMg: Double?
}

// MARK: - Ordinals

extension LabTest {
    static let count = 16

    var ordinal: Int {
        switch self {
        case .ferritin: 0
        case .crp: 1
        case .il6: 2
        case .fibrinogen: 3
        case .platelets: 4
        case .anc: 5
        case .hemoglobin: 6
        case .alt: 7
        case .ast: 8
        case .bilirubin: 9
        case .creatinine: 10
        case .creatinineClearance: 11
        case .triglycerides: 12
        case .ldh: 13
        case .dDimer: 14
        case .inr: 15
        }
    }
}

extension ClinicalFinding {
    static let count = 9

    var ordinal: Int {
        switch self {
        case .hemophagocytosis: 0
        case .splenomegaly: 1
        case .coagulopathy: 2
        case .pulmonaryEdemaGrade3: 3
        case .oliguriaGrade3: 4
        case .dialysis: 5
        case .prolongedRefractoryThrombocytopenia: 6
        case .developmentalDelay: 7
        case .activeInfection: 8
        }
    }
}

extension RaisedICPSign {
    var ordinal: Int {
        switch self {
        case .posturing: 0
        case .cnVIPalsy: 1
        case .papilledema: 2
        case .cushingsTriad: 3
        }
    }
}

extension Drug {
    /// Number of drugs with a case of their own (``Drug/known``).
    static let slotCount = 29

    /// A dense index for drugs with a case of their own; `nil` for `.other`.
    var slot: Int? {
        switch self {
        case .tocilizumab: 0
        case .siltuximab: 1
        case .anakinra: 2
        case .dexamethasone: 3
        case .methylprednisolone: 4
        case .prednisolone: 5
        case .hydrocortisone: 6
        case .ruxolitinib: 7
        case .emapalumab: 8
        case .etanercept: 9
        case .infliximab: 10
        case .adalimumab: 11
        case .certolizumab: 12
        case .golimumab: 13
        case .norepinephrine: 14
        case .epinephrine: 15
        case .dopamine: 16
        case .phenylephrine: 17
        case .vasopressin: 18
        case .dobutamine: 19
        case .milrinone: 20
        case .acetaminophen: 21
        case .ibuprofen: 22
        case .midazolam: 23
        case .propofol: 24
        case .dexmedetomidine: 25
        case .lorazepam: 26
        case .cryoprecipitate: 27
        case .fibrinogenConcentrate: 28
        case .other: nil
        }
    }

    /// Corticosteroids (clinical-spec A1).
    package var isCorticosteroid: Bool {
        switch self {
        case .dexamethasone, .methylprednisolone, .prednisolone, .hydrocortisone: true
        default: false
        }
    }

    /// Drugs after which fever is no longer required to grade CRS (A2): anti-cytokine therapy,
    /// corticosteroids and antipyretics.
    package var masksFever: Bool {
        switch self {
        case .tocilizumab, .siltuximab, .anakinra, .acetaminophen, .ibuprofen: true
        default: isCorticosteroid
        }
    }

    /// IL-6-directed therapy (the IEC-HS timing criterion).
    package var isIL6Directed: Bool {
        switch self {
        case .tocilizumab, .siltuximab: true
        default: false
        }
    }

    /// Vasopressors counted by ASTCT (A2). Vasopressin is one, counted apart.
    package var isVasopressor: Bool {
        switch self {
        case .norepinephrine, .epinephrine, .phenylephrine, .dopamine, .vasopressin: true
        default: false
        }
    }

    /// Inotropes, not counted as vasopressors unless the policy says so.
    package var isInotrope: Bool {
        switch self {
        case .dobutamine, .milrinone: true
        default: false
        }
    }

    /// Sedatives whose active infusion makes ICE/CAPD and consciousness not assessable.
    package var isSedative: Bool {
        switch self {
        case .midazolam, .propofol, .dexmedetomidine, .lorazepam: true
        default: false
        }
    }
}

/// Plausibility limits applied while indexing: values outside them are kept out of the series
/// and reported with alert `implausible-value`.
enum Plausibility {
    static let temperatureC: ClosedRange<Double> = 25...45
    static let systolicBP: ClosedRange<Double> = 20...300
    static let meanArterialPressure: ClosedRange<Double> = 10...250
    static let oxygenFlow: ClosedRange<Double> = 0...80
    static let ice: ClosedRange<Int> = 0...10
    static let capd: ClosedRange<Int> = 0...32
}

/// Drugs whose infusion state the engine tracks (vasopressors, inotropes, sedatives), in a fixed
/// order so that active infusions fit in a bit set.
enum TrackedInfusion {
    static let drugs: [Drug] = [
        .norepinephrine, .epinephrine, .phenylephrine, .dopamine, .vasopressin, .dobutamine, .milrinone,
        .midazolam, .propofol, .dexmedetomidine, .lorazepam,
    ]
    static let vasopressinBit: UInt16 = 1 << 4
    static let nonVasopressinVasopressors: UInt16 = 0b1111
    static let inotropes: UInt16 = 0b110_0000
    static let sedatives: UInt16 = 0b111_1000_0000

    static func bit(_ drug: Drug) -> Int? {
        switch drug {
        case .norepinephrine: 0
        case .epinephrine: 1
        case .phenylephrine: 2
        case .dopamine: 3
        case .vasopressin: 4
        case .dobutamine: 5
        case .milrinone: 6
        case .midazolam: 7
        case .propofol: 8
        case .dexmedetomidine: 9
        case .lorazepam: 10
        default: nil
        }
    }

    static func drugs(in mask: UInt16) -> [Drug] {
        drugs.indices.filter { mask & (1 << $0) != 0 }.map { drugs[$0] }
    }
}

extension MedicationAction {
    /// Whether an infusion is running after this change: a start or a rate change.
    var isRunning: Bool { self == .infusionStarted || self == .infusionRateChanged }
}

/// Every per-kind series of a timeline.
struct TimelineIndex: Sendable {
    // Profile (from patient events)
    var patients = Series<Int32>()
    var ages = Series<AgeSource>()
    var weights = Series<Double>()
    var infusions = Series<Infusion>()
    var baselineFerritin = Series<Double>()

    // Vitals
    var temperature = Series<Double>()
    var systolic = Series<Double>()
    var meanArterial = Series<Double>()
    var oxygen = Series<OxygenSupport>()

    // Neuro
    var ice = Series<Int>()
    var capd = Series<Int>()
    var consciousness = Series<Consciousness>()
    var seizure = Series<Seizure>()
    var motor = Series<MotorWeakness>()
    var intracranial = Series<IntracranialObservation>()
    /// Every neuro assessment, valued with whether the assessor reported sedation.
    var neuroSedated = Series<Bool>()

    // Labs and clinician-coded findings
    var labs = [Series<LabValue>](repeating: Series(), count: LabTest.count)
    var findings = [Series<Bool>](repeating: Series(), count: ClinicalFinding.count)

    // Medications
    /// Administrations (and infusion starts) per drug slot.
    var given = [Series<Administration>](repeating: Series(), count: Drug.slotCount)
    /// Infusion start / rate change / stop per tracked infusion bit.
    var infusionChanges = [Series<MedicationAction>](repeating: Series(), count: TrackedInfusion.drugs.count)
    /// Administrations of any fever-masking drug (A2).
    var feverMasking = Series<Administration>()
    /// Administrations of any corticosteroid (A1).
    var corticosteroids = Series<Administration>()
    /// Administrations of IL-6-directed therapy.
    var il6Directed = Series<Administration>()
    /// Every medication change, for "infusion active" queries of any drug.
    var medicationEvents = Series<Int32>()

    // Values kept out of the series
    var implausible = Series<ImplausibleValue>()

    init() {}

    init(events: [ClinicalEvent], policy: GradingPolicy) {
        for (position, event) in events.enumerated() { add(event, position: position, policy: policy) }
    }

    /// Indexes the event at `position` of the timeline's events. Events are added in event-time
    /// order (a discontinuation ends an infusion only if the infusion runs at that point).
    mutating func add(_ event: ClinicalEvent, position: Int, policy: GradingPolicy) {
        let t = event.occurredAt.timeIntervalSinceReferenceDate
        switch event {
        case .patient(let p):
            patients.append(t, Int32(truncatingIfNeeded: position), event: position)
            if let birthDate = p.birthDate {
                ages.append(t, AgeSource(birthDate: birthDate), event: position)
            } else if let years = p.ageYears, years >= 0, years < 150 {
                ages.append(t, AgeSource(ageYears: years, reportedAt: t), event: position)
            }
            if let kg = p.weightKg {
                if policy.plausibleWeightKg.contains(kg) {
                    weights.append(t, kg, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .weightKg), event: position)
                }
            }
            if let infusion = p.infusion { infusions.append(t, infusion, event: position) }
            if let ferritin = p.baselineFerritin, ferritin >= 0 {
                baselineFerritin.append(t, ferritin, event: position)
            }
        case .vitals(let v):
            if let temp = v.temperatureC {
                if Plausibility.temperatureC.contains(temp) {
                    temperature.append(t, temp, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .temperatureC), event: position)
                }
            }
            if let sbp = v.systolicBP {
                if Plausibility.systolicBP.contains(sbp) {
                    systolic.append(t, sbp, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .systolicBP), event: position)
                }
            }
            if let map = v.meanArterialPressure {
                if Plausibility.meanArterialPressure.contains(map) {
                    meanArterial.append(t, map, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .meanArterialPressure), event: position)
                }
            }
            if var support = v.oxygen {
                if let flow = support.flowLPerMin, !Plausibility.oxygenFlow.contains(flow) {
                    implausible.append(t, ImplausibleValue(field: .oxygenFlow), event: position)
                    support.flowLPerMin = nil
                }
                oxygen.append(t, support, event: position)
            }
        case .neuro(let n):
            neuroSedated.append(t, n.sedated == true, event: position)
            if let score = n.iceScore {
                if Plausibility.ice.contains(score) {
                    ice.append(t, score, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .iceScore), event: position)
                }
            }
            if let score = n.capdScore {
                if Plausibility.capd.contains(score) {
                    capd.append(t, score, event: position)
                } else {
                    implausible.append(t, ImplausibleValue(field: .capdScore), event: position)
                }
            }
            if let level = n.consciousness { consciousness.append(t, level, event: position) }
            if let s = n.seizure { seizure.append(t, s, event: position) }
            if let m = n.motorWeakness { motor.append(t, m, event: position) }
            if n.cerebralEdema != nil || !n.raisedIcpSigns.isEmpty {
                var signs: UInt8 = 0
                for sign in n.raisedIcpSigns { signs |= 1 << sign.ordinal }
                intracranial.append(
                    t, IntracranialObservation(edema: n.cerebralEdema, signs: signs), event: position
                )
            }
        case .lab(let l):
            if l.value.isFinite, l.value >= 0 {
                labs[l.test.ordinal].append(
                    t, LabValue(value: l.value, upperLimitOfNormal: l.upperLimitOfNormal), event: position
                )
            } else {
                implausible.append(
                    t, ImplausibleValue(field: FieldName(rawValue: l.test.rawValue)), event: position)
            }
        case .finding(let f):
            findings[f.finding.ordinal].append(t, f.present, event: position)
        case .medication(let m):
            medicationEvents.append(t, Int32(truncatingIfNeeded: position), event: position)
            let isGiven = m.action == .administered || m.action == .infusionStarted
            if isGiven, let slot = m.drug.slot {
                let administration = Administration(drug: m.drug, doseMg: m.doseMg)
                given[slot].append(t, administration, event: position)
                if m.drug.masksFever { feverMasking.append(t, administration, event: position) }
                if m.drug.isCorticosteroid { corticosteroids.append(t, administration, event: position) }
                if m.drug.isIL6Directed { il6Directed.append(t, administration, event: position) }
            }
            switch m.action {
            case .infusionStarted, .infusionRateChanged, .infusionStopped:
                if let bit = TrackedInfusion.bit(m.drug) {
                    infusionChanges[bit].append(t, m.action, event: position)
                }
            case .discontinued:
                // §A13.13: the order's discontinuation ends a running infusion (assumed end).
                if let bit = TrackedInfusion.bit(m.drug), infusionChanges[bit].values.last?.isRunning == true {
                    infusionChanges[bit].append(t, m.action, event: position)
                }
            case .administered, .ordered:
                break
            }
        }
    }

    /// Bit set of tracked infusions active at `t` (A1: the latest start or rate change is later
    /// than the latest stop or, §A13.13, the latest discontinuation of its order).
    @inline(__always)
    func activeInfusions(at t: Double, mask: UInt16 = 0x7FF) -> UInt16 {
        var active: UInt16 = 0
        var bit = 0
        while bit < infusionChanges.count {
            if mask & (1 << bit) != 0, !infusionChanges[bit].isEmpty,
                let i = infusionChanges[bit].latest(atOrBefore: t),
                infusionChanges[bit].values[i].isRunning
            {
                active |= 1 << bit
            }
            bit += 1
        }
        return active
    }

    /// Tracked infusions whose end at or before `t` is assumed from a discontinued order (§A13.13),
    /// discontinued no longer than `window` ago: (bit, event of the discontinuation).
    func assumedInfusionEnds(at t: Double, window: Double) -> [(bit: Int, event: Int32)] {
        infusionChanges.indices.compactMap { bit in
            let series = infusionChanges[bit]
            guard let i = series.latest(atOrBefore: t), series.values[i] == .discontinued,
                t - series.times[i] <= window
            else { return nil }
            return (bit, series.events[i])
        }
    }

    /// The latest age source at or before `t`, with its event.
    @inline(__always)
    func age(at t: Double) -> (age: PatientAge, event: Int32)? {
        guard let i = ages.latest(atOrBefore: t), let age = ages.values[i].age(at: t) else { return nil }
        return (age, ages.events[i])
    }

    /// The infusion instant known at `t`.
    @inline(__always)
    func infusedAt(at t: Double) -> (time: Double, event: Int32)? {
        guard let i = infusions.latest(atOrBefore: t) else { return nil }
        return (infusions.values[i].infusedAt.timeIntervalSinceReferenceDate, infusions.events[i])
    }
}

extension FieldName {
    package static let temperatureC: FieldName = "temperatureC"
    package static let systolicBP: FieldName = "systolicBP"
    package static let meanArterialPressure: FieldName = "meanArterialPressure"
    package static let oxygenDevice: FieldName = "oxygen.device"
    package static let oxygenFlow: FieldName = "oxygen.flowLPerMin"
    package static let iceScore: FieldName = "iceScore"
    package static let capdScore: FieldName = "capdScore"
    package static let consciousness: FieldName = "consciousness"
    package static let seizure: FieldName = "seizure"
    package static let motorWeakness: FieldName = "motorWeakness"
    package static let cerebralEdema: FieldName = "cerebralEdema"
    package static let raisedIcpSigns: FieldName = "raisedIcpSigns"
    package static let sedated: FieldName = "sedated"
    package static let weightKg: FieldName = "weightKg"
    package static let ageYears: FieldName = "ageYears"
    package static let birthDate: FieldName = "birthDate"
    package static let infusedAt: FieldName = "infusion.infusedAt"
    package static let drug: FieldName = "drug"
    package static let finding: FieldName = "finding"
    package static let baselineFerritin: FieldName = "baselineFerritin"
    package static let episodeStart: FieldName = "episodeStart"
    package static let crsGrade: FieldName = "crsGrade"
    package static let crsMaxGrade: FieldName = "crsMaxGrade"
    package static let oxygenTier: FieldName = "oxygenTier"
    package static let ferritinRatio: FieldName = "ferritinRatio"

    /// The field name of a laboratory test (its wire name).
    package static func lab(_ test: LabTest) -> FieldName {
        switch test {
        case .ferritin: "ferritin"
        case .crp: "crp"
        case .il6: "il6"
        case .fibrinogen: "fibrinogen"
        case .platelets: "platelets"
        case .anc: "anc"
        case .hemoglobin: "hemoglobin"
        case .alt: "alt"
        case .ast: "ast"
        case .bilirubin: "bilirubin"
        case .creatinine: "creatinine"
        case .creatinineClearance: "creatinine-clearance"
        case .triglycerides: "triglycerides"
        case .ldh: "ldh"
        case .dDimer: "d-dimer"
        case .inr: "inr"
        }
    }
}
