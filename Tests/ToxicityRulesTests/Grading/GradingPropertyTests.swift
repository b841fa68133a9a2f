import Foundation
import PropertyBased
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// Oxygen support from least to most (ASTCT tiers 1, 2, 2, 2, 2, 3 …).
let oxygenLadder: [OxygenSupport] = [
    .roomAir, OxygenSupport(device: .blowBy), .nasalCannula(2), .nasalCannula(6), .highFlow(5), .nasalCannula(6.1),
    .highFlow(40), OxygenSupport(device: .simpleFaceMask, flowLPerMin: 6), OxygenSupport(device: .nonRebreather),
    OxygenSupport(device: .venturiMask), OxygenSupport(device: .cpap), OxygenSupport(device: .bipap),
    OxygenSupport(device: .mechanicalVentilation),
]

/// Vasopressor need from least to most.
let vasopressorLadder: [[Drug]] = [
    [], [.vasopressin], [.norepinephrine], [.norepinephrine, .vasopressin], [.norepinephrine, .epinephrine],
    [.norepinephrine, .epinephrine, .phenylephrine],
]

struct CRSScenario: CustomStringConvertible {
    var ageYears: Int
    var temperature: Double
    var systolic: Double
    var oxygen: Int
    var vasopressors: Int
    var waived: Bool

    var description: String {
        "age \(ageYears), T \(temperature), SBP \(systolic), O2 \(oxygen), vaso \(vasopressors), waived \(waived)"
    }

    func grade() -> Int {
        var course = CourseBuilder()
        course.patient(ageYears: Double(ageYears), weightKg: 30)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)  // opens the episode
        if waived { course.med(at: 1.5, .acetaminophen, doseMg: 500) }
        for drug in vasopressorLadder[vasopressors] { course.med(at: 1.8, drug, .infusionStarted) }
        course.vitals(at: 2, temp: temperature, sbp: systolic, oxygen: oxygenLadder[oxygen])
        return course.grade(at: 2).crs.grade ?? -1  // fresh findings: never `nil`, which would break every property
    }
}

enum ICANSDomains {
    static let seizures: [Seizure] = [.none, .focalOrGeneralizedResolving, .prolongedOrRepetitive]
    static let edema: [CerebralEdema] = [.none, .focal, .diffuse]
}

struct ICANSScenario: CustomStringConvertible {
    var ageYears: Int
    var score: Int
    var consciousness: Int
    var seizure: Int
    var motor: Int
    var edema: Int
    var icpSign: Bool

    var description: String {
        "age \(ageYears), score \(score), LOC \(consciousness), seizure \(seizure), motor \(motor), edema \(edema), ICP \(icpSign)"
    }

    /// `score` is an ICE score (0–10, lower is worse) from 12 y, a CAPD score (0–32, higher is
    /// worse) below.
    func grade() -> Int {
        var course = CourseBuilder()
        course.patient(ageYears: Double(ageYears), weightKg: 30)
        let usesICE = ageYears >= 12
        course.neuro(
            at: 1, ice: usesICE ? score : nil, capd: usesICE ? nil : score,
            consciousness: Consciousness.allCases[consciousness], seizure: ICANSDomains.seizures[seizure],
            motor: motor == 0 ? MotorWeakness.none : .deepFocal, edema: ICANSDomains.edema[edema],
            icpSigns: icpSign ? [.papilledema] : [])
        return course.grade(at: 1).icans.grade ?? -1  // fresh findings: never `nil`, which would break every property
    }
}

@Suite("Grading properties")
struct GradingPropertyTests {
    @Test("CRS grade never decreases when one finding gets worse, everything else fixed")
    func crsMonotone() async {
        await propertyCheck(
            count: 300,
            input: Gen.int(in: 0...20), Gen.double(in: 36...40.5), Gen.double(in: 50...130),
            Gen.int(in: 0...(oxygenLadder.count - 1)), Gen.int(in: 0...(vasopressorLadder.count - 1)), Gen.bool,
            Gen.int(in: 0...3), Gen.int(in: 0...12)
        ) { age, temperature, systolic, oxygen, vasopressors, waived, dimension, step in
            let base = CRSScenario(
                ageYears: age, temperature: temperature, systolic: systolic, oxygen: oxygen,
                vasopressors: vasopressors, waived: waived)
            var worse = base
            switch dimension {
            case 0: worse.temperature = min(41, temperature + Double(step) * 0.2)
            case 1: worse.systolic = max(40, systolic - Double(step) * 3)
            case 2: worse.oxygen = min(oxygenLadder.count - 1, oxygen + step)
            default: worse.vasopressors = min(vasopressorLadder.count - 1, vasopressors + step)
            }
            #expect(worse.grade() >= base.grade(), "base \(base) → worse \(worse)")
        }
    }

