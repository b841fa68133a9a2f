// A protocol's dose (clinical-spec A5): its basis, amounts and the file form of a range.

/// How the protocol expresses its dose.
package enum DoseBasis: String, Sendable, Hashable, CaseIterable {
    case perDoseMgPerKg
    case perDayMgPerKg
    case perDoseMg
    case perDayMg

    /// Whether the amount is multiplied by the weight.
    package var isWeightBased: Bool { self == .perDoseMgPerKg || self == .perDayMgPerKg }
    /// Whether the amount is for a day, divided by the doses per day.
    package var isPerDay: Bool { self == .perDayMgPerKg || self == .perDayMg }

    /// The unit of the amount: `mg/kg/dose`, `mg/kg/day`, `mg/dose`, `mg/day`.
    package var unit: String {
        switch self {
        case .perDoseMgPerKg: "mg/kg/dose"
        case .perDayMgPerKg: "mg/kg/day"
        case .perDoseMg: "mg/dose"
        case .perDayMg: "mg/day"
        }
    }

    /// Plausibility ceiling for an amount in this basis (a typo guard, not a clinical cap).
    package var plausibleMaximum: Int {
        switch self {
        case .perDoseMgPerKg, .perDayMgPerKg: 50
        case .perDoseMg, .perDayMg: 2000
        }
    }
}

/// A dose amount: one value, or a range with the dose for the severely ill inside it.
///
/// clinical-spec A5: start at `low` for the "less ill" branch, at `severe` for grade ≥ 3;
/// `high` is the escalation ceiling. A single number sets all three.
package struct DoseAmount: Sendable, Hashable, CustomStringConvertible {
    package var low: ExactAmount
    package var severe: ExactAmount
    package var high: ExactAmount

    package init(low: ExactAmount, severe: ExactAmount, high: ExactAmount) {
        self.low = low
        self.severe = severe
        self.high = high
    }

    /// One amount, no range.
    package init(_ value: ExactAmount) { self.init(low: value, severe: value, high: value) }

    package var isRange: Bool { low != high }

    package var description: String {
        guard isRange else { return "\(low)" }
        return severe == low ? "\(low)–\(high)" : "\(low)–\(high) (severe \(severe))"
    }
}

/// The protocol's dose: exactly one basis key (`perDoseMgPerKg`, `perDayMgPerKg`, `perDoseMg`,
/// `perDayMg`) holding a number or `{ "low", "severe"?, "high" }`.
package struct ProtocolDose: Sendable, Hashable {
    package var basis: DoseBasis
    package var amount: DoseAmount
    package var status: EvidenceStatus
    package var evidence: String?
    package var note: String?

    package init(
        basis: DoseBasis,
        amount: DoseAmount,
        status: EvidenceStatus,
        evidence: String? = nil,
        note: String? = nil
    ) {
        self.basis = basis
        self.amount = amount
        self.status = status
        self.evidence = evidence
        self.note = note
    }
}
