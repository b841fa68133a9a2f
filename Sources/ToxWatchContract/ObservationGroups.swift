import Foundation
import ToxicityRules

// Observations that make one event together, shared by the HL7 and FHIR adapters: vitals taken
// at the same time (one `vitals` event, its oxygen assembled from device, flow and FiO2), neuro
// domains assessed together (one `neuro` event), weight and height (one `patient` event).
// Two different values for the same field at the same time are a conflict: the later
// observation is rejected rather than one of them silently winning.

/// Vitals observed together (same OBR, same time): one `vitals` event.
struct VitalsGroup {
    var group: String
    var occurredAt: Date
    var values: [VitalField: (value: Double, at: String)] = [:]
    var device: (device: OxygenDevice, at: String)?

    mutating func set(_ field: VitalField, _ value: Double, at path: String) throws(EventDecodingError) {
        if let existing = values[field] {
            guard existing.value == value else {
                throw .invalidValue(
                    path: path,
                    value: formatNumber(value),
                    problem: "conflicts with the \(field.jsonField) observed at \(existing.at) at the same time"
                )
            }
            return
        }
        values[field] = (value, path)
    }

    mutating func setDevice(_ newDevice: OxygenDevice, at path: String) throws(EventDecodingError) {
        if let device, device.device != newDevice {
            throw .invalidValue(
                path: path,
                value: "",
                problem: "device \(newDevice.rawValue) conflicts with \(device.device.rawValue) at \(device.at)"
            )
        }
        device = (newDevice, path)
    }

    /// The event (`nil` when nothing is left) and the observations rejected while assembling
    /// it: an FiO2 without a device or a flow (the other vitals are kept), or oxygen values
    /// contradicting the device. A flow charted without a device is supplemental oxygen from an
    /// unknown device (`oxygen.device: "unknown"`, the flow kept), as real feeds often chart it.
    func event(patientId: String) -> (VitalsEvent?, [EventDecodingError]) {
        var oxygen: OxygenSupport?
        var rejected: [EventDecodingError] = []
        let flow = values[.oxygenFlow]
        let fio2 = values[.fio2]
        if let device {
            oxygen = OxygenSupport(device: device.device, flowLPerMin: flow?.value, fio2: fio2?.value)
            do throws(EventDecodingError) {
                try oxygen?.checkConsistency(path: "oxygen")
            } catch {
                rejected.append(
                    .invalidValue(
                        path: flow?.at ?? fio2?.at ?? device.at,
                        value: "",
                        problem: device.device == .unknown
                            ? "an oxygen device charted as unknown needs an oxygen flow observed at the same time"
                            : "contradicts the oxygen device \(device.device.rawValue) observed at \(device.at)"
                    )
                )
                oxygen = nil
            }
        } else if let flow {
            oxygen = OxygenSupport(device: .unknown, flowLPerMin: flow.value, fio2: fio2?.value)
        } else if let fio2 {
            rejected.append(
                .invalidValue(
                    path: fio2.at,
                    value: formatNumber(fio2.value),
                    problem:
                        "is an FiO2 without an oxygen flow or a delivery device observed at the same time (code o2-device)"
                )
            )
        }
        let event = VitalsEvent(
            eventId: "",
            patientId: patientId,
            occurredAt: occurredAt,
            temperatureC: values[.temperature]?.value,
            systolicBP: values[.systolic]?.value,
            diastolicBP: values[.diastolic]?.value,
            meanArterialPressure: values[.meanArterialPressure]?.value,
            heartRate: values[.heartRate]?.value,
            respiratoryRate: values[.respiratoryRate]?.value,
            spo2: values[.spo2]?.value,
            oxygen: oxygen
        )
        return (event.hasMeasurement ? event : nil, rejected)
    }
}

/// Neuro findings assessed together: one `neuro` event.
struct NeuroGroup {
    var group: String
    var event: NeuroEvent
    var setBy: [NeuroField: String] = [:]

    mutating func replace(with updated: NeuroEvent, field: NeuroField, at path: String) throws(EventDecodingError) {
        if let earlier = setBy[field], field != .raisedIcpSign, updated != event {
            throw .invalidValue(
                path: path,
                value: "",
                problem: "\(field.rawValue) conflicts with \(earlier) at the same time"
            )
        }
        setBy[field] = setBy[field] ?? path
        event = updated
    }
}

/// Body weight and height measured together: a `patient` event (or part of the ADT one).
struct BodyGroup {
    var group: String
    var occurredAt: Date
    var weightKg: Double?
    var heightCm: Double?
    var setBy: [BodyMeasure: String] = [:]

    mutating func set(_ measure: BodyMeasure, _ value: Double, at path: String) throws(EventDecodingError) {
        let existing = measure == .weight ? weightKg : heightCm
        if let existing, existing != value, let earlier = setBy[measure] {
            throw .invalidValue(
                path: path,
                value: formatNumber(value),
                problem: "conflicts with the \(measure == .weight ? "weight" : "height") observed at \(earlier)"
            )
        }
        if measure == .weight { weightKg = value } else { heightCm = value }
        setBy[measure] = setBy[measure] ?? path
    }
}

/// The value of a neuro observation as a feed sends it.
enum NeuroValue {
    case number(Double)
    case codes([String])
    case bool(Bool)
}

extension NeuroEvent {
    /// Sets `field` from `value` (scores checked against their ranges, codes against the
    /// contract's value sets, case-insensitively).
    mutating func apply(_ field: NeuroField, _ value: NeuroValue, at path: String) throws(EventDecodingError) {
        func codes() throws(EventDecodingError) -> [String] {
            switch value {
            case .codes(let codes) where !codes.isEmpty: return codes
            case .bool(let flag): return [flag ? "y" : "n"]
            case .number(let number): return [formatNumber(number)]
            default: throw .missingField(path: path)
            }
        }
        func code<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(EventDecodingError) -> E
        where E.RawValue == String {
            let text = try codes()[0]
            guard let decoded = E(rawValue: text.lowercased()) else {
                throw .unknownValue(path: path, value: text, allowed: E.allCases.map(\.rawValue))
            }
            return decoded
        }
        switch field {
        case .iceScore, .capdScore:
            guard case .number(let number) = value else {
                throw .wrongType(path: path, expected: "a number", found: (try? codes().first) ?? "another type")
            }
            let range: PlausibleRange = field == .iceScore ? .iceScore : .capdScore
            guard range.contains(number) else { throw .outOfRange(path: path, value: number, range: range) }
            if field == .iceScore { iceScore = Int(number) } else { capdScore = Int(number) }
        case .consciousness: consciousness = try code(Consciousness.self)
        case .seizure: seizure = try code(Seizure.self)
        case .motorWeakness: motorWeakness = try code(MotorWeakness.self)
        case .cerebralEdema: cerebralEdema = try code(CerebralEdema.self)
        case .raisedIcpSign:
            for text in try codes() {
                guard let sign = RaisedICPSign(rawValue: text.lowercased()) else {
                    throw .unknownValue(path: path, value: text, allowed: RaisedICPSign.allCases.map(\.rawValue))
                }
                if !raisedIcpSigns.contains(sign) { raisedIcpSigns.append(sign) }
            }
        case .sedated:
            if case .bool(let flag) = value {
                sedated = flag
            } else {
                let text = try codes()[0]
                guard let flag = parseYesNo(text) else {
                    throw .unknownValue(path: path, value: text, allowed: ["Y", "N"])
                }
                sedated = flag
            }
        }
    }
}
