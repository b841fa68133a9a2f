// What blocks a taper besides the grades (clinical-spec §A13.6–8): IEC-HS that is not stable or
// improving by its labs and features, and any other CAR T toxicity agent still active when the
// protocol weans anakinra last.

/// Another CAR T toxicity agent active at T (§A13.8), with its latest administration.
struct ActiveAgent: Hashable, Sendable {
    var drug: Drug
    /// Index of the latest administration in `corticosteroids` (a corticosteroid) or `given[slot]`.
    var index: Int
    var isCorticosteroid: Bool
}

/// One reason IEC-HS is not stable or improving over the stability window (§A13.6).
enum IECHSInstability: Hashable, Sendable {
    /// A lab moved beyond its limit: the reference (at the window's start) and current values'
    /// indexes in `labs[test]`.
    case lab(LabTest, reference: Int, current: Int)
    /// More often-present features than at the window's start.
    case newFeature
    /// New organ support (vasopressor, more oxygen, dialysis).
    case newOrganSupport
}

extension PatientTimeline {
    /// The corticosteroid (``GradingPolicy/corticosteroidActiveWindow``), ruxolitinib, emapalumab,
    /// siltuximab and tocilizumab given within their active windows at `t` (§A13.8).
    func activeAgents(at t: Double, dosing: DosingPolicy, next: inout NextDecision) -> [ActiveAgent] {
        var active: [ActiveAgent] = []
        func check(_ series: Series<Administration>, window: Double, corticosteroid: Bool = false) {
            guard !series.isEmpty, let i = series.latest(atOrBefore: t) else { return }
            let end = series.times[i] + window
            guard t <= end else { return }
            active.append(ActiveAgent(drug: series.values[i].drug, index: i, isCorticosteroid: corticosteroid))
            next.consider(end.nextUp)
        }
        check(index.corticosteroids, window: policy.corticosteroidActiveWindow, corticosteroid: true)
        for (drug, window) in [
            (Drug.ruxolitinib, dosing.ruxolitinibActiveWindow), (.emapalumab, dosing.emapalumabActiveWindow),
            (.siltuximab, dosing.siltuximabActiveWindow), (.tocilizumab, dosing.tocilizumabActiveWindow),
        ] {
            if let slot = drug.slot { check(index.given[slot], window: window) }
        }
        return active
    }

    /// Why IEC-HS is not stable or improving over the window ending at `t`; empty when it is
    /// (§A13.6): ferritin not rising by more than 20 %, fibrinogen not falling by more than 20 %,
    /// ALT and bilirubin not rising by more than 50 %, no new often-present feature, no new organ
    /// support.
    func iecHsInstability(at t: Double, dosing: DosingPolicy) -> [IECHSInstability] {
        let start = t - dosing.iecHsStabilityWindow
        var found: [IECHSInstability] = []
        let limits: [(LabTest, Double)] = [
            (.ferritin, 1 + dosing.iecHsFerritinRise), (.fibrinogen, 1 - dosing.iecHsFibrinogenFall),
            (.alt, 1 + dosing.iecHsLiverRise), (.bilirubin, 1 + dosing.iecHsLiverRise),
        ]
        for (test, factor) in limits {
            let series = index.labs[test.ordinal]
            guard !series.isEmpty, let current = series.latest(atOrBefore: t) else { continue }
            // The reference: the latest value at or before the window's start, else its first value.
            let reference = series.latest(atOrBefore: start) ?? series.countAtOrBefore(start)
            guard reference < current, series.times[current] > start else { continue }
            let before = series.values[reference].value
            let now = series.values[current].value
            let moved = factor > 1 ? now > before * factor : now < before * factor
            if moved { found.append(.lab(test, reference: reference, current: current)) }
        }
        let before = index.iecHsFacts(at: start, policy: policy, crs: crsCourse, labWindow: policy.labFreshness)
        let now = index.iecHsFacts(at: t, policy: policy, crs: crsCourse, labWindow: policy.labFreshness)
        if now.oftenPresentCount > before.oftenPresentCount { found.append(.newFeature) }
        if now.vasopressors & ~before.vasopressors != 0 || now.oxygenTier > before.oxygenTier
            || (now.dialysisEvent != nil && before.dialysisEvent == nil)
        {
            found.append(.newOrganSupport)
        }
        return found
    }

}
