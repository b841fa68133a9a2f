import ToxTestSupport

@testable import ToxWatchContract
@testable import ToxicityRules

/// A JSON value as the codec tests build documents: members keep their order (and may repeat),
/// numbers keep the text they are written with.
indirect enum TestJSON: Equatable, Sendable {
    case object([(String, TestJSON)])
    case array([TestJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (a: TestJSON, b: TestJSON) -> Bool { a.render() == b.render() }

    /// The document's bytes; with a generator, keys and strings are escaped at random (`\u`
    /// escapes, surrogate pairs, `\/`) and white space is added between tokens.
    func render(_ rng: inout SplitMix64) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, rng: &rng)
        return out
    }

    func render() -> [UInt8] {
        var rng = SplitMix64(state: 0)
        var out: [UInt8] = []
        write(into: &out, rng: &rng, plain: true)
        return out
    }

    private func write(into out: inout [UInt8], rng: inout SplitMix64, plain: Bool = false) {
        func space() {
            if !plain, rng.next() % 8 == 0 {
                out += [[0x20], [0x0A], [0x09, 0x20], [0x0D, 0x0A]][Int(rng.next() % 4)]
            }
        }
        space()
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                space()
                Self.writeString(key, into: &out, rng: &rng, plain: plain)
                space()
                out.append(UInt8(ascii: ":"))
                value.write(into: &out, rng: &rng, plain: plain)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out, rng: &rng, plain: plain)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text): Self.writeString(text, into: &out, rng: &rng, plain: plain)
        case .number(let text): out += Array(text.utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .null: out += Array("null".utf8)
        }
        space()
    }

    private static func writeString(_ text: String, into out: inout [UInt8], rng: inout SplitMix64, plain: Bool) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            let escape = !plain && rng.next() % 12 == 0
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\t": out += Array("\\t".utf8)
            case "/" where escape: out += Array("\\/".utf8)
            case _ where scalar.value < 0x20 || escape:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: rng.next() % 2 == 0)
                    out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                }
            default: out += Array(String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Random documents of the event contract: every event type, every field (optional ones at
/// random), values inside their plausible ranges written in varied number formats, timestamps
/// with offsets and fractions, identifiers with non-ASCII text, unknown fields and `null`s.
/// Most decode; a few break a cross-field rule (a birth date after `occurredAt`, a LOINC of
/// another test), which both readers must refuse alike.
enum RandomEventDocuments {
    static let eventTypes = EventType.allCases

    static func document(_ rng: inout SplitMix64) -> TestJSON {
        let type = eventTypes[Int(rng.next() % UInt64(eventTypes.count))]
        var members: [(String, TestJSON)] = [("type", .string(type.rawValue))]
        members.append(("eventId", .string(identifier(&rng))))
        if type != .inventory { members.append(("patientId", .string(identifier(&rng)))) }
        members.append(("occurredAt", .string(timestamp(&rng))))
        members += fields(of: type, &rng)
        if chance(&rng, 4) {
            var source: [(String, TestJSON)] = [("system", .string(identifier(&rng)))]
            if chance(&rng, 2) {
                source.append(("messageType", .string(pick(["ORU^R01", "Observation", "ADT^A01"], &rng))))
            }
            members.append(("source", .object(source)))
        }
        if chance(&rng, 5) { members.append(("note\(rng.next() % 9)", unknownValue(&rng))) }
        if chance(&rng, 3) { members.shuffle(using: &rng) }
        return .object(members)
    }

    private static func fields(of type: EventType, _ rng: inout SplitMix64) -> [(String, TestJSON)] {
        var f: [(String, TestJSON)] = []
        func maybe(_ key: String, _ value: @autoclosure () -> TestJSON, _ odds: UInt64 = 2) {
            if rng.next() % odds == 0 {
                f.append((key, value()))
            } else if rng.next() % 10 == 0 {
                f.append((key, .null))
            }
        }
        switch type {
        case .patient:
            if chance(&rng, 2) {
                f.append(
                    (
                        "birthDate",
                        .string(
                            String(pad(Int(1990 + rng.next() % 30), 4)) + "-0\(1 + rng.next() % 9)-1\(rng.next() % 10)")
                    ))
            } else {
                f.append(("ageYears", number(in: .ageYears, &rng)))
            }
            maybe("sex", .string(pick(Sex.allCases.map(\.rawValue), &rng)))
            f.append(("weightKg", number(in: .weightKg, &rng)))
            maybe("heightCm", number(in: .heightCm, &rng))
            f.append(
                (
                    "allergies",
                    .array(
                        (0..<rng.next() % 3).map { _ in
                            .string(pick(["e-coli-derived-protein", "Penicillin ", "latex"], &rng))
                        })
                ))
            if chance(&rng, 2) {
                f.append(
                    (
                        "infusion",
                        .object([
                            ("product", .string(pick(["tisagenlecleucel", "axi-cel", "Kymriah®"], &rng))),
                            ("target", .string(pick(["CD19", "CD22", "BCMA", "GD2"], &rng))),
                            ("infusedAt", .string(timestamp(&rng))),
                        ])
                    ))
            }
            maybe("protocol", .string(pick(["anakinra-crs-icans-v1", "peds-anakinra"], &rng)))
            maybe("site", .string(identifier(&rng)))
            maybe("baselineFerritin", number(in: .ferritin, &rng))
        case .vitals:
            maybe("temperatureC", number(in: .temperatureC, &rng))
            maybe("systolicBP", number(in: .systolicBP, &rng))
            maybe("diastolicBP", number(in: .diastolicBP, &rng))
            maybe("meanArterialPressure", number(in: .meanArterialPressure, &rng), 4)
            maybe("heartRate", number(in: .heartRate, &rng))
            maybe("respiratoryRate", number(in: .respiratoryRate, &rng), 3)
            maybe("spo2", number(in: .spo2, &rng))
            if chance(&rng, 3) {
                let device = OxygenDevice.allCases[Int(rng.next() % UInt64(OxygenDevice.allCases.count))]
                var oxygen: [(String, TestJSON)] = [("device", .string(device.rawValue))]
                if device != .roomAir || chance(&rng, 4) {
                    oxygen.append(("flowLPerMin", number(in: .oxygenFlow, &rng)))
                }
                if chance(&rng, 2) { oxygen.append(("fio2", number(in: .fio2, &rng))) }
                f.append(("oxygen", .object(oxygen)))
            }
        case .neuro:
            maybe("iceScore", .number(String(rng.next() % 11)))
            maybe("capdScore", .number(String(rng.next() % 33)), 3)
            maybe("consciousness", .string(pick(Consciousness.allCases.map(\.rawValue), &rng)))
            maybe("seizure", .string(pick(Seizure.allCases.map(\.rawValue), &rng)), 3)
            maybe("motorWeakness", .string(pick(MotorWeakness.allCases.map(\.rawValue), &rng)), 3)
            maybe("cerebralEdema", .string(pick(CerebralEdema.allCases.map(\.rawValue), &rng)), 3)
            maybe(
                "raisedIcpSigns",
                .array((0..<rng.next() % 3).map { _ in .string(pick(RaisedICPSign.allCases.map(\.rawValue), &rng)) }), 3
            )
            maybe("sedated", .bool(chance(&rng, 2)), 3)
        case .lab:
            let test = LabTest.allCases[Int(rng.next() % UInt64(LabTest.allCases.count))]
            f.append(("test", .string(test.rawValue)))
            if chance(&rng, 3) {
                let known = ObservationCodes.loinc.filter { $0.value == .lab(test) }.keys.sorted()
                f.append(("loinc", .string(known.first.map { chance(&rng, 8) ? "2276-4" : $0 } ?? "1234-5")))
            }
            f.append(("value", number(in: PlausibleRange(0, 2000), &rng)))
            f.append(("unit", .string(pick(LabUnits.jsonUnits(for: test), &rng))))
            maybe("upperLimitOfNormal", number(in: PlausibleRange(0, 500), &rng), 3)
        case .finding:
            f.append(("finding", .string(pick(ClinicalFinding.allCases.map(\.rawValue), &rng))))
            maybe("present", .bool(chance(&rng, 2)))
        case .medication:
            let drug = pick(["anakinra", "tocilizumab", "dexamethasone", "Norepinephrine", "vitamin-z"], &rng)
            f.append(("drug", .string(drug)))
            if chance(&rng, 4) {
                f.append(("rxnorm", .string(ObservationCodes.rxnorm.first { $0.value.name == drug }?.key ?? "12345")))
            }
            f.append(("action", .string(pick(MedicationAction.allCases.map(\.rawValue), &rng))))
            maybe("doseMg", number(in: PlausibleRange(0, 2000), &rng))
            maybe("route", .string(pick(Route.allCases.map(\.rawValue), &rng)))
            maybe("rate", number(in: PlausibleRange(0, 50), &rng), 3)
        case .inventory:
            f.append(("site", .string(identifier(&rng))))
            f.append(("drug", .string(pick(["anakinra", "tocilizumab", "siltuximab"], &rng))))
            f.append(("status", .string(pick(StockStatus.allCases.map(\.rawValue), &rng))))
            maybe("unitsOnHand", .number(String(rng.next() % 500)))
            maybe("unitMg", number(in: PlausibleRange(1, 400), &rng))
        }
        return f
    }

    /// A value of `range` in one of JSON's spellings: `38`, `38.5`, `3.85e1`, `385E-1`, `-0`.
    static func number(in range: PlausibleRange, _ rng: inout SplitMix64) -> TestJSON {
        let upper = range.upper ?? range.lower + 1000
        let unit = Double(rng.next() % 1_000_001) / 1_000_000
        var value = range.lower + (upper - range.lower) * unit
        switch rng.next() % 6 {
        case 0: value = value.rounded()
        case 1: value = (value * 10).rounded() / 10
        case 2: value = (value * 100).rounded() / 100
        default: break
        }
        value = min(max(value, range.lower), upper)
        if range.lowerExclusive, value <= range.lower { value = upper }
        if value == value.rounded(), value < 1e15 {
            let whole = String(Int64(value))
            switch rng.next() % 4 {
            case 0: return .number(value == 0 ? "-0" : whole + ".0")
            case 1: return .number(whole + "e0")
            default: return .number(whole)
            }
        }
        let text = "\(value)"
        if rng.next() % 4 == 0, let dot = text.firstIndex(of: "."), !text.contains("e") {
            // Move the point: 38.5 → 385E-1.
            let digits = text.filter { $0 != "." }
            let exponent = text.distance(from: dot, to: text.endIndex) - 1
            return .number(digits + (rng.next() % 2 == 0 ? "E-" : "e-") + String(exponent))
        }
        return .number(text)
    }

    static func timestamp(_ rng: inout SplitMix64) -> String {
        var text = "2026-0\(1 + rng.next() % 9)-\(pad(Int(1 + rng.next() % 28), 2))"
        text += pick(["T", "t"], &rng, odds: [9, 1])
        text += pad(Int(rng.next() % 24), 2) + ":" + pad(Int(rng.next() % 60), 2) + ":" + pad(Int(rng.next() % 60), 2)
        if chance(&rng, 3) { text += "." + String(rng.next() % 1_000_000_000).prefix(Int(1 + rng.next() % 9)) }
        switch rng.next() % 4 {
        case 0: text += "+" + pad(Int(rng.next() % 15), 2) + ":" + pick(["00", "30", "45"], &rng)
        case 1: text += "-0" + String(rng.next() % 10) + ":00"
        default: text += pick(["Z", "z"], &rng, odds: [9, 1])
        }
        return text
    }

    static func identifier(_ rng: inout SplitMix64) -> String {
        let stems = ["P-", "patient/", "évt-", "病人-", "𝄞-", "id with space ", "mrn:"]
        return pick(stems, &rng) + String(rng.next() % 100_000)
    }

    private static func unknownValue(_ rng: inout SplitMix64) -> TestJSON {
        pick(
            [
                .object([("a", .number("1")), ("b", .array([.null, .bool(true)]))]), .string("free text"),
                .number("1e300"),
                .array([]), .null,
            ], &rng)
    }

    static func chance(_ rng: inout SplitMix64, _ oneIn: UInt64) -> Bool { rng.next() % oneIn == 0 }

    static func pick<T>(_ values: [T], _ rng: inout SplitMix64, odds: [UInt64]? = nil) -> T {
        guard let odds else { return values[Int(rng.next() % UInt64(values.count))] }
        var roll = rng.next() % odds.reduce(0, +)
        for (value, weight) in zip(values, odds) {
            if roll < weight { return value }
            roll -= weight
        }
        return values[values.count - 1]
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