    @Test("ICANS grade never decreases when one domain gets worse, everything else fixed")
    func icansMonotone() async {
        await propertyCheck(
            count: 300,
            input: Gen.int(in: 1...30), Gen.int(in: 0...32), Gen.int(in: 0...4), Gen.int(in: 0...2),
            Gen.int(in: 0...1), Gen.int(in: 0...2), Gen.bool, Gen.int(in: 0...6)
        ) { age, rawScore, consciousness, seizure, motor, edema, icp, dimension in
            let usesICE = age >= 12
            let score = usesICE ? rawScore % 11 : rawScore
            let base = ICANSScenario(
                ageYears: age, score: score, consciousness: consciousness, seizure: seizure, motor: motor,
                edema: edema, icpSign: icp)
            var worse = base
            switch dimension {
            case 0: worse.score = usesICE ? max(0, score - 3) : min(32, score + 4)
            case 1: worse.consciousness = min(4, consciousness + 1)
            case 2: worse.seizure = min(2, seizure + 1)
            case 3: worse.motor = 1
            case 4: worse.edema = min(2, edema + 1)
            default: worse.icpSign = true
            }
            #expect(worse.grade() >= base.grade(), "base \(base) → worse \(worse)")
        }
    }

    @Test("IEC-HS: worse laboratory values never turn a present IEC-HS absent or lower its grade")
    func iecHsMonotone() async {
        await propertyCheck(
            count: 150,
            input: Gen.double(in: 100...60_000), Gen.double(in: 50...400), Gen.double(in: 10...600),
            Gen.double(in: 10...300), Gen.int(in: 0...3), Gen.double(in: 1...3)
        ) { ferritin, fibrinogen, alt, platelets, dimension, factor in
            func assess(_ f: Double, _ fib: Double, _ a: Double, _ p: Double) -> IECHSAssessment {
                var course = CourseBuilder()
                course.patient(at: day(0, 0), ageYears: 16, weightKg: 30, infusedAtHours: day(0, 6))
                course.vitals(at: day(2, 6), temp: 39.2, sbp: 100, oxygen: .roomAir)
                course.vitals(at: day(5, 6), temp: 37.0, sbp: 110, oxygen: .roomAir)
                course.lab(at: day(9, 6), .ferritin, f, uln: 300)
                course.lab(at: day(9, 6), .fibrinogen, fib)
                course.lab(at: day(9, 6), .alt, a, uln: 40)
                course.lab(at: day(9, 6), .platelets, p)
                return course.grade(at: day(9, 6)).iecHs
            }
            let base = assess(ferritin, fibrinogen, alt, platelets)
            let worse =
                switch dimension {
                case 0: assess(ferritin * factor, fibrinogen, alt, platelets)
                case 1: assess(ferritin, fibrinogen / factor, alt, platelets)
                case 2: assess(ferritin, fibrinogen, alt * factor, platelets)
                default: assess(ferritin, fibrinogen, alt, platelets / factor)
                }
            #expect(!base.present || worse.present)
            #expect(worse.grade >= base.grade)
        }
    }

    @Test("Deterministic: same timeline and T give the same answer; input order of distinct instants does not matter")
    func deterministic() async {
        await propertyCheck(count: 60, input: RandomCourse.generator, Gen.int(in: -120...4800)) { specs, minute in
            let events = RandomCourse.events(specs, distinctInstants: true)
            let t = CourseBuilder.at(Double(minute) / 60)
            let engine = ToxicityEngine()
            let first = engine.grade(PatientTimeline(events: events), at: t)
            let again = engine.grade(PatientTimeline(events: events), at: t)
            let reversed = engine.grade(PatientTimeline(events: events.reversed()), at: t)
            #expect(first == again)
            #expect(first == reversed)
        }
    }

    @Test("Replayable: the answer at T depends only on events at or before T")
    func prefixConsistent() async {
        await propertyCheck(count: 60, input: RandomCourse.generator, Gen.int(in: 0...4800)) { specs, minute in
            let events = RandomCourse.events(specs, distinctInstants: false)
            let t = CourseBuilder.at(Double(minute) / 60)
            let full = PatientTimeline(events: events).grade(at: t)
            let prefix = PatientTimeline(events: events.filter { $0.occurredAt <= t }).grade(at: t)
            #expect(full == prefix)
        }
    }

