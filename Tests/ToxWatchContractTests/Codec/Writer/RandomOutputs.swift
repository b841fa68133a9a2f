import Foundation
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

// Random valid output bodies for the writer property tests: every field of every output type,
// optional fields present and absent, lists empty and not, strings and numbers of every kind JSON
// writes differently (``SplitMix64/jsonString(maxLength:)``, ``SplitMix64/jsonDouble()``).

extension SplitMix64 {
    mutating func observedValue() -> ObservedValue {
        ObservedValue(
            field: FieldName(rawValue: jsonString()), value: optionalJSONDouble(), category: optionalJSONString(),
            unit: optionalJSONString(), eventId: jsonString(), observedAt: jsonDate())
    }

    mutating func threshold() -> ToxicityRules.Threshold {
        ToxicityRules.Threshold(
            field: FieldName(rawValue: jsonString()),
            comparator: pick([.lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual, .equal]),
            value: jsonDouble(), unit: optionalJSONString(),
            source: optionalJSONString().map(EvidenceSource.init(rawValue:)))
    }

    mutating func reason() -> Reason {
        Reason(
            code: ReasonCode(rawValue: jsonString()), rule: RuleID(rawValue: jsonString()),
            source: EvidenceSource(rawValue: jsonString()), grade: next() % 2 == 0 ? nil : jsonInt(),
            decisive: next() % 2 == 0,
            observed: CompactList((0..<count(max: 4)).map { _ in observedValue() }),
            thresholds: CompactList((0..<count(max: 4)).map { _ in threshold() }))
    }

    mutating func reasons() -> [Reason] { (0..<count(max: 3)).map { _ in reason() } }

    mutating func strings(max: Int = 4) -> [String] { (0..<count(max: max)).map { _ in jsonString() } }

    mutating func alert() -> Alert {
        // Known codes have messages of their own; others fall back to the code.
        let code =
            next() % 2 == 0
            ? pick([AlertCode.missingWeight, .staleVitals, .implausibleValue])
            : AlertCode(
                rawValue: jsonString())
        return Alert(
            code: code, fields: CompactList(strings().map(FieldName.init(rawValue:))),
            eventIds: CompactList(strings()))
    }

    mutating func alerts() -> [Alert] { (0..<count(max: 3)).map { _ in alert() } }

    mutating func flags() -> GradeFlags { GradeFlags(rawValue: UInt32(truncatingIfNeeded: next()) & 0x1_FFFF) }

    mutating func episode() -> EpisodeSummary? {
        next() % 3 == 0
            ? nil
            : EpisodeSummary(
                startedAt: jsonDate(), startEventId: jsonString(), closedAt: optionalJSONDate(),
                feverWaivedAt: optionalJSONDate(), maxGrade: jsonInt(), isOpen: next() % 2 == 0)
    }

    mutating func gradeAssessment() -> GradeAssessment {
        GradeAssessment(
            grade: next() % 3 == 0 ? nil : jsonInt(), maxGrade: jsonInt(), reasons: reasons(), flags: flags(),
            episode: episode(), lastGraded: next() % 2 == 0 ? nil : LastGraded(grade: jsonInt(), at: jsonDate()))
    }

    mutating func iecHsAssessment() -> IECHSAssessment {
        IECHSAssessment(
            present: next() % 2 == 0, provisional: next() % 2 == 0, criteria: pick(IECHSCriteriaSet.allCases),
            grade: jsonInt(), maxGrade: jsonInt(), reasons: reasons(), flags: flags(), episode: episode())
    }

    mutating func gradesBody() -> ToxicityGradesBody {
        ToxicityGradesBody(
            crs: gradeAssessment(), icans: gradeAssessment(), iecHs: iecHsAssessment(), inputEventIds: strings(),
            alerts: alerts())
    }

    mutating func optionalInt() -> Int? { next() % 3 == 0 ? nil : jsonInt() }

    mutating func recommendedDose() -> RecommendedDose {
        RecommendedDose(
            mg: optionalInt(), mgPerKg: optionalJSONDouble(), route: pick(Route.allCases),
            frequency: next() % 3 == 0 ? nil : pick(DoseFrequency.allCases), dailyMg: optionalInt(),
            options: (0..<count(max: 3)).map { _ in
                RecommendedDoseOption(frequency: pick(DoseFrequency.allCases), mg: jsonInt(), dailyMg: jsonInt())
            },
            syringesPerDose: optionalInt(), volumePerDoseML: optionalJSONDouble())
    }

    mutating func recommendation() -> AnakinraRecommendation {
        AnakinraRecommendation(
            body: RecommendationBody(
                action: pick(RecommendationAction.allCases), dose: next() % 3 == 0 ? nil : recommendedDose(),
                nextDoseDueAt: optionalJSONDate(), caps: reasons(), rationale: strings(), reasons: reasons(),
                warnings: reasons(), alerts: alerts(), protocolId: optionalJSONString(),
                evidence: (0..<count(max: 3)).map { _ in
                    EvidenceItem(
                        about: jsonString(), source: jsonString(),
                        status: next() % 3 == 0 ? nil : pick(EvidenceStatus.allCases))
                },
                inputEventIds: strings()))
    }

    mutating func alternativeOption() -> AlternativeOption {
        let dose =
            next() % 3 == 0
            ? nil
            : AlternativeDose(
                mg: optionalJSONDouble(), mgPerKg: optionalJSONDouble(), route: pick(Route.allCases),
                frequency: next() % 3 == 0 ? nil : pick(DoseFrequency.allCases), schedule: jsonString(),
                dailyMg: optionalJSONDouble())
        return AlternativeOption(
            rank: jsonInt(), drug: jsonString(), dose: dose, label: optionalJSONString(), rationale: jsonString(),
            evidence: jsonString(), status: pick(EvidenceStatus.allCases), cautions: reasons(),
            protocolId: optionalJSONString())
    }

    mutating func shortageAlternative() -> ShortageAlternative {
        ShortageAlternative(
            shortDrug: jsonString(), site: optionalJSONString(),
            status: next() % 3 == 0 ? nil : pick(StockStatus.allCases), cause: jsonString(), reasons: reasons(),
            alternatives: (0..<count(max: 3)).map { _ in alternativeOption() },
            excluded: (0..<count(max: 2)).map { _ in ExcludedAlternative(drug: jsonString(), reason: reason()) },
            need24h: next() % 3 == 0
                ? nil : ShortageNeed(mg: optionalJSONDouble(), doses: optionalInt(), units: optionalInt()))
    }

    /// An envelope around `body`, with random id, patient and instant.
    mutating func envelope<Body: OutputBody>(_ body: Body) -> OutputEnvelope<Body> {
        OutputEnvelope(id: jsonString(), patientId: jsonString(), assessedAt: jsonDate(), body: body)
    }
}
