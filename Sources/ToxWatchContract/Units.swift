package import ToxicityRules

/// How a value in an accepted unit becomes a value in the field's own unit.
package enum UnitConversion: Sendable, Hashable {
    case identity
    case multiply(Double)
    case divide(Double)
    /// °F → °C: (°F − 32) × 5/9, rounded to 0.01 °C (see Docs/HL7-FHIR.md, "Temperature").
    case fahrenheitToCelsius

    package func apply(_ value: Double) -> Double {
        switch self {
        case .identity: value
        case .multiply(let factor): value * factor
        case .divide(let divisor): value / divisor
        case .fahrenheitToCelsius: ((value - 32) * 5 / 9 * 100).rounded() / 100
        }
    }
}

extension UnitConversion {
    /// The value in the field's unit, a converted one rounded to `decimals` places: a conversion by
    /// a factor leaves binary noise (55 lb is 24.947580350000003 kg), which would otherwise reach the
    /// events and every output quoting them. A value already in the field's unit is kept as given.
    package func apply(_ value: Double, decimals: Int) -> Double {
        let converted = apply(value)
        guard self != .identity, converted.isFinite else { return converted }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (converted * scale).rounded() / scale
        return rounded.isFinite ? rounded : converted
    }
}

/// One accepted unit of a quantity: the spellings the JSON contract accepts exactly, further
/// spellings the HL7/FHIR adapters accept, and the conversion to the canonical unit.
struct AcceptedUnit: Sendable {
    /// Exact spellings accepted in contract JSON (the first of the first rule is canonical).
    var json: [String]
    /// Extra spellings seen in HL7 v2 OBX-6 and FHIR Quantity (matched after ``normalizeUnit(_:)``).
    var aliases: [String] = []
    var conversion: UnitConversion

    func matchesLeniently(_ normalized: String) -> Bool {
        json.contains { normalizeUnit($0) == normalized } || aliases.contains { normalizeUnit($0) == normalized }
    }
}

