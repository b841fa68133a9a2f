import Foundation
import PropertyBased
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

extension SplitMix64 {
    /// The property tests' seeding: an `Int` seed, offset so that seed 0 does not start at state 0.
    init(_ seed: Int) { self.init(state: UInt64(bitPattern: Int64(seed)) &+ 0x9E37_79B9_7F4A_7C15) }
}

/// Property tests of the recommendation rules over random weights, ages, protocols and courses:
/// no recommendation exceeds a cap, none gives a dose to a patient with a contraindication, and a
/// taper never raises the dose.
@Suite struct RecommendationPropertyTests {
    static let ids = (try? Shipped.catalog.get().ids) ?? []

    struct RandomCourse {
        var course: CourseBuilder
        var at: Double
        var allergic: Bool
        var tnfAt: Double?
    }

    /// A random 72-hour course: vitals, neuro, labs, tocilizumab, corticosteroids, vasopressors,
    /// anakinra at random doses and intervals, sometimes a TNF blocker or an E. coli allergy, a
    /// missing or implausible weight.
    static func randomCourse(seed: Int) -> RandomCourse {
        var rng = SplitMix64(seed)
        var c = CourseBuilder(.recommendationTests)
        let age =
            [0.5, 3, 8, 11.9, 12, 16, 25, 70][Int.random(in: 0..<8, using: &rng)]
            + Double.random(in: 0..<0.9, using: &rng)
        let weightRoll = Int.random(in: 0..<20, using: &rng)
        let weight: Double? =
            weightRoll == 0 ? nil : weightRoll == 1 ? 700 : Double.random(in: 0.3...150, using: &rng).rounded() + 0.5
        let allergic = Int.random(in: 0..<8, using: &rng) == 0
        c.patient(
            ageYears: age,
            weightKg: weight,
            heightCm: Bool.random(using: &rng) ? 60 + age * 6 : nil,
            target: Bool.random(using: &rng) ? "CD19" : "CD22",
            allergies: allergic ? ["e-coli-derived-protein"] : [],
            site: Bool.random(using: &rng) ? "s1" : nil
        )
        var h = 0.0
        while h < 72 {
            let devices: [OxygenSupport] = [
                .roomAir, .nasalCannula(Double.random(in: 1...10, using: &rng).rounded()),
                OxygenSupport(device: .nonRebreather, flowLPerMin: 12), OxygenSupport(device: .bipap),
            ]
            c.vitals(
                at: h,
                temp: Double.random(in: 36.5...40.2, using: &rng).rounded(toPlaces: 1),
                sbp: Double.random(in: 55...140, using: &rng).rounded(),
                oxygen: devices[Int.random(in: 0..<devices.count, using: &rng)]
            )
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let ice = Int.random(in: 0...10, using: &rng)
                c.neuro(at: h, ice: age >= 12 ? ice : nil, capd: age < 12 ? ice * 2 : nil)
            }
            h += Double.random(in: 2...5, using: &rng)
        }
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            c.med(at: Double.random(in: 0...70, using: &rng), .tocilizumab, doseMg: 200)
        }
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            c.med(at: Double.random(in: 0...70, using: &rng), .dexamethasone, doseMg: 10)
        }
        if Bool.random(using: &rng) {
            c.med(at: Double.random(in: 0...40, using: &rng), .norepinephrine, .infusionStarted)
            if Bool.random(using: &rng) {
                c.med(at: Double.random(in: 40...70, using: &rng), .norepinephrine, .infusionStopped)
            }
        }
        for test in [LabTest.platelets, .fibrinogen, .ferritin, .alt, .anc, .creatinine] where Bool.random(using: &rng)
        {
            let value: Double =
                switch test {
                case .platelets: Double.random(in: 5...300, using: &rng)
                case .fibrinogen: Double.random(in: 60...400, using: &rng)
                case .ferritin: Double.random(in: 100...60000, using: &rng)
                case .alt: Double.random(in: 10...600, using: &rng)
                case .anc: Double.random(in: 0.1...8, using: &rng)
                default: Double.random(in: 0.2...5, using: &rng)
                }
            c.lab(
                at: Double.random(in: 0...70, using: &rng),
                test,
                value.rounded(toPlaces: 2),
                uln: test == .alt ? 40 : test == .ferritin ? 300 : nil
            )
        }
        if Bool.random(using: &rng) {
            let every = [4.0, 6, 8, 12, 24][Int.random(in: 0..<5, using: &rng)]
            c.anakinra(
                from: Double.random(in: 0...40, using: &rng),
                through: 72,
                every: every,
                mg: Double(Int.random(in: 5...250, using: &rng)),
                route: Bool.random(using: &rng) ? .iv : .sc
            )
        }
        var tnfAt: Double?
        if Int.random(in: 0..<8, using: &rng) == 0 {
            let at = Double.random(in: -200...60, using: &rng)
            c.med(at: at, .etanercept, doseMg: 25, route: .sc)
            tnfAt = at
        }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            c.stock(at: -1, site: "s1", Bool.random(using: &rng) ? .anakinra : .tocilizumab, .shortage)
        }
        return RandomCourse(course: c, at: Double.random(in: 0...80, using: &rng), allergic: allergic, tnfAt: tnfAt)
    }

    @Test func noRecommendationExceedsACapOrDosesAContraindicatedPatient() async throws {
        let catalog = try Shipped.catalog.get()
        await propertyCheck(count: 600, input: Gen.int(in: 0...1_000_000), Gen.element(of: Self.ids)) { seed, id in
            let p = try #require(catalog[id ?? ""])
            let random = Self.randomCourse(seed: seed)
            // `assess` checks every cap, the route and the dose/action consistency (RecommendationInvariants).
            let a = try random.course.assess(at: random.at, nil, anakinraProtocol: p)
            let body = try #require(a.recommendation?.body, "seed \(seed)")
            if random.allergic {
                #expect(!body.action.dosesAnakinra && body.dose == nil, "seed \(seed) \(id ?? "")")
                for shortage in a.alternatives {
                    #expect(shortage.option("anakinra") == nil, "seed \(seed)")
                }
            }
            if let tnf = random.tnfAt, tnf <= random.at, random.at - tnf <= 14 * 24 {
                #expect(!body.action.dosesAnakinra, "seed \(seed) \(id ?? "")")
            }
            for shortage in a.alternatives {
                for option in shortage.alternatives where option.drug == "anakinra" {
                    if let mg = option.dose?.mg, let cap = p.caps.perDoseMg { #expect(Int(mg) <= cap, "seed \(seed)") }
                    if let daily = option.dose?.dailyMg, let cap = p.caps.dailyMg {
                        #expect(Int(daily) <= cap, "seed \(seed)")
                    }
                }
            }
            if let next = a.nextDecisionAt { #expect(next > CourseBuilder.at(random.at), "seed \(seed)") }
            #expect(body.rationale.isEmpty == false)
        }
    }

    /// A quiet course on anakinra at the protocol's dose, then the worker loop: every 4 h the engine
    /// is asked, its recommendation recorded and followed. Once the taper begins, no step raises
    /// the dose or the daily total, and every step is within the caps.
    @Test func aTaperNeverRaisesTheDose() async throws {
        let catalog = try Shipped.catalog.get()
        let tapering = Self.ids.filter { catalog[$0]?.taper.trigger.kind != .notStated }
        #expect(Set(tapering) == ["childrens-national", "seattle-childrens", "st-jude", "musc", "oliai"])
        await propertyCheck(count: 120, input: Gen.element(of: tapering), Gen.double(in: 3...120)) { id, weight in
            let p = try #require(catalog[id ?? ""])
            guard let start = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, level: .lessIll)).calculation,
                let full = CurrentDose(start), let fullMg = full.mg, let fullFrequency = full.frequency
            else { return }
            var c = CourseBuilder(.recommendationTests)
            c.patient(ageYears: 14, weightKg: weight)
            c.vitals(from: -48, through: 400, every: 4, temp: 37.0, sbp: 110)
            c.neuro(from: -48, through: 400, ice: 10)
            let interval = Double(fullFrequency.intervalHours)
            c.anakinra(from: -48, through: 0, every: interval, mg: Double(fullMg), route: full.route)
            var lastDose = floor(48 / interval) * interval - 48
            var doses: [(RecommendationAction, Int)] = []
            var h = 0.5
            while h < 300 {
                let a = try c.assess(at: h, nil, anakinraProtocol: p)
                c.record(a, at: h)
                let body = try #require(a.recommendation?.body)
                if body.action == .taper || body.action == .stop || !doses.isEmpty {
                    doses.append((body.action, body.dose?.dailyMg ?? 0))
                }
                if body.action == .stop { break }
                if let dose = body.dose, let mg = dose.mg, let frequency = dose.frequency {
                    var next = lastDose + Double(frequency.intervalHours)
                    while next <= h + 4 {
                        c.med(at: next, .anakinra, doseMg: Double(mg), route: dose.route)
                        lastDose = next
                        next += Double(frequency.intervalHours)
                    }
                }
                h += 4
            }
            #expect(!doses.isEmpty, "\(id ?? "") \(weight) kg never tapered")
            #expect(doses.last?.0 == .stop, "\(id ?? "") \(weight) kg: \(doses)")
            let dailies = doses.map(\.1)
            #expect(zip(dailies, dailies.dropFirst()).allSatisfy { $0 >= $1 }, "\(id ?? "") \(weight) kg: \(dailies)")
            #expect(dailies.allSatisfy { $0 <= full.dailyMg }, "\(id ?? "") \(weight) kg: \(dailies)")
            #expect(doses.allSatisfy { $0.0 == .taper || $0.0 == .stop }, "\(id ?? "") \(weight) kg: \(doses)")
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
