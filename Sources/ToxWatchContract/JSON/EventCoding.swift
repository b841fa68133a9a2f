import Foundation
package import ToxicityRules

// JSON coding of the domain events (DESIGN.md §3). The domain types live in ToxicityRules and
// carry no wire format; these conformances are the contract. Decoding validates every field
// (types, closed value sets, units, physiological ranges, offsets on timestamps) and ignores
// unknown fields; encoding validates the same ranges and writes timestamps in UTC, so that
// decode(encode(x)) == x and encode(decode(encode(x))) == encode(x).
//
// Only the event types conform here; the small enums (Route, Sex …) deliberately do not, so that
// other modules remain free to give them their own Codable conformance.

/// Event types of the contract and the topic each is published on.
package enum EventType: String, Sendable, Hashable, CaseIterable {
    case patient, vitals, neuro, lab, finding, medication, inventory

    package var topic: String {
        switch self {
        case .patient: ToxWatchTopics.patient
        case .vitals: ToxWatchTopics.vitals
        case .neuro: ToxWatchTopics.neuro
        case .lab, .finding: ToxWatchTopics.labs
        case .medication: ToxWatchTopics.meds
        case .inventory: ToxWatchTopics.inventory
        }
    }
}

extension ClinicalEvent {
    package var type: EventType {
        switch self {
        case .patient: .patient
        case .vitals: .vitals
        case .neuro: .neuro
        case .lab: .lab
        case .finding: .finding
        case .medication: .medication
        }
    }
}

extension InventoryEvent {
    /// The record key on `pharmacy.inventory.v1`: `site/drug`.
    package var key: String { "\(site)/\(drug.name)" }
}

// MARK: Common fields

struct CommonFields {
    var eventId: String
    var patientId: String
    var occurredAt: Date

    init(_ r: some ContractFieldReader) throws {
        eventId = try r.identifier("eventId")
        patientId = try r.identifier("patientId")
        occurredAt = try r.timestamp("occurredAt")
    }
}

extension FieldWriter {
    mutating func common(_ type: EventType, eventId: String, patientId: String?, occurredAt: Date) throws {
        try string("type", type.rawValue)
        try identifier("eventId", eventId)
        try identifier("patientId", patientId)
        try timestamp("occurredAt", occurredAt)
    }
}

// MARK: patient

extension PatientEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.patient.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        let birthDate = try r.optionalDate("birthDate")
        if let birthDate, birthDate > common.occurredAt {
            throw EventDecodingError.invalidValue(
                path: r.path("birthDate"),
                value: ISO8601Date.format(birthDate),
                problem: "is after occurredAt"
            )
        }
        var infusion: Infusion?
        if let i = try r.optionalObject("infusion") {
            infusion = Infusion(
                product: try i.string("product"),
                target: try i.string("target"),
                infusedAt: try i.timestamp("infusedAt")
            )
        }
        guard let allergies = try r.optionalStrings("allergies") else {
            throw EventDecodingError.missingField(path: r.path("allergies"))
        }
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            birthDate: birthDate,
            ageYears: try r.optionalNumber("ageYears", in: .ageYears),
            sex: try r.optionalEnum("sex", Sex.self),
            weightKg: try r.optionalNumber("weightKg", in: .weightKg),
            heightCm: try r.optionalNumber("heightCm", in: .heightCm),
            allergies: allergies.map { $0.trimmingWhitespace().lowercased() },
            infusion: infusion,
            protocolId: try r.optionalString("protocol"),
            site: try r.optionalIdentifier("site"),
            baselineFerritin: try r.optionalNumber("baselineFerritin", in: .ferritin)
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        try w.common(.patient, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.date("birthDate", birthDate)
        try w.number("ageYears", ageYears, in: .ageYears)
        try w.raw("sex", sex)
        try w.number("weightKg", weightKg, in: .weightKg)
        try w.number("heightCm", heightCm, in: .heightCm)
        try w.strings("allergies", allergies)
        if let infusion {
            try w.object("infusion") { i in
                try i.string("product", infusion.product)
                try i.string("target", infusion.target)
                try i.timestamp("infusedAt", infusion.infusedAt)
            }
        }
        try w.string("protocol", protocolId)
        try w.identifier("site", site)
        try w.number("baselineFerritin", baselineFerritin, in: .ferritin)
    }
}

