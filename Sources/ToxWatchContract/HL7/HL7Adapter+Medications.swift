import Foundation
import ToxicityRules

// Medication messages of the HL7 v2 adapter (Docs/HL7-FHIR.md): RAS^O17 administrations (RXA +
// RXR) and RDE^O11 orders (ORC + RXE + RXR).

extension HL7Mapper {
    // MARK: RAS^O17

    mutating func mapAdministrations() throws(EventDecodingError) {
        let segments = message.segments
        for (index, rxa) in segments.enumerated() where rxa.id == "RXA" {
            let following = segments[(index + 1)...].prefix { $0.id != "RXA" && $0.id != "ORC" }
            do throws(EventDecodingError) {
                if let status = try rxa.text(20)?.uppercased(), !["CP", "PA"].contains(status) {
                    result.skip(location(rxa, 20), "completion status \(status): not administered")
                    continue
                }
                if let action = try rxa.text(21)?.uppercased(), action == "D" {
                    result.skip(location(rxa, 21), "action code D (delete) is not supported")
                    continue
                }
                guard let start = try time(rxa, 3) else { throw .missingField(path: location(rxa, 3)) }
                let (drug, rxnorm) = try drug(rxa, 5)
                let dose = try dose(rxa, amountField: 6, unitField: 7)
                let route = try route(in: following)
                let rate = try rxa.text(12).flatMap { leadingNumber($0) }
                var actions: [(MedicationAction, Date)] = [(.administered, start)]
                if rate != nil {
                    if try rxa.text(21)?.uppercased() == "U" {
                        actions = [(.infusionRateChanged, start)]
                    } else {
                        actions = [(.infusionStarted, start)]
                        if let end = try time(rxa, 4), end > start { actions.append((.infusionStopped, end)) }
                    }
                }
                for (action, date) in actions {
                    slots.append(
                        .event(
                            .medication(
                                MedicationEvent(
                                    eventId: "",
                                    patientId: patientId,
                                    occurredAt: date,
                                    drug: drug,
                                    rxnorm: rxnorm,
                                    action: action,
                                    doseMg: action == .infusionStopped ? nil : dose,
                                    route: route,
                                    rate: action == .infusionStopped ? nil : rate
                                )
                            )
                        )
                    )
                }
            } catch {
                result.rejected.append(error)
            }
        }
    }

    // MARK: RDE^O11

    mutating func mapOrders() throws(EventDecodingError) {
        let segments = message.segments
        var orc: HL7Segment?
        for (index, segment) in segments.enumerated() {
            if segment.id == "ORC" { orc = segment }
            guard segment.id == "RXE" else { continue }
            let following = segments[(index + 1)...].prefix { $0.id != "RXE" && $0.id != "ORC" }
            do throws(EventDecodingError) {
                let control = try orc?.text(1)?.uppercased() ?? "NW"
                let action: MedicationAction
                switch control {
                case "NW", "XO", "RO", "SN", "OK", "SC": action = .ordered
                case "DC", "OD", "CA", "OC", "CR", "DR": action = .discontinued
                default:
                    if let orc { result.skip(location(orc, 1), "order control \(control) is not mapped") }
                    continue
                }
                var occurredAt: Date?
                if let orc { occurredAt = try time(orc, 9) }
                if occurredAt == nil { occurredAt = try time(message.header, 7) }
                guard let occurredAt else { throw .missingField(path: "ORC-9 and MSH-7 (order time)") }
                let (drug, rxnorm) = try drug(segment, 2)
                let dose = try dose(segment, amountField: 3, unitField: 5)
                let rate = try segment.text(23).flatMap(parseDecimal)
                if let rate, !PlausibleRange.rate.contains(rate) {
                    throw .outOfRange(path: location(segment, 23), value: rate, range: .rate)
                }
                slots.append(
                    .event(
                        .medication(
                            MedicationEvent(
                                eventId: "",
                                patientId: patientId,
                                occurredAt: occurredAt,
                                drug: drug,
                                rxnorm: rxnorm,
                                action: action,
                                doseMg: dose,
                                route: try route(in: following),
                                rate: rate
                            )
                        )
                    )
                )
            } catch {
                result.rejected.append(error)
            }
        }
    }

    // MARK: Medication fields

    /// A CWE drug code: RxNorm code when known, else the text (or identifier) as a name.
    func drug(_ segment: HL7Segment, _ field: Int) throws(EventDecodingError) -> (Drug, String?) {
        let code = try segment.text(field, component: 1)
        let text = try segment.text(field, component: 2)
        let system = try segment.text(field, component: 3)
        var rxnorm: String?
        if ClinicalVocabulary.isRxNormSystem(system), let code {
            guard code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw .invalidValue(
                    path: location(segment, field),
                    value: code,
                    problem: "is not an RxNorm RXCUI (digits)"
                )
            }
            rxnorm = code
            if let known = ObservationCodes.rxnorm[code] {
                if let text, case let named = ObservationCodes.drug(fromText: text), Drug.known.contains(named),
                    named != known
                {
                    throw .invalidValue(
                        path: location(segment, field),
                        value: code,
                        problem: "denotes \(known.name) but the text names \(named.name)"
                    )
                }
                return (known, rxnorm)
            }
        }
        guard let name = text ?? (rxnorm == nil ? code : nil) else {
            throw .missingField(path: location(segment, field))
        }
        let drug = ObservationCodes.drug(fromText: name)
        try InputIdentifier.check(drug.name, path: location(segment, field))
        return (drug, rxnorm)
    }

    /// A dose amount and its unit, in mg; `nil` when no amount is given.
    func dose(_ segment: HL7Segment, amountField: Int, unitField: Int) throws(EventDecodingError) -> Double? {
        guard let text = try segment.text(amountField) else { return nil }
        guard let amount = parseDecimal(text) else {
            throw .invalidValue(path: location(segment, amountField), value: text, problem: "is not a number")
        }
        var unit = try segment.text(unitField, component: 1)
        if unit == nil { unit = try segment.text(unitField, component: 2) }
        let unitText = unit ?? ""
        guard let conversion = DoseUnits.conversion(for: unitText) else {
            throw .unknownUnit(path: location(segment, unitField), unit: unitText, allowed: DoseUnits.acceptedSpellings)
        }
        let mg = conversion.apply(amount, decimals: DoseUnits.decimals)
        guard PlausibleRange.doseMg.contains(mg) else {
            throw .outOfRange(path: location(segment, amountField), value: mg, range: .doseMg)
        }
        return mg
    }

    /// RXR-1 of the first RXR among `segments`; an unknown route is skipped (the route is optional).
    mutating func route(in segments: ArraySlice<HL7Segment>) throws(EventDecodingError) -> Route? {
        guard let rxr = segments.first(where: { $0.id == "RXR" }) else { return nil }
        let code = try rxr.text(1, component: 1)
        let text = try rxr.text(1, component: 2)
        for candidate in [code, text].compactMap({ $0 }) {
            if let route = ClinicalVocabulary.route(candidate) { return route }
        }
        if code != nil || text != nil {
            result.skip(location(rxr, 1), "route \(code ?? text ?? "") is not IV, SC or PO")
        }
        return nil
    }
}
