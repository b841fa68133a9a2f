// A protocol's dose (clinical-spec A5): its basis, amounts and the file form of a range.

/// How the protocol expresses its dose.
package enum DoseBasis: String, Sendable, Hashable, CaseIterable, Codable {
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
    var plausibleMaximum: Int {
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
package struct ProtocolDose: Sendable, Hashable, Codable {
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, status, evidence, note
    }

    package init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        (basis, amount) = try Self.decodeAmount(c)
        status = try c.enumeration(.status)
        evidence = try c.optional(.evidence)
        note = try c.optional(.note)
    }

    /// Decodes the single basis key of a dose or taper step.
    static func decodeAmount<K: CodingKey & CaseIterable>(_ c: StrictKeyedContainer<K>) throws -> (
        DoseBasis, DoseAmount
    ) {
        let present = DoseBasis.allCases.compactMap { basis in
            K.allCases.first { $0.stringValue == basis.rawValue }.flatMap { c.has($0) ? (basis, $0) : nil }
        }
        guard let (basis, key) = present.first else {
            throw ProtocolValidationError(
                codingPath: c.codingPath,
                message: "one of perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg is required"
            )
        }
        guard present.count == 1 else {
            throw c.error(present[1].1, "only one of \(present.map(\.0.rawValue).joined(separator: ", ")) may be given")
        }
        let amount: DoseAmount
        do {
            let single = try c.container.decode(ExactAmount.self, forKey: key)
            guard single > 0 else { throw c.error(key, "\(single) must be > 0") }
            amount = DoseAmount(single)
        } catch DecodingError.typeMismatch {
            // Not a number: a range object.
            do {
                amount = try DoseRange(from: try c.container.superDecoder(forKey: key)).amount
            } catch DecodingError.typeMismatch {
                throw c.error(key, "must be a number or an object {\"low\", \"severe\"?, \"high\"}")
            }
        }
        guard amount.high <= basis.plausibleMaximum else {
            throw c.error(key, "\(amount.high) \(basis.unit) is implausible (must be ≤ \(basis.plausibleMaximum))")
        }
        return (basis, amount)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try Self.encodeAmount(basis: basis, amount: amount, into: &c)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }

    static func encodeAmount<K: CodingKey & CaseIterable>(
        basis: DoseBasis,
        amount: DoseAmount,
        into c: inout KeyedEncodingContainer<K>
    ) throws {
        guard let key = K.allCases.first(where: { $0.stringValue == basis.rawValue }) else { return }
        if amount.isRange || amount.severe != amount.low {
            try c.encode(DoseRange(amount: amount), forKey: key)
        } else {
            try c.encode(amount.low, forKey: key)
        }
    }
}

/// `{ "low": 8, "severe": 8, "high": 10 }` in a protocol file.
struct DoseRange: Codable {
    var amount: DoseAmount

    init(amount: DoseAmount) { self.amount = amount }

    enum CodingKeys: String, CodingKey, CaseIterable { case low, severe, high }

    init(from decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: CodingKeys.self)
        let low = try c.positiveAmount(.low)
        let high = try c.positiveAmount(.high)
        let severe = try c.optionalPositiveAmount(.severe) ?? low
        guard low <= high else { throw c.error(.high, "\(high) must be ≥ low (\(low))") }
        guard severe >= low, severe <= high else {
            throw c.error(.severe, "\(severe) must lie between low (\(low)) and high (\(high))")
        }
        amount = DoseAmount(low: low, severe: severe, high: high)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(amount.low, forKey: .low)
        try c.encode(amount.severe, forKey: .severe)
        try c.encode(amount.high, forKey: .high)
    }
}