// MARK: vitals

extension VitalsEvent: Codable {
    static let measurementFields = [
        "temperatureC", "systolicBP", "diastolicBP", "meanArterialPressure", "heartRate", "respiratoryRate", "spo2",
        "oxygen",
    ]

    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.vitals.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        var oxygen: OxygenSupport?
        if let o = try r.optionalObject("oxygen") {
            oxygen = OxygenSupport(
                device: try o.enumValue("device", OxygenDevice.self),
                flowLPerMin: try o.optionalNumber("flowLPerMin", in: .oxygenFlow),
                fio2: try o.optionalNumber("fio2", in: .fio2)
            )
            try oxygen?.checkConsistency(path: r.path("oxygen"))
        }
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            temperatureC: try r.optionalNumber("temperatureC", in: .temperatureC),
            systolicBP: try r.optionalNumber("systolicBP", in: .systolicBP),
            diastolicBP: try r.optionalNumber("diastolicBP", in: .diastolicBP),
            meanArterialPressure: try r.optionalNumber("meanArterialPressure", in: .meanArterialPressure),
            heartRate: try r.optionalNumber("heartRate", in: .heartRate),
            respiratoryRate: try r.optionalNumber("respiratoryRate", in: .respiratoryRate),
            spo2: try r.optionalNumber("spo2", in: .spo2),
            oxygen: oxygen
        )
        guard hasMeasurement else {
            throw EventDecodingError.missingOneOf(path: jsonPath(r.codingPath), fields: Self.measurementFields)
        }
    }

    var hasMeasurement: Bool {
        temperatureC != nil || systolicBP != nil || diastolicBP != nil || meanArterialPressure != nil
            || heartRate != nil
            || respiratoryRate != nil || spo2 != nil || oxygen != nil
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        guard hasMeasurement else { throw EventDecodingError.missingOneOf(path: "", fields: Self.measurementFields) }
        try w.common(.vitals, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.number("temperatureC", temperatureC, in: .temperatureC)
        try w.number("systolicBP", systolicBP, in: .systolicBP)
        try w.number("diastolicBP", diastolicBP, in: .diastolicBP)
        try w.number("meanArterialPressure", meanArterialPressure, in: .meanArterialPressure)
        try w.number("heartRate", heartRate, in: .heartRate)
        try w.number("respiratoryRate", respiratoryRate, in: .respiratoryRate)
        try w.number("spo2", spo2, in: .spo2)
        if let oxygen {
            try oxygen.checkConsistency(path: "oxygen")
            try w.object("oxygen") { o in
                try o.raw("device", oxygen.device)
                try o.number("flowLPerMin", oxygen.flowLPerMin, in: .oxygenFlow)
                try o.number("fio2", oxygen.fio2, in: .fio2)
            }
        }
    }
}

extension OxygenSupport {
    /// Room air with a flow or an FiO2 above 0.21 is a contradiction the engine must not grade; an
    /// `unknown` device is graded by its flow, so it needs one.
    /// - Parameter path: the object's path, made only for an error.
    func checkConsistency(path: @autoclosure () -> String) throws(EventDecodingError) {
        if device == .unknown, flowLPerMin == nil { throw .missingField(path: path() + ".flowLPerMin") }
        guard device == .roomAir else { return }
        if let flow = flowLPerMin, flow > 0 {
            throw .invalidValue(
                path: path() + ".flowLPerMin",
                value: formatNumber(flow),
                problem: "is a flow, which contradicts device room-air"
            )
        }
        if let fio2, fio2 > 0.21 {
            throw .invalidValue(
                path: path() + ".fio2",
                value: formatNumber(fio2),
                problem: "is above 0.21, which contradicts device room-air"
            )
        }
    }
}

// MARK: neuro

