// The file form of a whole protocol, its flags, choices and indications.

package import ToxicityRules

extension AnakinraProtocol: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case formatVersion, id, name, shortName, kind, population, evidence, indications, dose, frequency, routes, caps
        case rounding, escalation, reassessment, taper, duration, lastAgentWeaned, iecHsCriteria, alternativeRegimens
        case notes, choices
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        let formatVersion = try c.integer(.formatVersion, in: 1...Int.max)
        guard formatVersion == Self.currentFormatVersion else {
            throw c.error(
                .formatVersion,
                "\(formatVersion) is not supported (this build reads \(Self.currentFormatVersion))"
            )
        }
        let id = try c.string(.id)
        guard Self.isValidId(id) else {
            throw c.error(.id, "\"\(id)\" must be lower-case letters, digits and single hyphens")
        }
        let name = try c.string(.name)
        let shortName = try c.string(.shortName)
        let kind: ProtocolKind = try c.enumeration(.kind)
        let population: ProtocolPopulation = try c.enumeration(.population)
        let evidence = try c.string(.evidence)
        let indications: [ProtocolIndication] = try c.values(.indications)
        guard !indications.isEmpty else { throw c.error(.indications, "must list at least one indication") }
        self.init(
            formatVersion: formatVersion,
            id: id,
            name: name,
            shortName: shortName,
            kind: kind,
            population: population,
            evidence: evidence,
            indications: indications,
            dose: try c.value(.dose),
            frequency: try c.value(.frequency),
            routes: try c.value(.routes),
            caps: try c.value(.caps),
            rounding: try c.value(.rounding),
            escalation: try c.value(.escalation),
            reassessment: try c.value(.reassessment),
            taper: try c.value(.taper),
            duration: try c.value(.duration),
            lastAgentWeaned: try c.value(.lastAgentWeaned),
            iecHsCriteria: try c.optionalEnumeration(.iecHsCriteria) ?? .astct2023,
            alternativeRegimens: try c.optionalValues(.alternativeRegimens),
            notes: try c.optional(.notes) ?? [],
            choices: try c.optionalValues(.choices)
        )
        try validateConsistency(c)
    }

    /// Cross-field rules that no single field can check.
    private func validateConsistency(_ c: StrictKeyedContainer<FileKeys>) throws {
        if escalation.rule == .toPerDoseCap, caps.perDoseMg == nil {
            throw c.error(.escalation, "rule to-per-dose-cap requires caps.perDoseMg")
        }
        if let perDose = caps.perDoseMg, let daily = caps.dailyMg, perDose > daily {
            throw c.error(.caps, "perDoseMg \(perDose) must be ≤ dailyMg \(daily)")
        }
        var seen: Set<String> = []
        for (index, regimen) in alternativeRegimens.enumerated() {
            guard seen.insert(regimen.id).inserted else {
                throw ProtocolValidationError(
                    field: "alternativeRegimens[\(index)].id",
                    message: "\"\(regimen.id)\" is used twice"
                )
            }
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(shortName, forKey: .shortName)
        try c.encodeRaw(kind, forKey: .kind)
        try c.encodeRaw(population, forKey: .population)
        try c.encode(evidence, forKey: .evidence)
        try c.encodeValues(indications, forKey: .indications)
        try c.encodeValue(dose, forKey: .dose)
        try c.encodeValue(frequency, forKey: .frequency)
        try c.encodeValue(routes, forKey: .routes)
        try c.encodeValue(caps, forKey: .caps)
        try c.encodeValue(rounding, forKey: .rounding)
        try c.encodeValue(escalation, forKey: .escalation)
        try c.encodeValue(reassessment, forKey: .reassessment)
        try c.encodeValue(taper, forKey: .taper)
        try c.encodeValue(duration, forKey: .duration)
        try c.encodeValue(lastAgentWeaned, forKey: .lastAgentWeaned)
        try c.encodeRaw(iecHsCriteria, forKey: .iecHsCriteria)
        try c.encodeValues(alternativeRegimens, forKey: .alternativeRegimens)
        try c.encode(notes, forKey: .notes)
        try c.encodeValues(choices, forKey: .choices)
    }
}

