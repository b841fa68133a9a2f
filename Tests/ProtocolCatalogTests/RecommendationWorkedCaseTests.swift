import Foundation
import Testing
import ToxTestSupport

@testable import ProtocolCatalog
@testable import ToxicityRules

/// clinical-spec Part B §12 and Part A §A12 worked cases that involve a recommendation, through
/// `ToxicityEngine.assess` with the shipped protocol files. Hour 0 is day +4 after the infusion
/// unless a case says otherwise.
@Suite struct RecommendationWorkedCaseTests {
    // MARK: Courses shared by several cases

    /// CRS 3 from hour 0 (fever, one vasopressor, 4 L/min), tocilizumab at 1, dexamethasone at 10:
    /// refractory once the grade has not fallen 24 h after the corticosteroid (TC01 shape).
    static func refractoryCRS3(ageYears: Double = 16, weightKg: Double? = 70, through end: Double = 36)
        -> CourseBuilder
    {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: ageYears, weightKg: weightKg)
        c.vitals(at: 0, temp: 39.2, sbp: 95, oxygen: .nasalCannula(4))
        c.med(at: 1, .tocilizumab, doseMg: 560)
        c.med(at: 10, .dexamethasone, doseMg: 10)
        c.med(at: 12, .norepinephrine, .infusionStarted)
        c.vitals(from: 12, through: end, temp: 39.0, sbp: 85, oxygen: .nasalCannula(4))
        c.neuro(from: 0, through: end, ice: 10)
        return c
    }

    // MARK: TC01–TC04

    @Test func tc01CNH70kgRefractoryCRS3StartsAtThePerDoseCap() throws {
        let a = try Self.refractoryCRS3().assess(at: 36, "childrens-national")
        #expect(a.grades.crs.grade == 3 && a.grades.icans.grade == 0)
        #expect(a.action == .start)
        let dose = try #require(a.dose)
        #expect(dose.mg == 100 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 400)
        #expect(a.body?.caps.map(\.code.rawValue) == ["per-dose-cap"])
        #expect(a.decisiveReason == .refractoryGradeRose || a.decisiveReason == .refractoryNotFallen)
        #expect(a.body?.evidence.contains { $0.source == "seed Table 1 row CNH" && $0.about == "dose" } == true)
        #expect(a.body?.rationale.contains("per-dose cap 100 mg: 140 mg → 100 mg") == true)
        // It cites the patient (its weight), tocilizumab, dexamethasone and the norepinephrine start.
        #expect(a.recommendation?.body.inputEventIds == ["e1", "e3", "e4", "e5"])
    }

    @Test func tc01TheDecisionCarriesTheDoseCappedAtExactly100Mg() throws {
        let a = try Self.refractoryCRS3().assess(at: 36, "childrens-national")
        let decided = a.decision.dose
        #expect(decided.dose?.mg == 100 && decided.dose?.dailyMg == 400 && decided.dose?.frequency == .q6h)
        #expect(decided.caps.map(\.kind) == [.perDoseCap] && decided.caps.first?.afterMg == 100)
        #expect(decided.steps.contains("per-dose cap 100 mg: 140 mg → 100 mg"))
        #expect(decided.dose == a.dose)
    }

    @Test func tc02CNHICANS3RefractoryAfterTocilizumabForThePrecedingCRS() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 14, weightKg: 45)
        c.vitals(at: -72, temp: 39.0, sbp: 110, oxygen: .roomAir)  // CRS from day +1
        c.med(at: -48, .tocilizumab, doseMg: 360)  // day +2
        c.vitals(from: -40, through: 52, temp: 37.0, sbp: 110)
        c.neuro(from: 20, through: 52, ice: 2, consciousness: .awakensToVoice)
        c.med(at: 27, .dexamethasone, doseMg: 10)  // day +5 09:00
        let before = try c.assess(at: 40, "childrens-national")
        #expect(before.grades.icans.grade == 3)
        #expect(before.action == .none && before.decisiveReason == .notYetRefractory)
        let a = try c.assess(at: 52, "childrens-national")  // day +6 10:00
        #expect(a.grades.icans.grade == 3 && a.grades.crs.grade.map { $0 <= 1 } == true)
        #expect(a.action == .start && a.decisiveReason == .refractoryNotFallen)
        let dose = try #require(a.dose)
        #expect(dose.mg == 90 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 360)
        #expect(a.body?.caps.isEmpty == true)
    }

    @Test(arguments: [true, false])
    func tc03SeattleCAPD12StartsWithACorticosteroidGivenOrOrdered(ordered: Bool) throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 8, weightKg: 25)
        c.neuro(at: 0, capd: 12, consciousness: .awakensSpontaneously)
        c.med(at: 1, .dexamethasone, ordered ? .ordered : .administered, doseMg: 10)
        let a = try c.assess(at: 1, "seattle-childrens")
        #expect(a.grades.icans.grade == 3)
        #expect(a.action == .start)
        #expect(a.decisiveReason == (ordered ? .corticosteroidOrdered : .corticosteroidGiven))
        let dose = try #require(a.dose)
        #expect(dose.mg == 50 && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == 200)
    }

    @Test func tc03SeattleWithoutACorticosteroidDoesNotStart() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 8, weightKg: 25)
        c.neuro(at: 0, capd: 12, consciousness: .awakensSpontaneously)
        let a = try c.assess(at: 0, "seattle-childrens")
        #expect(a.action == .none && a.decisiveReason == .corticosteroidNotGiven)
        #expect(a.dose == nil)
    }

    @Test func tc04SeattleICANS2IsBelowTheTrigger() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 6, weightKg: 20)
        c.neuro(at: 0, capd: 6, consciousness: .awakensToVoice)
        c.med(at: 0.5, .dexamethasone, doseMg: 10)
        let a = try c.assess(at: 1, "seattle-childrens")
        #expect(a.grades.icans.grade == 2)
        #expect(a.action == .none && a.decisiveReason == .belowProtocolTrigger)
    }

    // MARK: TC05, TC07

    @Test(arguments: ["childrens-national", "musc", "chop"])
    func tc05VasopressinOnlyCRS3WithoutPriorTherapyIsNotRefractory(id: String) throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 17, weightKg: 60)
        c.med(at: -1, .vasopressin, .infusionStarted)
        c.vitals(at: 0, temp: 38.6, sbp: 84, oxygen: .roomAir)
        let a = try c.assess(at: 0, id)
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .none && a.decisiveReason == .notYetRefractory)
    }

    @Test func tc07MaskedFeverCRS2WithoutACorticosteroidIsNotYetRefractory() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 10, weightKg: 32)
        c.vitals(at: 0, temp: 39.5, sbp: 100, oxygen: .roomAir)
        c.med(at: 2, .tocilizumab, doseMg: 256)
        c.med(at: 6, .acetaminophen, doseMg: 480, route: .po)
        c.vitals(at: 12, temp: 37.2, sbp: 80, oxygen: .nasalCannula(2))
        let a = try c.assess(at: 12, "childrens-national")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == .none && a.decisiveReason == .notYetRefractory)
        #expect(a.body?.rationale.first?.contains("no corticosteroid") == true)
    }

    // MARK: TC09, TC10 (Seattle)

    @Test(
        arguments: [
            // (age, kg, CAPD, consciousness, mg, daily)
            (5.0, 18.0, 10, Consciousness.awakensSpontaneously, 36, 144),
            (4.0, 16.0, nil, Consciousness.unarousable, 32, 128),
        ] as [(Double, Double, Int?, Consciousness, Int, Int)]
    )
    func tc09tc10SeattleSevereICANS(
        age: Double,
        kg: Double,
        capd: Int?,
        consciousness: Consciousness,
        mg: Int,
        daily: Int
    )
        throws
    {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: age, weightKg: kg)
        c.neuro(at: 0, capd: capd, consciousness: consciousness)
        c.med(at: 1, .dexamethasone, doseMg: 9)
        let a = try c.assess(at: 1, "seattle-childrens")
        #expect(a.grades.icans.grade.map { $0 >= 3 } == true)
        #expect(a.action == .start)
        let dose = try #require(a.dose)
        #expect(dose.mg == mg && dose.route == .iv && dose.frequency == .q6h && dose.dailyMg == daily)
        #expect(a.reasonCodes.contains(.ivOffLabel))
    }

    // MARK: TC11, TC12 (CHOP)

    static func chopRefractory(weightKg: Double, ageYears: Double = 11) -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: ageYears, weightKg: weightKg, target: "CD22")
        c.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .nasalCannula(8))
        c.med(at: 1, .tocilizumab, doseMg: 360)
        c.med(at: 9, .tocilizumab, doseMg: 360)
        c.med(at: 10, .methylprednisolone, doseMg: 60)
        c.vitals(from: 4, through: 120, temp: 38.5, sbp: 80, oxygen: .nasalCannula(8))
        c.neuro(from: 0, through: 120, ice: 10)
        return c
    }

    @Test func tc11CHOPStatesNoFrequencyTheDailyDoseAndOptionsAreGiven() throws {
        let a = try Self.chopRefractory(weightKg: 30).assess(at: 36, "chop")
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .start && a.decisiveReason == .refractoryNotFallen)
        let dose = try #require(a.dose)
        #expect(dose.mg == nil && dose.frequency == nil && dose.dailyMg == 60)
        #expect(
            dose.options.map { [$0.frequency.rawValue, "\($0.mg)"] } == [
                ["Q6H", "15"], ["Q12H", "30"], ["Q24H", "60"],
            ]
        )
        #expect(a.alertCodes.contains(.frequencyRequired))
        #expect(dose.route == .iv && a.reasonCodes.contains(.ivSevereCRS))
    }

    @Test func tc12CHOPEscalationDoublesToTheDailyCapThenHolds() throws {
        var c = Self.chopRefractory(weightKg: 50, ageYears: 15)
        c.anakinra(from: 36, through: 60, every: 6, mg: 25)  // 2 mg/kg/day = 100 mg/day, Q6H chosen
        let first = try c.assess(at: 60.5, "chop")
        #expect(first.action == .escalate)
        #expect(first.dose?.mg == 50 && first.dose?.dailyMg == 200 && first.dose?.frequency == .q6h)
        c.record(first, at: 60.5)
        c.anakinra(from: 61, through: 85, every: 6, mg: 50)
        #expect(try c.assess(at: 70, "chop").action == .continue)  // reassessment window running
        let second = try c.assess(at: 85.5, "chop")
        #expect(second.action == .escalate && second.dose?.mg == 100 && second.dose?.dailyMg == 400)
        c.record(second, at: 85.5)
        c.anakinra(from: 86, through: 110, every: 6, mg: 100)
        let held = try c.assess(at: 110.5, "chop")
        #expect(held.action == .continue && held.dose?.mg == 100 && held.dose?.dailyMg == 400)
        #expect(held.alertCodes.contains(.atProtocolCeiling))
    }

    // MARK: TC13, TC14, TC19b, TC28 (NIH)

    /// IEC-HS after CRS improved (TC17 shape): ferritin > 2× ULN and rising, fibrinogen < 150,
    /// ALT > 5× ULN, platelets 80.
    static func iecHs(
        ageYears: Double,
        weightKg: Double,
        target: String,
        platelets: Double = 80,
        fibrinogen: Double = 95,
        lateFever: Bool = true
    ) -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: ageYears, weightKg: weightKg, target: target)
        c.vitals(at: 0, temp: 39.0, sbp: 110, oxygen: .roomAir)
        c.lab(at: 0, .ferritin, 900, uln: 300)
        c.med(at: 2, .tocilizumab, doseMg: 320)
        c.vitals(at: 60, temp: 37.0, sbp: 112, oxygen: .roomAir)
        c.vitals(at: 110, temp: lateFever ? 38.6 : 37.1, sbp: 110, oxygen: .roomAir)
        c.lab(at: 110, .ferritin, 38000, uln: 300)
        c.lab(at: 110, .fibrinogen, fibrinogen)
        c.lab(at: 110, .alt, 320, uln: 40)
        c.lab(at: 110, .platelets, platelets)
        c.neuro(at: 108, ice: 10)
        return c
    }

    @Test(arguments: [
        // (kg, mg Q12H, daily, above-common-cap warnings)
        (40.0, 160, 320, 1),  // TC13
        (60.0, 240, 480, 2),  // TC14
    ])
    func tc13tc14NIHSevereCarHLHIsNotCapped(kg: Double, mg: Int, daily: Int, warnings: Int) throws {
        let a = try Self.iecHs(ageYears: 13, weightKg: kg, target: "CD22").assess(at: 110, "nih-cc")
        #expect(a.grades.iecHs.present)
        #expect(a.action == .start && a.decisiveReason == .firstLine)
        let dose = try #require(a.dose)
        #expect(dose.mg == mg && dose.frequency == .q12h && dose.dailyMg == daily && dose.route == .sc)
        #expect(dose.syringesPerDose == (mg + 99) / 100)  // 160 mg: 2 syringes (TC13); 240 mg: 3
        #expect(a.warningCodes.filter { $0 == "above-common-cap" }.count == warnings)
        #expect(a.body?.caps.isEmpty == true)
    }

    @Test func tc19bNIHIsSCOnlyAndWarnsToConsiderIV() throws {
        let a = try Self.iecHs(ageYears: 13, weightKg: 30, target: "CD22", platelets: 18, fibrinogen: 110)
            .assess(at: 110, "nih-cc")
        #expect(a.action == .start)
        let dose = try #require(a.dose)
        #expect(dose.route == .sc && dose.mg == 120 && dose.dailyMg == 240)
        let warning = try #require(a.body?.warnings.first { $0.code == .considerIVOffProtocol })
        #expect(warning.observed.map(\.field) == [.lab(.platelets), .lab(.fibrinogen)])
    }

    @Test func tc28NIHLateIsolatedCarHLHFirstLine() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 16, weightKg: 30, target: "CD22", infusedAtHours: -336)
        c.events.append(
            .patient(
                PatientEvent(
                    eventId: "base",
                    patientId: "p1",
                    occurredAt: CourseBuilder.at(-336),
                    baselineFerritin: 800
                )
            )
        )
        c.vitals(at: -312, temp: 39.2, sbp: 110, oxygen: .roomAir)  // CRS day +1
        c.vitals(from: -240, through: 0, every: 4, temp: 37.0, sbp: 112)  // resolved from day +4
        c.lab(at: -24, .ferritin, 20000, uln: 300)
        c.lab(at: 0, .ferritin, 48000, uln: 300)
        c.lab(at: 0, .fibrinogen, 90)
        c.lab(at: 0, .alt, 300, uln: 40)
        c.lab(at: 0, .platelets, 60)
        c.neuro(from: -24, through: 0, ice: 10)
        let a = try c.assess(at: 0, "nih-cc")
        #expect(a.grades.crs.grade == 0 && a.grades.iecHs.present)
        #expect(a.action == .start)
        let dose = try #require(a.dose)
        #expect(dose.mg == 120 && dose.frequency == .q12h && dose.route == .sc && dose.dailyMg == 240)
        #expect(a.reasonCodes.contains(.isolatedLateOnset))
        #expect(a.warningCodes.contains(.considerIVOffProtocol))
    }

    // MARK: TC15, TC16 (MUSC)

    static func muscRefractory(weightKg: Double) -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 9, weightKg: weightKg)
        c.vitals(at: 0, temp: 39.0, sbp: 70, oxygen: .nasalCannula(3))  // 9 y: < 88 → hypotension
        c.med(at: 1, .tocilizumab, doseMg: 300)
        c.med(at: 2, .dexamethasone, doseMg: 10)
        c.vitals(from: 4, through: 28, temp: 38.5, sbp: 70, oxygen: .nasalCannula(3))
        c.neuro(from: 0, through: 28, ice: 10)
        return c
    }

    @Test(arguments: [(25.0, 100, 0), (35.0, 140, 1)])
    func tc15tc16MUSCWeightBasedCRS(kg: Double, mg: Int, warnings: Int) throws {
        let a = try Self.muscRefractory(weightKg: kg).assess(at: 27, "musc")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == .start && a.decisiveReason == .refractoryNotFallen)
        let dose = try #require(a.dose)
        #expect(dose.mg == mg && dose.frequency == .q12h && dose.route == .sc && dose.dailyMg == mg * 2)
        #expect(a.warningCodes.filter { $0 == "above-common-cap" }.count == warnings)
    }

    @Test func tc15MUSCTapersTo2MgPerKgAfterImprovingThenStops() throws {
        var c = Self.muscRefractory(weightKg: 25)
        c.anakinra(from: 27, through: 75, every: 12, mg: 100, route: .sc)
        c.vitals(from: 32, through: 200, temp: 37.0, sbp: 100, oxygen: .roomAir)  // improving from 32 h
        c.neuro(from: 32, through: 200, ice: 10)
        #expect(try c.assess(at: 60, "musc").action == .continue)  // < 48 h of initial dosing
        let taper = try c.assess(at: 76, "musc")
        #expect(taper.action == .taper)
        #expect(taper.dose?.mg == 50 && taper.dose?.frequency == .q12h && taper.dose?.dailyMg == 100)
        c.record(taper, at: 76)
        c.anakinra(from: 87, through: 111, every: 12, mg: 50, route: .sc)
        #expect(try c.assess(at: 112, "musc").action == .taper)
        // §A13.9: the step runs 48 h from its first dose (87 h): four Q12H doses.
        c.med(at: 123, .anakinra, doseMg: 50, route: .sc)
        let stop = try c.assess(at: 124.5, "musc")
        #expect(stop.action == .stop && stop.dose == nil)
    }

    // MARK: TC17–TC19a, A12 (St. Jude)

    @Test func tc17StJude40kgExactSyringe() throws {
        let a = try Self.iecHs(ageYears: 12, weightKg: 40, target: "CD19").assess(at: 110, "st-jude")
        #expect(a.grades.iecHs.present)
        #expect(a.action == .start && a.decisiveReason == .firstLine)
        let dose = try #require(a.dose)
        #expect(dose.mg == 100 && dose.frequency == .q6h && dose.dailyMg == 400)
        #expect(!a.alertCodes.contains(.roundingConfirmationRequired))
        #expect(!a.warningCodes.contains("above-common-cap"))
    }

    @Test(arguments: [
        // (age, kg, mg, rounding reason, rounding alert)
        (6.0, 22.0, 55, false, true),  // TC18
        (13.0, 38.0, 100, true, false),  // A12: 95 mg → 100 mg
    ])
    func tc18A12StJudeRoundingToNearestVial(age: Double, kg: Double, mg: Int, syringe: Bool, confirm: Bool) throws {
        let a = try Self.iecHs(ageYears: age, weightKg: kg, target: "CD19", fibrinogen: 200).assess(at: 110, "st-jude")
        #expect(a.action == .start)
        #expect(a.dose?.mg == mg && a.dose?.frequency == .q6h)
        #expect(a.reasonCodes.contains("rounded-to-whole-syringe") == syringe)
        #expect(a.alertCodes.contains(.roundingConfirmationRequired) == confirm)
        // Under 12 both routes are allowed: IV avoids injection pain (A8).
        #expect(a.dose?.route == (age < 12 ? .iv : .sc))
        #expect(a.reasonCodes.contains(.ivChildInjectionPain) == (age < 12))
    }

    @Test func tc19aStJudeThrombocytopeniaAndCoagulopathyGoIV() throws {
        let a = try Self.iecHs(ageYears: 13, weightKg: 40, target: "CD19", platelets: 18, fibrinogen: 110)
            .assess(at: 110, "st-jude")
        #expect(a.action == .start)
        #expect(a.dose?.mg == 100 && a.dose?.route == .iv && a.dose?.frequency == .q6h)
        #expect(a.reasonCodes.contains(.ivThrombocytopenia) && a.reasonCodes.contains(.ivCoagulopathy))
        #expect(!a.warningCodes.contains(.considerIVOffProtocol))
    }

    // MARK: TC20, TC21, TC23 (safety)

    @Test func tc20A12EtanerceptHoldsButShowsTheComputedDose() throws {
        var c = Self.refractoryCRS3(ageYears: 18, weightKg: 65)
        c.med(at: -48, .etanercept, doseMg: 25, route: .sc)
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .hold && a.decisiveReason == .tnfBlockade)
        let dose = try #require(a.dose)
        #expect(dose.mg == 100 && dose.route == .iv && dose.frequency == .q6h)
        #expect(a.recommendation?.nextDoseDueAt == nil)
        #expect(a.alternatives.first?.cause == "tnf-blockade")
    }

    @Test func tnfBlockerOlderThan14DaysDoesNotHold() throws {
        var c = Self.refractoryCRS3(ageYears: 18, weightKg: 65)
        c.med(at: -15 * 24, .infliximab, doseMg: 300)
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .start)
    }

    @Test func tc21aCockcroftGaultBelow30RaisesTheRenalAlertWithoutChangingTheDose() throws {
        var c = Self.refractoryCRS3(ageYears: 19, weightKg: 68)
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 19,
                sex: .male,
                weightKg: 68,
                infusion: Infusion(product: "axi-cel", target: "CD19", infusedAt: CourseBuilder.at(-96))
            )
        )
        c.lab(at: 30, .creatinine, 4.0)
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .start && a.dose?.mg == 100 && a.dose?.frequency == .q6h)
        #expect(a.alertCodes.contains(.renal))
        #expect(a.body?.rationale.contains { $0.contains("28.6") && $0.contains("every-other-day") } == true)
    }

    @Test func tc21bBedsideSchwartzBelow30() throws {
        var c = Self.refractoryCRS3(ageYears: 9, weightKg: 27)
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 9,
                weightKg: 27,
                heightCm: 130,
                infusion: Infusion(product: "tisa-cel", target: "CD19", infusedAt: CourseBuilder.at(-96))
            )
        )
        c.lab(at: 30, .creatinine, 2.0)
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .start && a.dose?.mg == 54)
        #expect(a.alertCodes.contains(.renal))
        #expect(a.body?.rationale.contains { $0.contains("26.8") } == true)
    }

    @Test func reportedCreatinineClearanceWins() throws {
        var c = Self.refractoryCRS3(ageYears: 19, weightKg: 68)
        c.lab(at: 30, .creatinineClearance, 45)
        c.lab(at: 30, .creatinine, 4.0)
        #expect(try !c.assess(at: 36, "childrens-national").alertCodes.contains(.renal))
    }

    @Test func tc23EColiHypersensitivityHoldsWithoutADoseAndOffersAlternatives() throws {
        var c = Self.refractoryCRS3(ageYears: 16, weightKg: 60)
        c.events[0] = .patient(
            PatientEvent(
                eventId: "adm",
                patientId: "p1",
                occurredAt: CourseBuilder.at(-100),
                ageYears: 16,
                weightKg: 60,
                allergies: ["e-coli-derived-protein"],
                infusion: Infusion(product: "tisa-cel", target: "CD19", infusedAt: CourseBuilder.at(-96))
            )
        )
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .hold && a.decisiveReason == .eColiHypersensitivity)
        #expect(a.dose == nil)
        #expect(a.alertCodes.contains(.anakinraContraindicated))
        let alternatives = try #require(a.alternatives.first)
        #expect(alternatives.cause == "contraindication" && alternatives.shortDrug == "anakinra")
        #expect(alternatives.alternatives.map(\.drug) == ["dexamethasone", "ruxolitinib", "siltuximab"])
        #expect(alternatives.excluded.map(\.drug) == ["emapalumab"])
    }

    /// A later patient event (an ORU weight, a standalone AllergyIntolerance) carries `allergies: []`
    /// for "none reported in this message": it must not clear the hypersensitivity.
    @Test(arguments: ["e-coli-derived-protein", "anakinra", "kineret"])
    func contraindicatingAllergySurvivesALaterEmptyAllergyList(_ code: String) throws {
        var c = Self.refractoryCRS3(ageYears: 16, weightKg: 60)
        c.patient(at: -50, ageYears: 16, weightKg: 60, allergies: [code])
        c.patient(at: 20, ageYears: 16, weightKg: 61, infusedAtHours: nil, allergies: [])
        let a = try c.assess(at: 36, "childrens-national")
        #expect(a.action == .hold && a.decisiveReason == .eColiHypersensitivity)
        #expect(a.dose == nil)
        #expect(a.alertCodes.contains(.anakinraContraindicated))
    }

    // MARK: TC24 (tocilizumab shortage)

    @Test func tc24TocilizumabShortageOffersAnakinraDexamethasoneAndSiltuximab() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 9, weightKg: 28, site: "cnh")
        c.vitals(at: 0, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        c.neuro(at: 0, ice: nil, capd: 0)
        c.stock(at: -1, site: "cnh", .tocilizumab, .unavailable)
        c.stock(at: -1, site: "other", .tocilizumab, .available)
        let a = try c.assess(at: 0, "childrens-national")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == .none)
        let shortage = try #require(a.alternatives.first)
        #expect(shortage.shortDrug == "tocilizumab" && shortage.site == "cnh" && shortage.status == .unavailable)
        #expect(shortage.alternatives.map(\.drug) == ["anakinra", "dexamethasone", "siltuximab"])
        #expect(shortage.alternatives.map(\.rank) == [1, 2, 3])
        let anakinra = try #require(shortage.option("anakinra"))
        #expect(anakinra.dose?.mg == 56 && anakinra.dose?.route == .iv && anakinra.dose?.frequency == .q6h)
        #expect(anakinra.label == "shortage-mode: outside usual line" && anakinra.evidence == "case series")
        #expect(
            shortage.option("dexamethasone")?.dose?.mg == 10
                && shortage.option("dexamethasone")?.dose?.frequency == .q6h
        )
        #expect(shortage.option("dexamethasone")?.status == .unverified)
        #expect(shortage.option("siltuximab")?.dose?.mg == 308)
        #expect(shortage.excluded.map(\.drug) == ["ruxolitinib"])
        #expect(shortage.excluded.first?.reason.code == .ageBelowLabel)
        #expect(shortage.need24h?.mg == 336 && shortage.need24h?.doses == 1)
    }

    @Test func tocilizumabShortageElsewhereOrNotNeededGivesNoAlternatives() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 9, weightKg: 28, site: "cnh")
        c.vitals(at: 0, temp: 39.0, sbp: 100, oxygen: .roomAir)  // CRS 1: tocilizumab not needed now
        c.stock(at: -1, site: "cnh", .tocilizumab, .shortage)
        #expect(try c.assess(at: 0, "childrens-national").alternatives.isEmpty)
        var d = CourseBuilder(.recommendationTests)
        d.patient(ageYears: 9, weightKg: 28, site: "cnh")
        d.vitals(at: 0, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        d.stock(at: -1, site: "elsewhere", .tocilizumab, .unavailable)
        #expect(try d.assess(at: 0, "childrens-national").alternatives.isEmpty)
    }

    @Test func patientWithoutASiteUsesTheWorstStatusOfAnySite() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 30, weightKg: 70)
        c.vitals(at: 0, temp: 39.0, sbp: 120, oxygen: .nasalCannula(3))
        c.stock(at: -1, site: "a", .tocilizumab, .available)
        c.stock(at: -1, site: "b", .tocilizumab, .shortage)
        let shortage = try #require(try c.assess(at: 0, "childrens-national").alternatives.first)
        #expect(shortage.site == "b" && shortage.status == .shortage)
        #expect(shortage.option("ruxolitinib") != nil)  // 30 y: within the label
    }

    // MARK: TC25, TC27, TC29

    @Test func tc25TocilizumabMaximumReachedIsRefractory() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 24, weightKg: 110)
        c.vitals(at: 0, temp: 39.5, sbp: 85, oxygen: .nasalCannula(4))
        c.med(at: 1, .norepinephrine, .infusionStarted)
        for h in [2.0, 10, 18, 26] { c.med(at: h, .tocilizumab, doseMg: 800) }
        c.med(at: 12, .dexamethasone, doseMg: 10)
        c.vitals(from: 4, through: 28, temp: 38.8, sbp: 88, oxygen: .nasalCannula(4))
        c.neuro(from: 0, through: 28, ice: 10)
        let a = try c.assess(at: 27, "childrens-national")
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .start && a.decisiveReason == .refractoryTocilizumabMaximum)
        #expect(a.dose?.mg == 100 && a.dose?.dailyMg == 400)
    }

    @Test func tc27CarHLHDuringCRSDependsOnTheCriteriaSet() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 12, weightKg: 40)
        c.lab(at: -97, .creatinine, 0.4)
        c.vitals(at: -20, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        c.vitals(from: -16, through: 0, temp: 39.0, sbp: 100, oxygen: .nasalCannula(3))
        c.lab(at: 0, .ferritin, 25000, uln: 300)
        c.lab(at: 0, .alt, 250, uln: 40)
        c.lab(at: 0, .creatinine, 1.3)
        c.lab(at: 0, .bilirubin, 1.0, uln: 1.2)
        c.neuro(at: 0, ice: 10)
        // Shipped St. Jude grades with the provisional IEC-HS criteria (timing not met), but its
        // "carHLH/IEC-HS" indication is met by CARTOX carHLH: first line, 10 × 40 / 4 = 100 mg Q6H.
        let shipped = try c.assess(at: 0, "st-jude")
        #expect(shipped.grades.crs.grade == 2)
        #expect(!shipped.grades.iecHs.present)
        #expect(shipped.action == .start && shipped.dose?.mg == 100 && shipped.dose?.frequency == .q6h)
        #expect(shipped.reasonCodes.contains(.iecHsByOtherCriteria))
        var cartox = try Shipped.protocolNamed("st-jude")
        cartox.iecHsCriteria = .cartox2018
        let a = try c.assess(at: 0, nil, anakinraProtocol: cartox)
        #expect(a.grades.iecHs.present)
        #expect(a.action == .start && a.dose?.mg == 100 && a.dose?.frequency == .q6h && a.dose?.dailyMg == 400)
        #expect(!a.reasonCodes.contains(.iecHsByOtherCriteria))
        // Without the second organ criterion neither set is met.
        var d = c
        d.events.removeAll {
            if case .lab(let l) = $0 { return l.test == .creatinine }
            return false
        }
        #expect(try d.assess(at: 0, "st-jude").action == .none)
    }

    @Test func tc29InfantCNHDoseWithLowVolumeAlert() throws {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 10.0 / 12.0, weightKg: 8)
        c.vitals(at: 0, temp: 38.4, sbp: 65, oxygen: OxygenSupport(device: .blowBy))
        c.med(at: 1, .tocilizumab, doseMg: 96)
        c.med(at: 2, .dexamethasone, doseMg: 4)
        c.vitals(from: 4, through: 28, temp: 38.0, sbp: 65, oxygen: OxygenSupport(device: .blowBy))
        c.neuro(from: 0, through: 28, capd: 7, consciousness: .awakensSpontaneously)
        let a = try c.assess(at: 27, "childrens-national")
        #expect(a.grades.crs.grade == 2)
        #expect(a.action == .start)
        #expect(a.dose?.mg == 16 && a.dose?.route == .iv && a.dose?.frequency == .q6h && a.dose?.dailyMg == 64)
        #expect(a.alertCodes.contains(.lowVolumeMeasurement))
    }

    // MARK: TC33 and the A12 CNH taper

    /// CNH, 45 kg, on 90 mg IV Q6H for 5 days; CRS and ICANS settled for the last 48 h; a
    /// corticosteroid until `lastSteroid`.
    static func cnhOnAnakinra(lastSteroid: Double) -> CourseBuilder {
        var c = CourseBuilder(.recommendationTests)
        c.patient(ageYears: 14, weightKg: 45)
        c.vitals(at: -126, temp: 39.5, sbp: 85, oxygen: .nasalCannula(4))
        c.med(at: -125, .tocilizumab, doseMg: 360)
        c.med(at: -124, .dexamethasone, doseMg: 10)
        c.vitals(from: -122, through: -50, temp: 38.6, sbp: 85, oxygen: .nasalCannula(4))
        var h = -112.0
        while h <= lastSteroid {
            c.med(at: h, .dexamethasone, doseMg: 5)
            h += 12
        }
        c.anakinra(from: -120, through: 0, every: 6, mg: 90)
        c.vitals(from: -48, through: 200, temp: 37.0, sbp: 105, oxygen: .roomAir)
        c.neuro(from: -126, through: 200, ice: 10)
        return c
    }

    @Test func tc33LastAgentWeanedContinuesWhileACorticosteroidIsActive() throws {
        let c = Self.cnhOnAnakinra(lastSteroid: 0)
        let a = try c.assess(at: 1, "childrens-national")
        #expect(a.grades.crs.grade.map { $0 <= 1 } == true && a.grades.icans.grade == 0)
        #expect(a.action == .continue && a.decisiveReason == .lastAgentWeaned)
        #expect(a.dose?.mg == 90 && a.dose?.frequency == .q6h)
        #expect(a.recommendation?.nextDoseDueAt == CourseBuilder.at(6))
        // The taper becomes possible 24 h after the last dexamethasone dose.
        #expect(a.nextDecisionAt.map { $0 <= CourseBuilder.at(6) } == true)
    }

    /// A12: Q6H → Q8H → Q12H → Q24H → stop, one step per 24 h timed from the step's first dose
    /// (§A13.9: 3 × Q8H, 2 × Q12H, 1 × Q24H), from the engine's own recommendations (the worker
    /// loop) or, without them, from the recorded administrations.
    @Test(arguments: [true, false])
    func a12CNH45kgTaperSequence(recordRecommendations: Bool) throws {
        var c = Self.cnhOnAnakinra(lastSteroid: -30)
        var seen: [(RecommendationAction, Int?, DoseFrequency?)] = []
        var lastDose = 0.0
        for (at, interval) in [(0.5, 8.0), (30.5, 12), (54.5, 24), (78.5, 0)] {
            let a = try c.assess(at: at, "childrens-national")
            seen.append((a.action, a.dose?.mg, a.dose?.frequency))
            if recordRecommendations { c.record(a, at: at) }
            guard interval > 0 else { break }
            // The pharmacy follows the recommendation until the next step.
            var h = lastDose + interval
            while h < at + 24 {
                c.med(at: h, .anakinra, doseMg: 90)
                lastDose = h
                h += interval
            }
        }
        #expect(seen.map(\.0) == [.taper, .taper, .taper, .stop])
        #expect(seen.map(\.1) == [90, 90, 90, nil])
        #expect(seen.map(\.2) == [.q8h, .q12h, .q24h, nil])
    }

    @Test func a12TaperStepsHoldUntilTheirDayIsOver() throws {
        var c = Self.cnhOnAnakinra(lastSteroid: -30)
        let first = try c.assess(at: 0.5, "childrens-national")
        c.record(first, at: 0.5)
        c.anakinra(from: 8, through: 24, every: 8, mg: 90)
        let sameStep = try c.assess(at: 20, "childrens-national")
        #expect(sameStep.action == .taper && sameStep.dose?.frequency == .q8h)
        #expect(sameStep.recommendation?.nextDoseDueAt == CourseBuilder.at(24))
        #expect(sameStep.recommendation?.body.dose == first.recommendation?.body.dose)
        #expect(sameStep.nextDecisionAt.map { $0 <= CourseBuilder.at(24.5) } == true)
    }

    @Test func recurrenceDuringTheTaperGoesBackToTheLastFullDose() throws {
        var c = Self.cnhOnAnakinra(lastSteroid: -30)
        let taper = try c.assess(at: 0.5, "childrens-national")
        c.record(taper, at: 0.5)
        c.med(at: 8, .anakinra, doseMg: 90)
        c.med(at: 9, .norepinephrine, .infusionStarted)
        c.vitals(at: 10, temp: 38.9, sbp: 80, oxygen: .nasalCannula(4))
        let a = try c.assess(at: 10, "childrens-national")
        #expect(a.grades.crs.grade == 3)
        // §A13.9: back to the last full dose (continue), never an escalation.
        #expect(a.action == .continue && a.decisiveReason == .recurrence)
        #expect(a.dose?.mg == 90 && a.dose?.frequency == .q6h)
    }

    @Test func afterStopAnakinraRestartsOnlyOnRecurrence() throws {
        var c = Self.cnhOnAnakinra(lastSteroid: -30)
        for (at, interval) in [(0.5, 8.0), (24.5, 12), (48.5, 24), (72.5, 0)] {
            let a = try c.assess(at: at, "childrens-national")
            c.record(a, at: at)
            if interval > 0 { c.anakinra(from: at + 0.5, through: at + 23, every: interval, mg: 90) }
        }
        #expect(c.recommendations.last?.action == .stop)
        let quiet = try c.assess(at: 90, "childrens-national")
        #expect(quiet.action == .none && quiet.decisiveReason == .courseCompleted)
        c.med(at: 95, .norepinephrine, .infusionStarted)
        c.vitals(at: 96, temp: 39.0, sbp: 80, oxygen: .nasalCannula(4))
        let recurred = try c.assess(at: 96, "childrens-national")
        #expect(recurred.action == .start && recurred.decisiveReason == .recurrence)
        #expect(recurred.dose?.mg == 90 && recurred.dose?.frequency == .q6h)
    }

    // MARK: A12 weight missing

    @Test func a12WeightMissingGradesAsUsualRecommendationWithoutDose() throws {
        let a = try Self.refractoryCRS3(weightKg: nil).assess(at: 36, "childrens-national")
        #expect(a.grades.crs.grade == 3)
        #expect(a.action == .start && a.dose == nil)
        #expect(a.alertCodes.contains(.weightRequired))
        #expect(a.recommendation?.hasAlert(.weightRequired) == true)
    }

    @Test func implausibleWeightGivesNoDose() throws {
        let a = try Self.refractoryCRS3(weightKg: 700).assess(at: 36, "childrens-national")
        #expect(a.action == .start && a.dose == nil && a.alertCodes.contains(.weightRequired))
    }
}
