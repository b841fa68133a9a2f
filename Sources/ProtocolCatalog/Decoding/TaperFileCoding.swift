// The file form of a protocol's taper, its trigger and steps, its duration and its
// alternative regimens.

package import ToxicityRules

extension ProtocolTaper: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case trigger, method, intervals, steps, stepHours, lengthDays, status, evidence, note
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            trigger: try c.value(.trigger),
            method: try c.enumeration(.method),
            intervals: c.has(.intervals) ? try c.enumerations(.intervals) : [],
            steps: try c.optionalValues(.steps),
            stepHours: try c.value(.stepHours),
            lengthDays: try c.optionalValue(.lengthDays),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
        try validateMethod(c)
    }

    /// The intervals or steps each method needs.
    private func validateMethod(_ c: StrictKeyedContainer<FileKeys>) throws {
        switch method {
        case .lengthenInterval:
            guard !intervals.isEmpty else { throw c.error(.intervals, "is required for method lengthen-interval") }
            guard intervals == intervals.sorted(), Set(intervals).count == intervals.count else {
                throw c.error(.intervals, "must be strictly increasing intervals (e.g. Q8H, Q12H, Q24H)")
            }
            guard !intervals.contains(.q48h) else {
                throw c.error(.intervals, "Q48H is only available as a clinician's renal override")
            }
            guard steps.isEmpty else { throw c.error(.steps, "must be empty for method lengthen-interval") }
        case .doseSteps:
            guard !steps.isEmpty else { throw c.error(.steps, "is required for method dose-steps") }
            guard intervals.isEmpty else { throw c.error(.intervals, "must be empty for method dose-steps") }
        case .stopWithoutTaper:
            guard steps.isEmpty, intervals.isEmpty else {
                throw c.error(.method, "stop-without-taper takes no intervals or steps")
            }
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeValue(trigger, forKey: .trigger)
        try c.encodeRaw(method, forKey: .method)
        try c.encodeRaws(intervals, forKey: .intervals)
        try c.encodeValues(steps, forKey: .steps)
        try c.encodeValue(stepHours, forKey: .stepHours)
        try c.encodeValueIfPresent(lengthDays, forKey: .lengthDays)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension TaperDoseStep: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case perDoseMgPerKg, perDayMgPerKg, perDoseMg, perDayMg, frequency, hours
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let (basis, range) = try ProtocolDose.decodeAmount(c)
        guard !range.isRange else {
            throw ProtocolValidationError(
                codingPath: c.codingPath + [AnyProtocolKey(stringValue: basis.rawValue)],
                message: "a taper step takes one amount, not a range"
            )
        }
        let frequency: DoseFrequency = try c.enumeration(.frequency)
        guard frequency != .q48h else {
            throw c.error(.frequency, "Q48H is only available as a clinician's renal override")
        }
        self.init(basis: basis, amount: range.low, frequency: frequency, hours: try c.optionalValue(.hours))
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try ProtocolDose.encodeAmount(basis: basis, amount: DoseAmount(amount), into: &c)
        try c.encodeRaw(frequency, forKey: .frequency)
        try c.encodeValueIfPresent(hours, forKey: .hours)
    }
}

extension TaperTrigger: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case kind, grade, scope, holdHours, afterHours, status, evidence, note
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            kind: try c.enumeration(.kind),
            grade: try c.optionalInteger(.grade, in: 0...4),
            scope: try c.optionalEnumeration(.scope),
            holdHours: try c.optionalInteger(.holdHours, in: 0...336),
            afterHours: try c.optionalValue(.afterHours),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
        switch kind {
        case .gradeAtMost:
            guard grade != nil else { throw c.error(.grade, "is required for kind grade-at-most") }
            guard scope != nil else { throw c.error(.scope, "is required for kind grade-at-most") }
        case .improving:
            guard afterHours != nil else { throw c.error(.afterHours, "is required for kind improving") }
        case .improvingOrStable, .notStated:
            break
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRaw(kind, forKey: .kind)
        try c.encodeIfPresent(grade, forKey: .grade)
        try c.encodeRawIfPresent(scope, forKey: .scope)
        try c.encodeIfPresent(holdHours, forKey: .holdHours)
        try c.encodeValueIfPresent(afterHours, forKey: .afterHours)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension ProtocolDuration: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case totalDays, initialHours, text, status, evidence }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            totalDays: try c.optionalValue(.totalDays),
            initialHours: try c.optionalValue(.initialHours),
            text: try c.string(.text),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence)
        )
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeValueIfPresent(totalDays, forKey: .totalDays)
        try c.encodeValueIfPresent(initialHours, forKey: .initialHours)
        try c.encode(text, forKey: .text)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
    }
}

extension AlternativeRegimen: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case id, name, dose, frequency, initialHours, taper, selection, status, evidence
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let id = try c.string(.id)
        guard AnakinraProtocol.isValidId(id) else {
            throw c.error(.id, "\"\(id)\" must be lower-case letters, digits and single hyphens")
        }
        self.init(
            id: id,
            name: try c.string(.name),
            dose: try c.value(.dose),
            frequency: try c.value(.frequency),
            initialHours: try c.optionalValue(.initialHours),
            taper: try c.optionalValue(.taper),
            selection: try c.optional(.selection),
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence)
        )
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeValue(dose, forKey: .dose)
        try c.encodeValue(frequency, forKey: .frequency)
        try c.encodeValueIfPresent(initialHours, forKey: .initialHours)
        try c.encodeValueIfPresent(taper, forKey: .taper)
        try c.encodeIfPresent(selection, forKey: .selection)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
    }
}
