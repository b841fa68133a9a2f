// The route rules (clinical-spec A8): the clinical reasons to give anakinra IV, with their evidence.

/// Clinical reasons to give anakinra IV rather than SC (A8).
struct RouteReasons: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    static let thrombocytopenia = RouteReasons(rawValue: 1)
    static let coagulopathy = RouteReasons(rawValue: 2)
    static let severeCRS = RouteReasons(rawValue: 4)
    static let severeICANS = RouteReasons(rawValue: 8)
    static let childUnder12 = RouteReasons(rawValue: 16)
}

/// The lab or finding behind each route reason (for the explanation).
struct RouteEvidence: Hashable, Sendable {
    var platelets: Int?
    var fibrinogen: Int?
    var inr: Int?
    var coagulopathyEvent: Int32?
}

extension PatientTimeline {
    // MARK: Route (A8)

    func routeReasons(
        at t: Double,
        grades: GradeSnapshot,
        profile: ProfileFacts,
        dosing: DosingPolicy,
        evidence: inout RouteEvidence
    ) -> RouteReasons {
        var reasons: RouteReasons = []
        if let i = currentLab(.platelets, at: t),
            index.labs[LabTest.platelets.ordinal].values[i].value < dosing.ivPlateletsBelow
        {
            reasons.insert(.thrombocytopenia)
            evidence.platelets = i
        }
        if let i = currentLab(.fibrinogen, at: t),
            index.labs[LabTest.fibrinogen.ordinal].values[i].value < dosing.ivFibrinogenBelow
        {
            reasons.insert(.coagulopathy)
            evidence.fibrinogen = i
        }
        if let i = currentLab(.inr, at: t), index.labs[LabTest.inr.ordinal].values[i].value > dosing.ivINRAbove {
            reasons.insert(.coagulopathy)
            evidence.inr = i
        }
        if let event = index.finding(.coagulopathy, at: t) {
            reasons.insert(.coagulopathy)
            evidence.coagulopathyEvent = event
        }
        if grades.crs.core.grade >= dosing.ivGradeAtLeast { reasons.insert(.severeCRS) }
        if grades.icans.core.grade >= dosing.ivGradeAtLeast { reasons.insert(.severeICANS) }
        if let age = profile.age, age.age.completedYears < dosing.ivChildUnderYears { reasons.insert(.childUnder12) }
        return reasons
    }
}
