// The file form of a protocol's dose, frequency, routes, caps, rounding, escalation and
// reassessment, and of the hour and day ranges they use.

package import ToxicityRules

extension ProtocolDose: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, status, evidence, note
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let (basis, amount) = try Self.decodeAmount(c)
        self.init(
            basis: basis,
            amount: amount,
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
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
            let single = try c.container.decode(ProtocolFile<ExactAmount>.self, forKey: key).value
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

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try Self.encodeAmount(basis: basis, amount: amount, into: &c)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }

    /// Writes the amount under its basis key: a number, or a range object.
    static func encodeAmount<K: CodingKey & CaseIterable>(
        basis: DoseBasis,
        amount: DoseAmount,
        into c: inout KeyedEncodingContainer<K>
    ) throws {
        guard let key = K.allCases.first(where: { $0.stringValue == basis.rawValue }) else { return }
        if amount.isRange || amount.severe != amount.low {
            try c.encode(DoseRange(amount: amount), forKey: key)
        } else {
            try c.encodeValue(amount.low, forKey: key)
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
        try c.encodeValue(amount.low, forKey: .low)
        try c.encodeValue(amount.severe, forKey: .severe)
        try c.encodeValue(amount.high, forKey: .high)
    }
}

extension ProtocolFrequency: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case `default`, allowed, options, status, evidence, note }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            default: try c.optionalEnumeration(.default),
            allowed: try c.enumerations(.allowed),
            options: c.has(.options) ? try c.enumerations(.options) : [],
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
        guard !allowed.isEmpty else { throw c.error(.allowed, "must list at least one frequency") }
        if allowed.contains(.q48h) || options.contains(.q48h) || `default` == .q48h {
            throw c.error(.allowed, "Q48H is only available as a clinician's renal override, never in a protocol")
        }
        if let value = `default`, !allowed.contains(value) {
            throw c.error(
                .default,
                "\(value.rawValue) must be one of allowed (\(allowed.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        if `default` == nil, options.isEmpty {
            throw c.error(.options, "is required when there is no default frequency")
        }
        if let outside = options.first(where: { !allowed.contains($0) }) {
            throw c.error(.options, "\(outside.rawValue) must also be in allowed")
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRawIfPresent(`default`, forKey: .default)
        try c.encodeRaws(allowed, forKey: .allowed)
        try c.encodeRaws(options, forKey: .options)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolRoutes: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case allowed, preferred, status, evidence, note }

    /// Anakinra is given IV or SC only.
    static let anakinraRoutes: [Route] = [.iv, .sc]

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let allowedRaw = try c.required(.allowed, as: [String].self)
        var allowed: [Route] = []
        for (index, raw) in allowedRaw.enumerated() {
            guard let route = Route(rawValue: raw), Self.anakinraRoutes.contains(route) else {
                throw ProtocolValidationError(
                    codingPath: c.codingPath + [FileKeys.allowed, AnyProtocolKey(intValue: index)],
                    message: "unknown route \"\(raw)\" (expected IV or SC)"
                )
            }
            allowed.append(route)
        }
        guard !allowed.isEmpty else { throw c.error(.allowed, "must list at least one route") }
        let preferredRaw = try c.string(.preferred)
        guard let preferred = Route(rawValue: preferredRaw), allowed.contains(preferred) else {
            throw c.error(
                .preferred,
                "\"\(preferredRaw)\" must be one of allowed (\(allowed.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self.init(
            allowed: allowed,
            preferred: preferred,
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRaws(allowed, forKey: .allowed)
        try c.encodeRaw(preferred, forKey: .preferred)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolCaps: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case perDoseMg, dailyMg, mgPerKgPerDay, status, evidence, note }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let perDoseMg = try Self.wholeMg(c, .perDoseMg)
        let dailyMg = try Self.wholeMg(c, .dailyMg)
        let mgPerKgPerDay = try c.optionalPositiveAmount(.mgPerKgPerDay)
        if let ceiling = mgPerKgPerDay, ceiling > DoseBasis.perDayMgPerKg.plausibleMaximum {
            throw c.error(.mgPerKgPerDay, "\(ceiling) mg/kg/day is implausible (must be ≤ 50)")
        }
        self.init(
            perDoseMg: perDoseMg,
            dailyMg: dailyMg,
            mgPerKgPerDay: mgPerKgPerDay,
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
    }

    private static func wholeMg(_ c: StrictKeyedContainer<FileKeys>, _ key: FileKeys) throws -> Int? {
        guard let value = try c.optionalValue(key, as: ExactAmount.self) else { return nil }
        guard value > 0 else { throw c.error(key, "\(value) must be > 0") }
        guard value.isWhole else { throw c.error(key, "\(value) must be a whole number of mg") }
        guard value <= 10_000 else { throw c.error(key, "\(value) mg is implausible (must be ≤ 10000)") }
        return Int(value.numerator)
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeIfPresent(perDoseMg, forKey: .perDoseMg)
        try c.encodeIfPresent(dailyMg, forKey: .dailyMg)
        try c.encodeValueIfPresent(mgPerKgPerDay, forKey: .mgPerKgPerDay)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolRounding: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case rule, syringeMg, tolerancePercent, status, evidence, note }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            rule: try c.enumeration(.rule),
            syringeMg: try c.optionalInteger(.syringeMg, in: 1...1000),
            tolerancePercent: try c.optionalInteger(.tolerancePercent, in: 0...50),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
        if rule == .wholeSyringe {
            guard syringeMg != nil else { throw c.error(.syringeMg, "is required for rule whole-syringe") }
            guard tolerancePercent != nil else {
                throw c.error(.tolerancePercent, "is required for rule whole-syringe")
            }
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRaw(rule, forKey: .rule)
        try c.encodeIfPresent(syringeMg, forKey: .syringeMg)
        try c.encodeIfPresent(tolerancePercent, forKey: .tolerancePercent)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolEscalation: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case rule, maxMgPerKgPerDay, status, evidence, note }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let rule: EscalationRule = try c.enumeration(.rule)
        let maxMgPerKgPerDay = try c.optionalPositiveAmount(.maxMgPerKgPerDay)
        if let bound = maxMgPerKgPerDay, bound > DoseBasis.perDayMgPerKg.plausibleMaximum {
            throw c.error(.maxMgPerKgPerDay, "\(bound) mg/kg/day is implausible (must be ≤ 50)")
        }
        self.init(
            rule: rule,
            maxMgPerKgPerDay: maxMgPerKgPerDay,
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRaw(rule, forKey: .rule)
        try c.encodeValueIfPresent(maxMgPerKgPerDay, forKey: .maxMgPerKgPerDay)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolReassessment: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case hours, status, evidence, note }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            hours: try c.value(.hours),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeValue(hours, forKey: .hours)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension HoursRange: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case min, max }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let min = try c.integer(.min, in: 1...2160)
        let max = try c.integer(.max, in: 1...2160)
        guard min <= max else { throw c.error(.max, "\(max) must be ≥ min (\(min))") }
        self.init(min: min, max: max)
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encode(min, forKey: .min)
        try c.encode(max, forKey: .max)
    }
}

extension DaysRange: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case min, max }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let min = try c.optionalInteger(.min, in: 1...365)
        let max = try c.optionalInteger(.max, in: 1...365)
        guard min != nil || max != nil else { throw c.error(.max, "min or max is required") }
        if let min, let max, min > max { throw c.error(.max, "\(max) must be ≥ min (\(min))") }
        self.init(min: min, max: max)
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeIfPresent(min, forKey: .min)
        try c.encodeIfPresent(max, forKey: .max)
    }
}