extension NeuroEvent: Codable {
    static let assessmentFields = [
        "iceScore", "capdScore", "consciousness", "seizure", "motorWeakness", "cerebralEdema", "raisedIcpSigns",
        "sedated",
    ]

    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.neuro.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            iceScore: try r.optionalInteger("iceScore", in: .iceScore),
            capdScore: try r.optionalInteger("capdScore", in: .capdScore),
            consciousness: try r.optionalEnum("consciousness", Consciousness.self),
            seizure: try r.optionalEnum("seizure", Seizure.self),
            motorWeakness: try r.optionalEnum("motorWeakness", MotorWeakness.self),
            cerebralEdema: try r.optionalEnum("cerebralEdema", CerebralEdema.self),
            raisedIcpSigns: try r.optionalEnums("raisedIcpSigns", RaisedICPSign.self) ?? [],
            sedated: try r.optionalBool("sedated")
        )
        guard hasAssessment else {
            throw EventDecodingError.missingOneOf(path: jsonPath(r.codingPath), fields: Self.assessmentFields)
        }
    }

    var hasAssessment: Bool {
        iceScore != nil || capdScore != nil || consciousness != nil || seizure != nil || motorWeakness != nil
            || cerebralEdema != nil || !raisedIcpSigns.isEmpty || sedated != nil
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        guard hasAssessment else { throw EventDecodingError.missingOneOf(path: "", fields: Self.assessmentFields) }
        try w.common(.neuro, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.integer("iceScore", iceScore, in: .iceScore)
        try w.integer("capdScore", capdScore, in: .capdScore)
        try w.raw("consciousness", consciousness)
        try w.raw("seizure", seizure)
        try w.raw("motorWeakness", motorWeakness)
        try w.raw("cerebralEdema", cerebralEdema)
        if !raisedIcpSigns.isEmpty { try w.raws("raisedIcpSigns", raisedIcpSigns) }
        try w.bool("sedated", sedated)
    }
}

// MARK: lab

extension LabEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.lab.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        let test = try r.enumValue("test", LabTest.self)
        let loinc = try r.optionalString("loinc")
        if let loinc { try Self.checkLOINC(loinc, test: test, path: r.path("loinc")) }
        let unit = try r.string("unit")
        guard let conversion = LabUnits.jsonConversion(for: test, unit: unit) else {
            throw EventDecodingError.unknownUnit(
                path: r.path("unit"),
                unit: unit,
                allowed: LabUnits.jsonUnits(for: test)
            )
        }
        let inGivenUnit = PlausibleRange(0, PlausibleRange.labMaximum, unit: unit)
        let value = try r.number("value", in: inGivenUnit)
        let uln = try r.optionalNumber("upperLimitOfNormal", in: inGivenUnit)
        // A conversion by a factor (mmol/L → mg/dL) must not carry a value past the test's range.
        func checkConverted(_ given: Double?, _ key: String) throws(EventDecodingError) {
            guard let given else { return }
            let converted = conversion.apply(given, decimals: LabUnits.decimals)
            guard PlausibleRange.lab(test).contains(converted) else {
                throw .outOfRange(path: r.path(key), value: converted, range: .lab(test))
            }
        }
        try checkConverted(value, "value")
        try checkConverted(uln, "upperLimitOfNormal")
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            test: test,
            loinc: loinc,
            value: conversion.apply(value, decimals: LabUnits.decimals),
            upperLimitOfNormal: uln.map { conversion.apply($0, decimals: LabUnits.decimals) }
        )
    }

    /// A LOINC must look like one and, when ToxWatch knows it, denote the same test.
    static func checkLOINC(_ loinc: String, test: LabTest, path: String) throws(EventDecodingError) {
        let parts = loinc.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...7).contains(parts[0].count), parts[1].count == 1,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { throw .invalidValue(path: path, value: loinc, problem: "is not a LOINC code (expected e.g. 2276-4)") }
        if let known = ObservationCodes.loinc[loinc], known != .lab(test) {
            throw .invalidValue(path: path, value: loinc, problem: "does not denote the test \(test.rawValue)")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        try w.common(.lab, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.raw("test", test)
        if let loinc { try Self.checkLOINC(loinc, test: test, path: "loinc") }
        try w.string("loinc", loinc)
        try w.number("value", value, in: .lab(test))
        try w.string("unit", test.canonicalUnit)
        try w.number("upperLimitOfNormal", upperLimitOfNormal, in: .lab(test))
    }
}

// MARK: finding