extension ProtocolFlag: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case value, status }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(value: try c.required(.value), status: try c.enumeration(.status))
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encode(value, forKey: .value)
        try c.encodeRaw(status, forKey: .status)
    }
}

extension ProtocolChoice: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable { case ambiguity, choice, status }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            ambiguity: try c.string(.ambiguity), choice: try c.string(.choice), status: try c.enumeration(.status))
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encode(ambiguity, forKey: .ambiguity)
        try c.encode(choice, forKey: .choice)
        try c.encodeRaw(status, forKey: .status)
    }
}

extension ProtocolIndication: ProtocolFileValue {
    enum FileKeys: String, CodingKey, CaseIterable {
        case toxicity, line, minimumGrade, antigenTargets, corticosteroid, persistingHoursAfterFirstTocilizumab
        case beforeSecondTocilizumab, withoutIcans, isolatedLateOnset, fromDayAfterInfusion, orAfterFeverCount
        case doseSpecified, status, evidence, note
    }

    package init(file decoder: any Decoder) throws {
        let c = try StrictKeyedContainer(decoder, keyedBy: FileKeys.self)
        self.init(
            toxicity: try c.enumeration(.toxicity),
            line: try c.enumeration(.line),
            minimumGrade: try c.optionalInteger(.minimumGrade, in: 1...4),
            antigenTargets: try c.optional(.antigenTargets) ?? [],
            corticosteroid: try c.optionalEnumeration(.corticosteroid),
            persistingHoursAfterFirstTocilizumab: try c.optionalInteger(
                .persistingHoursAfterFirstTocilizumab,
                in: 1...168
            ),
            beforeSecondTocilizumab: try c.optional(.beforeSecondTocilizumab) ?? false,
            withoutIcans: try c.optional(.withoutIcans) ?? false,
            isolatedLateOnset: try c.optional(.isolatedLateOnset) ?? false,
            fromDayAfterInfusion: try c.optionalInteger(.fromDayAfterInfusion, in: 0...365),
            orAfterFeverCount: try c.optionalInteger(.orAfterFeverCount, in: 1...20),
            doseSpecified: try c.optional(.doseSpecified) ?? true,
            status: try c.enumeration(.status),
            evidence: try c.optional(.evidence),
            note: try c.optional(.note)
        )
        if line == .prophylaxis, fromDayAfterInfusion == nil {
            throw c.error(.fromDayAfterInfusion, "is required for line prophylaxis")
        }
    }

    package func encodeFile(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FileKeys.self)
        try c.encodeRaw(toxicity, forKey: .toxicity)
        try c.encodeRaw(line, forKey: .line)
        try c.encodeIfPresent(minimumGrade, forKey: .minimumGrade)
        try c.encode(antigenTargets, forKey: .antigenTargets)
        try c.encodeRawIfPresent(corticosteroid, forKey: .corticosteroid)
        try c.encodeIfPresent(persistingHoursAfterFirstTocilizumab, forKey: .persistingHoursAfterFirstTocilizumab)
        try c.encode(beforeSecondTocilizumab, forKey: .beforeSecondTocilizumab)
        try c.encode(withoutIcans, forKey: .withoutIcans)
        try c.encode(isolatedLateOnset, forKey: .isolatedLateOnset)
        try c.encodeIfPresent(fromDayAfterInfusion, forKey: .fromDayAfterInfusion)
        try c.encodeIfPresent(orAfterFeverCount, forKey: .orAfterFeverCount)
        try c.encode(doseSpecified, forKey: .doseSpecified)
        try c.encodeRaw(status, forKey: .status)
        try c.encodeIfPresent(evidence, forKey: .evidence)
        try c.encodeIfPresent(note, forKey: .note)
    }
}
