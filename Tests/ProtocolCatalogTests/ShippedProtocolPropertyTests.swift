import PropertyBased
import Testing

@testable import ProtocolCatalog
@testable import ToxicityRules

/// Property tests over the shipped protocols: random weights (0.3–350 kg), frequencies
/// (including a renal Q48H override) and dose levels.
@Suite struct ShippedProtocolPropertyTests {
    static let ids = (try? Shipped.catalog.get().ids) ?? []
    static let levels: [DoseLevel] = [.lessIll, .severe, .ceiling]

    @Test func shippedCatalogLoadsForTheProperties() {
        #expect(Self.ids.count == 14)
    }

    @Test func noShippedDoseExceedsAHardCap() async throws {
        let catalog = try Shipped.catalog.get()
        await propertyCheck(
            count: 3000,
            input: Gen.element(of: Self.ids),
            Gen.double(in: 0.3...350),
            Gen.element(of: DoseFrequency.allCases).optional,
            Gen.element(of: Self.levels)
        ) { id, weight, frequency, level in
            let p = try #require(catalog[id ?? ""])
            let request = DoseRequest(
                weightKg: weight,
                level: level ?? .lessIll,
                frequency: frequency ?? nil,
                renalOverride: true
            )
            let outcome = AnakinraDosing.calculate(p, request)
            guard let calculation = outcome.calculation else {
                // Only a dose below 1 mg (CHOP 2 mg/kg/day at a few hundred grams) is refused.
                #expect(outcome.flags.last?.code == .doseBelowOneMg, "\(id ?? "") \(weight) kg: \(outcome.flags)")
                return
            }
            DoseInvariantsForShipped.check(p, calculation)
            if let mg = calculation.mg, let frequency = calculation.frequency {
                #expect(calculation.dailyMg == mg * frequency.dosesPer24Hours)
                let daily = mg * frequency.dosesPer24Hours
                let warnings =
                    (p.caps.perDoseMg == nil && mg > 100 ? 1 : 0) + (p.caps.dailyMg == nil && daily > 400 ? 1 : 0)
                #expect(calculation.flags.filter { $0.code == .aboveCommonCap }.count == warnings)
                #expect(calculation.has(.lowVolumeMeasurement) == (calculation.weightKg < 10))
            } else {
                #expect(p.frequency.default == nil && calculation.has(.frequencyRequired))
            }
        }
    }

    @Test func noShippedTaperStepRaisesTheDoseOrTheDailyTotal() async throws {
        let catalog = try Shipped.catalog.get()
        await propertyCheck(
            count: 2000,
            input: Gen.element(of: Self.ids),
            Gen.double(in: 0.3...350),
            Gen.int(in: 1...600),
            Gen.element(of: DoseFrequency.allCases)
        ) { id, weight, mg, frequency in
            let p = try #require(catalog[id ?? ""])
            let current = CurrentDose(mg: mg, frequency: frequency ?? .q6h, route: p.routes.preferred)
            let regimenIds: [String?] = [nil] + p.alternativeRegimens.map(\.id)
            for regimenId in regimenIds {
                let steps = try #require(
                    AnakinraDosing.taperSchedule(p, from: current, weightKg: weight, regimenId: regimenId).steps
                )
                #expect(steps.last?.isStop == true)
                var previous = (mg: mg, daily: current.dailyMg)
                for step in steps.dropLast() {
                    let stepMg = try #require(step.mg)
                    let stepFrequency = try #require(step.frequency)
                    #expect(stepMg <= previous.mg, "\(id ?? "") taper raised \(previous.mg) → \(stepMg) mg")
                    #expect(step.dailyMg < previous.daily, "\(id ?? "") taper did not lower \(previous.daily) mg/day")
                    if let cap = p.caps.perDoseMg { #expect(stepMg <= cap) }
                    if let cap = p.caps.dailyMg { #expect(stepMg * stepFrequency.dosesPer24Hours <= cap) }
                    previous = (stepMg, step.dailyMg)
                }
            }
        }
    }

    @Test func shippedEscalationStaysWithinCaps() async throws {
        let catalog = try Shipped.catalog.get()
        await propertyCheck(
            count: 2000,
            input: Gen.element(of: Self.ids),
            Gen.double(in: 0.3...350),
            Gen.element(of: DoseFrequency.standard)
        ) {
            id,
            weight,
            frequency in
            let p = try #require(catalog[id ?? ""])
            guard
                let start = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, frequency: frequency))
                    .calculation,
                let current = CurrentDose(start)
            else { return }
            if case .escalated(let next) = AnakinraDosing.escalate(p, from: current, weightKg: weight) {
                DoseInvariantsForShipped.check(p, next)
                #expect((next.dailyMg ?? 0) > current.dailyMg)
            }
        }
    }

    /// The assessment decides with `explain: false` (no text); the explanation recomputes with
    /// `explain: true`. Both must give the same numbers and outcomes.
    @Test func arithmeticWithoutTextGivesTheSameNumbers() async throws {
        let catalog = try Shipped.catalog.get()
        await propertyCheck(
            count: 2000,
            input: Gen.element(of: Self.ids),
            Gen.double(in: 0.3...350),
            Gen.element(of: DoseFrequency.standard).optional,
            Gen.element(of: Self.levels),
            Gen.int(in: 1...400)
        ) { id, weight, frequency, level, currentMg in
            let p = try #require(catalog[id ?? ""])
            let request = DoseRequest(weightKg: weight, level: level ?? .lessIll, frequency: frequency ?? nil)
            let explained = AnakinraDosing.calculate(p, request)
            let bare = AnakinraDosing.calculate(p, request, explain: false)
            #expect(explained.calculation?.mg == bare.calculation?.mg)
            #expect(explained.calculation?.dailyMg == bare.calculation?.dailyMg)
            #expect(explained.calculation?.frequency == bare.calculation?.frequency)
            #expect(explained.calculation?.options.map(\.mg) == bare.calculation?.options.map(\.mg))
            #expect((explained.calculation == nil) == (bare.calculation == nil))

            let current = CurrentDose(
                mg: currentMg,
                frequency: (frequency ?? nil) ?? p.frequency.default ?? .q6h,
                route: .iv
            )
            switch (
                AnakinraDosing.escalate(p, from: current, weightKg: weight),
                AnakinraDosing.escalate(p, from: current, weightKg: weight, explain: false)
            ) {
            case (.escalated(let a), .escalated(let b)):
                #expect(a.mg == b.mg && a.dailyMg == b.dailyMg && a.frequency == b.frequency)
            case (.atCeiling, .atCeiling), (.noDose, .noDose):
                break
            default:
                Issue.record("escalation outcomes differ for \(id ?? "") \(weight) kg from \(currentMg) mg")
            }
            let full = AnakinraDosing.taperSchedule(p, from: current, weightKg: weight).steps
            let quick = AnakinraDosing.taperSchedule(p, from: current, weightKg: weight, explain: false).steps
            #expect(full?.map(\.mg) == quick?.map(\.mg))
            #expect(full?.map(\.frequency) == quick?.map(\.frequency))
            #expect(full?.map(\.dailyMg) == quick?.map(\.dailyMg))
            #expect(full?.map(\.hours) == quick?.map(\.hours))
        }
    }
}