    @Test("The precomputed histories agree with the engine at every instant, and maxGrade ≥ grade")
    func historyMatchesEngine() async {
        await propertyCheck(count: 40, input: RandomCourse.generator) { specs in
            let events = RandomCourse.events(specs, distinctInstants: false)
            let timeline = PatientTimeline(events: events)
            // Probe every event instant, each freshness and window edge after it, and midpoints.
            var probes: [Double] = []
            for event in timeline.events {
                let t = event.occurredAt.timeIntervalSinceReferenceDate
                for offset in [0, -1, 1, 4 * 3600, 4 * 3600 + 1, 12 * 3600 + 1, 24 * 3600, 48 * 3600 + 1, 5000] {
                    probes.append(t + Double(offset))
                }
            }
            for t in probes {
                let date = Date(timeIntervalSinceReferenceDate: t)
                let result = timeline.grade(at: date)
                // A grade that cannot be given (§A13.12) is an incomplete point of the history.
                for (course, assessment, name) in [
                    (timeline.crsCourse, result.crs, "CRS"), (timeline.icansCourse, result.icans, "ICANS"),
                ] {
                    if let grade = assessment.grade {
                        #expect(course.grade(at: date) == grade, "\(name) at \(date)")
                        #expect(assessment.maxGrade >= grade && (0...4).contains(grade))
                    } else {
                        #expect(!course.isComplete(at: date), "\(name) at \(date)")
                    }
                }
                #expect(timeline.iecHsCourse.grade(at: date) == result.iecHs.grade, "IEC-HS at \(date)")
                #expect(result.iecHs.maxGrade >= result.iecHs.grade)
                if (result.crs.grade ?? 0) > 0 { #expect(result.crs.episode?.isOpen == true) }
            }
        }
    }
}

/// Random 72-hour courses mixing every event kind.
enum RandomCourse {
    typealias Spec = (kind: Int, minute: Int, a: Int, b: Int)

    static let generator = zip(Gen.int(in: 0...11), Gen.int(in: 0...4320), Gen.int(in: 0...100), Gen.int(in: 0...100))
        .map { Spec(kind: $0.0, minute: $0.1, a: $0.2, b: $0.3) }
        .array(of: 1...60)

    static let labs: [LabTest] = [
        .ferritin, .fibrinogen, .alt, .ast, .platelets, .anc, .hemoglobin, .bilirubin, .creatinine, .ldh,
        .triglycerides, .inr,
    ]
    static let doses: [Drug] = [
        .tocilizumab, .acetaminophen, .dexamethasone, .anakinra, .siltuximab, .emapalumab, .ruxolitinib,
        .methylprednisolone, .cryoprecipitate,
    ]
    static let infusions: [Drug] = [
        .norepinephrine, .epinephrine, .vasopressin, .phenylephrine, .dobutamine, .midazolam,
    ]
    static let findings: [ClinicalFinding] = [
        .hemophagocytosis, .dialysis, .coagulopathy, .developmentalDelay, .oliguriaGrade3, .pulmonaryEdemaGrade3,
    ]

    static func events(_ specs: [Spec], distinctInstants: Bool) -> [ClinicalEvent] {
        var course = CourseBuilder()
        let age = Double((specs.first?.a ?? 30) % 25)
        course.patient(at: -2, id: "adm", ageYears: age, weightKg: 30, infusedAtHours: specs.count % 3 == 0 ? 1 : -1)
        var usedMinutes = Set<Int>()
        for (n, spec) in specs.enumerated() {
            if distinctInstants, !usedMinutes.insert(spec.minute).inserted { continue }
            let h = Double(spec.minute) / 60
            let id = "r\(n)"
            switch spec.kind {
            case 0, 1, 2:
                course.vitals(
                    at: h, id: id, temp: spec.a % 9 == 0 ? nil : 36 + Double(spec.a) * 0.05,
                    sbp: spec.b % 11 == 0 ? nil : 45 + Double(spec.b),
                    map: spec.b % 4 == 0 ? 40 + Double(spec.a) * 0.5 : nil,
                    oxygen: spec.a % 13 == 0 ? nil : oxygenLadder[(spec.a + spec.b) % oxygenLadder.count])
            case 3:
                let usesICE = spec.b % 2 == 0
                course.neuro(
                    at: h, id: id, ice: usesICE ? spec.a % 11 : nil, capd: usesICE ? nil : spec.a % 33,
                    consciousness: Consciousness.allCases[spec.b % 5],
                    seizure: spec.a > 90 ? ICANSDomains.seizures[spec.b % 3] : Seizure.none,
                    motor: spec.a > 95 ? .deepFocal : MotorWeakness.none,
                    edema: ICANSDomains.edema[spec.a > 85 ? spec.b % 3 : 0], icpSigns: spec.b > 97 ? [.posturing] : [])
            case 4, 5:
                let test = labs[spec.a % labs.count]
                let scale: Double =
                    switch test {
                    case .ferritin: 600
                    case .alt, .ast, .ldh: 8
                    case .platelets: 3
                    case .triglycerides: 6
                    default: 0.05
                    }
                course.lab(at: h, id: id, test, Double(spec.b) * scale, uln: spec.a % 2 == 0 ? nil : 300)
            case 6:
                course.med(at: h, id: id, doses[spec.a % doses.count], doseMg: Double(spec.b))
            case 7, 8:
                course.med(
                    at: h, id: id, infusions[spec.a % infusions.count],
                    spec.b % 3 == 0 ? .infusionStopped : .infusionStarted)
            case 9:
                course.finding(at: h, id: id, findings[spec.a % findings.count], present: spec.b % 4 != 0)
            case 10:
                course.patient(at: h, id: id, weightKg: Double(spec.b), infusedAtHours: nil)
            default:
                course.neuro(at: h, id: id, consciousness: .unarousable, sedated: spec.b % 2 == 0)
            }
        }
        return course.events
    }
}
