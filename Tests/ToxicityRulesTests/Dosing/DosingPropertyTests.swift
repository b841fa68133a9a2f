import PropertyBased
import Testing
import ToxTestSupport

@testable import ToxicityRules

/// A randomly shaped protocol: any basis, amount range, caps, rounding and escalation rule.
struct RandomProtocolSpec: Sendable, CustomStringConvertible {
    var basis: DoseBasis
    var lowThousandths: Int
    var extraThousandths: Int
    var perDoseCap: Int?
    var dailyCap: Int?
    var ceilingThousandths: Int?
    var wholeSyringe: Bool
    var escalation: EscalationRule
    var taperSteps: [TaperDoseStep]

    var description: String {
        "\(basis.rawValue) \(lowThousandths)+\(extraThousandths)/1000 caps \(perDoseCap.map(String.init) ?? "-")/\(dailyCap.map(String.init) ?? "-")/\(ceilingThousandths.map(String.init) ?? "-") wholeSyringe \(wholeSyringe) \(escalation.rawValue) taper \(taperSteps.count)"
    }

    func make() throws -> AnakinraProtocol {
        var p = try ProtocolFixture.perDoseCapped()
        // Fixed-mg amounts are scaled up so that they look like doses (1–1000 mg).
        let scale: Int64 = basis.isWeightBased ? 1 : 50
        let low = ExactAmount(thousandths: Int64(lowThousandths) * scale)
        let high = low + ExactAmount(thousandths: Int64(extraThousandths) * scale)
        p.dose = ProtocolDose(basis: basis, amount: DoseAmount(low: low, severe: low, high: high), status: .verified)
        p.frequency.allowed = DoseFrequency.standard
        p.caps = ProtocolCaps(
            perDoseMg: perDoseCap,
            dailyMg: dailyCap.map { max($0, perDoseCap ?? 0) },
            mgPerKgPerDay: ceilingThousandths.map { ExactAmount(thousandths: Int64($0)) },
            status: .verified
        )
        p.rounding.rule = wholeSyringe ? .wholeSyringe : .nearestMg
        p.rounding.syringeMg = 100
        p.rounding.tolerancePercent = 10
        p.escalation.rule = escalation == .toPerDoseCap && perDoseCap == nil ? .none : escalation
        if !taperSteps.isEmpty {
            p.taper.method = .doseSteps
            p.taper.intervals = []
            p.taper.steps = taperSteps
        }
        return p
    }

    static let generator = zip(
        Gen<DoseBasis>.case,
        Gen.int(in: 100...20_000),
        Gen.int(in: 0...10_000),
        Gen.int(in: 10...500).optional,
        Gen.int(in: 40...2000).optional,
        Gen.int(in: 1000...40_000).optional,
        Gen.bool,
        Gen<EscalationRule>.case,
        zip(Gen<DoseBasis>.case, Gen.int(in: 100...20_000), Gen.element(of: DoseFrequency.standard)).array(of: 0...3)
    )
    .map { basis, low, extra, perDose, daily, ceiling, whole, escalation, steps in
        RandomProtocolSpec(
            basis: basis,
            lowThousandths: low,
            extraThousandths: extra,
            perDoseCap: perDose,
            dailyCap: daily,
            ceilingThousandths: ceiling,
            wholeSyringe: whole,
            escalation: escalation,
            taperSteps: steps.map { stepBasis, amount, frequency in
                TaperDoseStep(
                    basis: stepBasis,
                    amount: ExactAmount(thousandths: Int64(amount) * (stepBasis.isWeightBased ? 1 : 20)),
                    frequency: frequency ?? .q12h,
                    hours: nil
                )
            }
        )
    }
}