/// Case-, space- and micro-sign-insensitive form of a unit as feeds write it
/// (`µg/L`, `μg/l`, `mcg/L` and `ug/L` are one unit; UCUM brackets are dropped).
func normalizeUnit(_ unit: String) -> String {
    var text = unit.lowercased()
    text = text.replacingAll("µ", with: "u").replacingAll("μ", with: "u")
    text = text.replacingAll("mcg", with: "ug").replacingAll("mcmol", with: "umol")
    text.removeAll { $0 == " " || $0 == "[" || $0 == "]" || $0 == "{" || $0 == "}" }
    return text
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Units of laboratory tests: the canonical unit of each ``LabTest`` and the few units that
/// convert to it exactly (DESIGN.md §3).
package enum LabUnits {
    /// Decimal places a converted lab value keeps (µmol/L → mg/dL, ng/mL → mg/L …).
    package static let decimals = 3

    /// The accepted units of every test, made once (a lab event looks its unit up in them).
    private static let acceptedUnits = Dictionary(
        uniqueKeysWithValues: LabTest.allCases.map { ($0, makeAccepted(for: $0)) })

    static func accepted(for test: LabTest) -> [AcceptedUnit] { acceptedUnits[test] ?? [] }

    private static func makeAccepted(for test: LabTest) -> [AcceptedUnit] {
        let micromolar = ["umol/L", "µmol/L"]
        switch test {
        case .ferritin:
            return [
                .init(json: ["ng/mL"], conversion: .identity), .init(json: ["ug/L", "µg/L"], conversion: .identity),
            ]
        case .crp:
            return [.init(json: ["mg/L"], conversion: .identity), .init(json: ["mg/dL"], conversion: .multiply(10))]
        case .il6:
            return [.init(json: ["pg/mL"], conversion: .identity), .init(json: ["ng/L"], conversion: .identity)]
        case .fibrinogen:
            return [.init(json: ["mg/dL"], conversion: .identity), .init(json: ["g/L"], conversion: .multiply(100))]
        case .platelets, .anc:
            return [
                .init(
                    json: ["10*3/uL"],
                    aliases: ["10^3/uL", "x10E3/uL", "x10*3/uL", "K/uL", "thou/uL", "10*3/mm3"],
                    conversion: .identity
                ),
                .init(json: ["10*9/L"], aliases: ["10^9/L", "x10E9/L", "x10*9/L", "/nL"], conversion: .identity),
            ]
        case .hemoglobin:
            return [.init(json: ["g/dL"], conversion: .identity), .init(json: ["g/L"], conversion: .divide(10))]
        case .alt, .ast, .ldh:
            return [.init(json: ["U/L", "IU/L"], aliases: ["[IU]/L"], conversion: .identity)]
        case .bilirubin:
            return [.init(json: ["mg/dL"], conversion: .identity), .init(json: micromolar, conversion: .divide(17.1))]
        case .creatinine:
            return [.init(json: ["mg/dL"], conversion: .identity), .init(json: micromolar, conversion: .divide(88.4))]
        case .creatinineClearance:
            return [.init(json: ["mL/min"], conversion: .identity)]
        case .triglycerides:
            return [
                .init(json: ["mg/dL"], conversion: .identity), .init(json: ["mmol/L"], conversion: .multiply(88.57)),
            ]
        case .dDimer:
            return [
                .init(
                    json: ["mg/L FEU", "ug/mL FEU", "µg/mL FEU"],
                    aliases: ["mg/L{FEU}", "ug/mL{FEU}"],
                    conversion: .identity
                ),
                .init(json: ["ng/mL FEU"], aliases: ["ng/mL{FEU}"], conversion: .divide(1000)),
            ]
        case .inr:
            return [.init(json: ["1", "{INR}"], aliases: ["", "INR", "{ratio}", "ratio"], conversion: .identity)]
        }
    }

    /// Every unit spelling the JSON contract accepts for `test`, canonical first (the schema
    /// `Schemas/lab.schema.json` lists the same, a test checks it).
    package static func jsonUnits(for test: LabTest) -> [String] {
        accepted(for: test).flatMap(\.json)
    }

    /// The conversion for a unit spelled exactly as the JSON contract allows, or `nil`.
    package static func jsonConversion(for test: LabTest, unit: String) -> UnitConversion? {
        accepted(for: test).first { $0.json.contains(unit) }?.conversion
    }

    /// The conversion for a unit as HL7/FHIR feeds spell it (case, spacing, micro sign and
    /// UCUM brackets ignored), or `nil`.
    package static func lenientConversion(for test: LabTest, unit: String) -> UnitConversion? {
        let normalized = normalizeUnit(unit)
        return accepted(for: test).first { $0.matchesLeniently(normalized) }?.conversion
    }
}

/// Physical quantities of vitals and body measurements, each with a fixed unit on the wire.
package enum VitalQuantity: String, Sendable, Hashable, CaseIterable {
    case temperature, pressure, rate, saturation, fio2, oxygenFlow, weight, height

    /// The field's unit (DESIGN.md §3).
    package var canonicalUnit: String {
        switch self {
        case .temperature: "Cel"
        case .pressure: "mm[Hg]"
        case .rate: "/min"
        case .saturation: "%"
        case .fio2: "1"
        case .oxygenFlow: "L/min"
        case .weight: "kg"
        case .height: "cm"
        }
    }

    var accepted: [AcceptedUnit] {
        switch self {
        case .temperature:
            [
                .init(json: ["Cel"], aliases: ["°C", "C", "degC", "deg C", "celsius"], conversion: .identity),
                .init(
                    json: ["[degF]"],
                    aliases: ["°F", "F", "degF", "deg F", "fahrenheit"],
                    conversion: .fahrenheitToCelsius
                ),
            ]
        case .pressure:
            [.init(json: ["mm[Hg]"], aliases: ["mmHg", "mm Hg"], conversion: .identity)]
        case .rate:
            [
                .init(
                    json: ["/min"],
                    aliases: [
                        "{beats}/min", "{beat}/min", "{breaths}/min", "{breath}/min", "beats/min", "breaths/min", "bpm",
                        "1/min",
                    ],
                    conversion: .identity
                )
            ]
        case .saturation:
            [.init(json: ["%"], conversion: .identity)]
        case .fio2:
            [
                .init(json: ["1"], aliases: ["{ratio}", "ratio", "fraction"], conversion: .identity),
                .init(json: ["%"], conversion: .divide(100)),
            ]
        case .oxygenFlow:
            [
                .init(json: ["L/min"], aliases: ["l/min", "lpm", "L/mn"], conversion: .identity),
                .init(json: ["mL/min"], conversion: .divide(1000)),
            ]
        case .weight:
            [
                .init(json: ["kg"], conversion: .identity),
                .init(json: ["g"], conversion: .divide(1000)),
                .init(json: ["[lb_av]"], aliases: ["lb", "lbs", "pound", "pounds"], conversion: .multiply(0.45359237)),
                .init(json: ["[oz_av]"], aliases: ["oz", "ounce", "ounces"], conversion: .multiply(0.028349523125)),
            ]
        case .height:
            [
                .init(json: ["cm"], conversion: .identity),
                .init(json: ["m"], conversion: .multiply(100)),
                .init(json: ["mm"], conversion: .divide(10)),
                .init(json: ["[in_i]"], aliases: ["in", "inch", "inches"], conversion: .multiply(2.54)),
            ]
        }
    }

    /// Decimal places a converted value keeps: 0.01 °C, 0.01 kg, 0.1 cm, 0.001 L/min, 0.001 FiO2.
    package var decimals: Int {
        switch self {
        case .temperature, .weight: 2
        case .height: 1
        case .pressure, .rate, .saturation: 1
        case .fio2, .oxygenFlow: 3
        }
    }

    /// Every spelling accepted for this quantity (for error messages).
    var acceptedSpellings: [String] { accepted.flatMap { $0.json + $0.aliases } }

    /// The conversion for a unit as HL7/FHIR feeds spell it, or `nil` when it is not accepted.
    package func conversion(for unit: String) -> UnitConversion? {
        let normalized = normalizeUnit(unit)
        // Exact spellings first: "F" must not be read as "f" of something else, and "m" ≠ "M".
        if let exact = accepted.first(where: { $0.json.contains(unit) || $0.aliases.contains(unit) }) {
            return exact.conversion
        }
        return accepted.first { $0.matchesLeniently(normalized) }?.conversion
    }
}

/// Mass units of medication doses, to milligrams.
package enum DoseUnits {
    /// Decimal places a converted dose keeps (1 µg = 0.001 mg).
    package static let decimals = 3

    static let accepted: [AcceptedUnit] = [
        .init(json: ["mg"], aliases: ["milligram", "milligrams"], conversion: .identity),
        .init(json: ["g"], aliases: ["gram", "grams"], conversion: .multiply(1000)),
        .init(json: ["ug"], aliases: ["µg", "mcg", "microgram", "micrograms"], conversion: .divide(1000)),
    ]

    static var acceptedSpellings: [String] { accepted.flatMap { $0.json + $0.aliases } }

    package static func conversion(for unit: String) -> UnitConversion? {
        let normalized = normalizeUnit(unit)
        return accepted.first { $0.matchesLeniently(normalized) }?.conversion
    }
}
