import Foundation
import ToxicityRules

/// Shortage advice as a state, not a flicker (issue 12): a patient needs a short drug from the
/// first evaluation at which it would receive it, and stops needing it only once the need has been
/// absent for ``hold`` or the anakinra course ended. A grade that moves between 1 and 2 every few
/// hours therefore gives one "needed" record, not a pair per move.
struct ShortageHysteresis {
    /// How long a need must stay absent before the patient no longer needs the drug.
    var hold: TimeInterval

    /// One short drug's record to publish: its current advice, or that the patient no longer needs it.
    enum Change: Equatable {
        case needed(ShortageAlternative)
        case noLongerNeeded(drug: String)

        var drug: String {
            switch self {
            case .needed(let advice): advice.shortDrug
            case .noLongerNeeded(let drug): drug
            }
        }
    }

    /// The records to publish at `instant` and the advice state after them.
    /// - Parameters:
    ///   - published: the advice state before this evaluation, per short drug.
    ///   - current: this evaluation's alternatives with what makes each new.
    ///   - courseEnded: the patient's anakinra course ended at this evaluation (stop, or none with
    ///     `course-completed`): every held need ends with it.
    func step(
        published: [String: ShortageAdviceState],
        current: [(advice: ShortageAlternative, summary: PublishedShortageAdvice)], at instant: Date,
        courseEnded: Bool
    ) -> (changes: [Change], state: [String: ShortageAdviceState]) {
        var state = published
        var changes: [Change] = []
        var needed: Set<String> = []
        for (advice, summary) in current {
            needed.insert(advice.shortDrug)
            if published[advice.shortDrug]?.summary != summary { changes.append(.needed(advice)) }
            state[advice.shortDrug] = ShortageAdviceState(summary: summary, neededAt: instant)
        }
        for (drug, advice) in published.sorted(by: { $0.key < $1.key }) where !needed.contains(drug) {
            if courseEnded || instant.timeIntervalSince(advice.neededAt) >= hold {
                changes.append(.noLongerNeeded(drug: drug))
                state[drug] = nil
            }
        }
        return (changes, state)
    }
}