/// Invariants every dose must satisfy, whatever the protocol: shared with ProtocolCatalogTests'
/// shipped-protocol properties through the same checks.
enum DoseInvariants {
    /// No dose exceeds a hard cap; the daily total is the dose × doses per day; rounding stays
    /// within half a mg unless a cap or the whole-syringe rule moved it; the common-cap warning
    /// appears exactly when it should.
    static func check(
        _ p: AnakinraProtocol,
        _ calculation: DoseCalculation,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let weight = calculation.weightKg
        if let mg = calculation.mg, let frequency = calculation.frequency {
            checkDose(p, mg: mg, frequency: frequency, weight: weight, sourceLocation: sourceLocation)
            #expect(calculation.dailyMg == mg * frequency.dosesPer24Hours, sourceLocation: sourceLocation)
            let expectedWarnings =
                (p.caps.perDoseMg == nil && mg > 100 ? 1 : 0)
                + (p.caps.dailyMg == nil && mg * frequency.dosesPer24Hours > 400 ? 1 : 0)
            #expect(
                calculation.flags.filter { $0.code == .aboveCommonCap }.count == expectedWarnings,
                sourceLocation: sourceLocation
            )
            // Rounding: within half a mg of the capped amount unless a cap or syringe rounding moved it.
            let regimen = p.regimen(id: calculation.regimenId)
            if let regimen, calculation.capsApplied.isEmpty, !calculation.has(.roundedDownToCap),
                !calculation.has(.roundedToWholeSyringe)
            {
                var raw = regimen.dose.basis.isWeightBased ? calculation.amount * weight : calculation.amount
                if regimen.dose.basis.isPerDay { raw = raw / frequency.dosesPer24Hours }
                let distance = ExactAmount.max(ExactAmount(mg) - raw, raw - ExactAmount(mg))
                #expect(distance <= ExactAmount(1, over: 2), "raw \(raw) → \(mg)", sourceLocation: sourceLocation)
            }
            if calculation.has(.roundedToWholeSyringe) {
                #expect(mg % 100 == 0, sourceLocation: sourceLocation)
            }
        } else {
            #expect(calculation.mg == nil && calculation.frequency == nil, sourceLocation: sourceLocation)
            #expect(calculation.has(.frequencyRequired), sourceLocation: sourceLocation)
            if let daily = calculation.dailyMg {
                if let cap = p.caps.dailyMg { #expect(daily <= cap, sourceLocation: sourceLocation) }
                if let ceiling = p.caps.mgPerKgPerDay {
                    #expect(ExactAmount(daily) <= ceiling * weight, sourceLocation: sourceLocation)
                }
            }
        }
        for option in calculation.options {
            checkDose(p, mg: option.mg, frequency: option.frequency, weight: weight, sourceLocation: sourceLocation)
            #expect(option.dailyMg == option.mg * option.frequency.dosesPer24Hours, sourceLocation: sourceLocation)
        }
    }

    /// A dose at a frequency is within every hard cap of the protocol.
    static func checkDose(
        _ p: AnakinraProtocol,
        mg: Int,
        frequency: DoseFrequency,
        weight: ExactAmount?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let daily = mg * frequency.dosesPer24Hours
        #expect(mg >= 1, sourceLocation: sourceLocation)
        if let cap = p.caps.perDoseMg {
            #expect(mg <= cap, "\(mg) mg > \(cap) mg/dose", sourceLocation: sourceLocation)
        }
        if let cap = p.caps.dailyMg {
            #expect(daily <= cap, "\(daily) mg/day > \(cap) mg/day", sourceLocation: sourceLocation)
        }
        if let ceiling = p.caps.mgPerKgPerDay, let weight {
            #expect(
                ExactAmount(daily) <= ceiling * weight,
                "\(daily) mg/day > \(ceiling) mg/kg/day × \(weight) kg",
                sourceLocation: sourceLocation
            )
        }
    }

    /// Each taper step lowers (never raises) the dose and strictly lowers the daily total,
    /// stays within the caps, and the schedule ends with stop.
    static func checkTaper(
        _ p: AnakinraProtocol,
        from current: CurrentDose,
        weight: ExactAmount?,
        steps: [TaperStep],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(steps.last?.isStop == true, sourceLocation: sourceLocation)
        #expect(steps.dropLast().allSatisfy { !$0.isStop }, sourceLocation: sourceLocation)
        var previousMg = current.mg ?? 0
        var previousDaily = current.dailyMg
        for step in steps.dropLast() {
            guard let mg = step.mg, let frequency = step.frequency else { continue }
            #expect(mg <= previousMg, "taper raised \(previousMg) → \(mg) mg", sourceLocation: sourceLocation)
            #expect(
                step.dailyMg < previousDaily,
                "taper did not lower \(previousDaily) → \(step.dailyMg) mg/day",
                sourceLocation: sourceLocation
            )
            #expect(step.dailyMg == mg * frequency.dosesPer24Hours, sourceLocation: sourceLocation)
            checkDose(p, mg: mg, frequency: frequency, weight: weight, sourceLocation: sourceLocation)
            previousMg = mg
            previousDaily = step.dailyMg
        }
    }
}