extension FindingEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.finding.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            finding: try r.enumValue("finding", ClinicalFinding.self),
            present: try r.optionalBool("present") ?? true
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        try w.common(.finding, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.raw("finding", finding)
        try w.bool("present", present)
    }
}

// MARK: medication

extension MedicationEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.medication.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        let common = try CommonFields(r)
        let drug = try r.drug("drug")
        let rxnorm = try r.optionalString("rxnorm")
        if let rxnorm { try Self.checkRxNorm(rxnorm, drug: drug, path: r.path("rxnorm")) }
        self.init(
            eventId: common.eventId,
            patientId: common.patientId,
            occurredAt: common.occurredAt,
            drug: drug,
            rxnorm: rxnorm,
            action: try r.enumValue("action", MedicationAction.self),
            doseMg: try r.optionalNumber("doseMg", in: .doseMg),
            route: try r.optionalEnum("route", Route.self),
            rate: try r.optionalNumber("rate", in: .rate)
        )
    }

    /// An RxNorm RXCUI is digits and, when ToxWatch knows it, denotes the same drug as `drug`.
    static func checkRxNorm(_ rxnorm: String, drug: Drug, path: String) throws(EventDecodingError) {
        guard rxnorm.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalidValue(path: path, value: rxnorm, problem: "is not an RxNorm RXCUI (digits)")
        }
        if let known = ObservationCodes.rxnorm[rxnorm], known != drug {
            throw .invalidValue(path: path, value: rxnorm, problem: "denotes \(known.name), not the drug named in drug")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        try w.common(.medication, eventId: eventId, patientId: patientId, occurredAt: occurredAt)
        try w.identifier("drug", drug.name)
        if let rxnorm { try Self.checkRxNorm(rxnorm, drug: drug, path: "rxnorm") }
        try w.string("rxnorm", rxnorm)
        try w.raw("action", action)
        try w.number("doseMg", doseMg, in: .doseMg)
        try w.raw("route", route)
        try w.number("rate", rate, in: .rate)
    }
}

// MARK: inventory

extension InventoryEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        try r.expectType(EventType.inventory.rawValue)
        try self.init(reading: r)
    }

    init(reading r: some ContractFieldReader) throws {
        self.init(
            eventId: try r.identifier("eventId"),
            occurredAt: try r.timestamp("occurredAt"),
            site: try r.identifier("site"),
            drug: try r.drug("drug"),
            status: try r.enumValue("status", StockStatus.self),
            unitsOnHand: try r.optionalInteger("unitsOnHand", in: .unitsOnHand),
            unitMg: try r.optionalNumber("unitMg", in: .unitMg)
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        try w.common(.inventory, eventId: eventId, patientId: nil, occurredAt: occurredAt)
        try w.identifier("site", site)
        try w.identifier("drug", drug.name)
        try w.raw("status", status)
        try w.integer("unitsOnHand", unitsOnHand, in: .unitsOnHand)
        try w.number("unitMg", unitMg, in: .unitMg)
    }
}

// MARK: any clinical event

extension ClinicalEvent: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        self = try Self(reading: r, type: try r.enumValue("type", ClinicalEventType.self))
    }

    init(reading r: some ContractFieldReader, type: ClinicalEventType) throws {
        switch type {
        case .patient: self = .patient(try PatientEvent(reading: r))
        case .vitals: self = .vitals(try VitalsEvent(reading: r))
        case .neuro: self = .neuro(try NeuroEvent(reading: r))
        case .lab: self = .lab(try LabEvent(reading: r))
        case .finding: self = .finding(try FindingEvent(reading: r))
        case .medication: self = .medication(try MedicationEvent(reading: r))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var w = FieldWriter(encoder)
        try write(&w)
    }

    func write(_ w: inout FieldWriter) throws {
        switch self {
        case .patient(let e): try e.write(&w)
        case .vitals(let e): try e.write(&w)
        case .neuro(let e): try e.write(&w)
        case .lab(let e): try e.write(&w)
        case .finding(let e): try e.write(&w)
        case .medication(let e): try e.write(&w)
        }
    }
}

/// The event types of a patient's course (every ``EventType`` but `inventory`).
enum ClinicalEventType: String, CaseIterable, Sendable {
    case patient, vitals, neuro, lab, finding, medication
}