@Suite struct DosingPropertyTests {
    static let levels: [DoseLevel] = [
        .lessIll, .severe, .ceiling, .prescribed(ExactAmount(thousandths: 2500)), .prescribed(ExactAmount(30)),
    ]

    @Test func noDoseEverExceedsAHardCapAndRoundingNeverCrossesOne() async {
        await propertyCheck(
            count: 1500,
            input: RandomProtocolSpec.generator,
            Gen.double(in: 0.3...350),
            Gen.element(of: DoseFrequency.standard + [.q48h]).optional,
            Gen.element(of: Self.levels)
        ) { spec, weight, frequency, level in
            let p = try spec.make()
            let request = DoseRequest(
                weightKg: weight,
                level: level ?? .lessIll,
                frequency: frequency ?? nil,
                renalOverride: true
            )
            switch AnakinraDosing.calculate(p, request) {
            case .dose(let calculation): DoseInvariants.check(p, calculation)
            case .noDose(let flags): #expect(flags.last?.code == .doseBelowOneMg, "\(spec)")
            }
        }
    }

    @Test func implausibleWeightsNeverGetADose() async {
        await propertyCheck(count: 300, input: Gen.double(in: -1000...1000), RandomProtocolSpec.generator) {
            weight,
            spec in
            let p = try spec.make()
            let outcome = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight))
            if !(0.3...350).contains(weight) {
                #expect(outcome.calculation == nil)
                #expect(outcome.flags.map(\.code) == [.weightRequired])
            }
        }
    }

    @Test func noTaperStepIncreasesTheDoseOrTheDailyTotal() async {
        await propertyCheck(
            count: 1500,
            input: RandomProtocolSpec.generator,
            Gen.double(in: 0.3...350),
            Gen.int(in: 1...600),
            Gen.element(of: DoseFrequency.standard + [.q48h])
        ) { spec, weight, mg, frequency in
            let p = try spec.make()
            let current = CurrentDose(mg: mg, frequency: frequency ?? .q6h, route: .iv)
            guard let steps = AnakinraDosing.taperSchedule(p, from: current, weightKg: weight).steps else {
                Issue.record("no taper schedule for \(spec)")
                return
            }
            DoseInvariants.checkTaper(p, from: current, weight: AnakinraDosing.validatedWeight(weight), steps: steps)
        }
    }

    @Test func escalationRaisesTheDailyDoseWithinEveryCap() async {
        await propertyCheck(
            count: 1000,
            input: RandomProtocolSpec.generator,
            Gen.double(in: 0.3...350),
            Gen.element(of: DoseFrequency.standard)
        ) { spec, weight, frequency in
            let p = try spec.make()
            guard
                let start = AnakinraDosing.calculate(p, DoseRequest(weightKg: weight, frequency: frequency))
                    .calculation,
                let current = CurrentDose(start)
            else { return }
            switch AnakinraDosing.escalate(p, from: current, weightKg: weight) {
            case .escalated(let calculation):
                DoseInvariants.check(p, calculation)
                #expect((calculation.dailyMg ?? 0) > current.dailyMg)
                #expect(calculation.has(.escalated))
            case .atCeiling(let flag):
                #expect(flag.code == .atProtocolCeiling)
            case .noDose(let flags):
                #expect(flags.last?.code == .doseBelowOneMg)
            }
        }
    }
}
