import Foundation
import ToxicityRules

// Each event struct's fields after the common ones, in declaration order; each returns the
// record's presence bits (bit n: the n-th optional field is present, or a `Bool`'s value).

extension CompactEventCodec {
    static func writePayload(_ e: PatientEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        if let birthDate = presence.note(e.birthDate) { w.date(birthDate) }
        if let ageYears = presence.note(e.ageYears) { w.double(ageYears) }
        if let sex = presence.note(e.sex) { w.byte(CompactCodes.sex.code(of: sex)) }
        if let weightKg = presence.note(e.weightKg) { w.double(weightKg) }
        if let heightCm = presence.note(e.heightCm) { w.double(heightCm) }
        w.varint(UInt64(e.allergies.count))
        for allergy in e.allergies { w.string(allergy) }
        if let infusion = presence.note(e.infusion) {
            w.string(infusion.product)
            w.string(infusion.target)
            w.date(infusion.infusedAt)
        }
        if let protocolId = presence.note(e.protocolId) { w.string(protocolId) }
        if let site = presence.note(e.site) { w.string(site) }
        if let baselineFerritin = presence.note(e.baselineFerritin) { w.double(baselineFerritin) }
        return presence.bits
    }

    static func writePayload(_ e: VitalsEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        if let value = presence.note(e.temperatureC) { w.double(value) }
        if let value = presence.note(e.systolicBP) { w.double(value) }
        if let value = presence.note(e.diastolicBP) { w.double(value) }
        if let value = presence.note(e.meanArterialPressure) { w.double(value) }
        if let value = presence.note(e.heartRate) { w.double(value) }
        if let value = presence.note(e.respiratoryRate) { w.double(value) }
        if let value = presence.note(e.spo2) { w.double(value) }
        let oxygen = presence.note(e.oxygen)
        if let oxygen { w.byte(CompactCodes.oxygenDevice.code(of: oxygen.device)) }
        if let flow = presence.note(oxygen?.flowLPerMin) { w.double(flow) }
        if let fio2 = presence.note(oxygen?.fio2) { w.double(fio2) }
        return presence.bits
    }

    static func writePayload(_ e: NeuroEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        if let score = presence.note(e.iceScore) { w.int(score) }
        if let score = presence.note(e.capdScore) { w.int(score) }
        if let value = presence.note(e.consciousness) { w.byte(CompactCodes.consciousness.code(of: value)) }
        if let value = presence.note(e.seizure) { w.byte(CompactCodes.seizure.code(of: value)) }
        if let value = presence.note(e.motorWeakness) { w.byte(CompactCodes.motorWeakness.code(of: value)) }
        if let value = presence.note(e.cerebralEdema) { w.byte(CompactCodes.cerebralEdema.code(of: value)) }
        w.varint(UInt64(e.raisedIcpSigns.count))
        for sign in e.raisedIcpSigns { w.byte(CompactCodes.raisedICPSign.code(of: sign)) }
        let sedated = presence.note(e.sedated)
        presence.flag(sedated == true)
        return presence.bits
    }

    static func writePayload(_ e: LabEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        w.byte(CompactCodes.labTest.code(of: e.test))
        if let loinc = presence.note(e.loinc) { w.string(loinc) }
        w.double(e.value)
        if let limit = presence.note(e.upperLimitOfNormal) { w.double(limit) }
        return presence.bits
    }

    static func writePayload(_ e: FindingEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        w.byte(CompactCodes.clinicalFinding.code(of: e.finding))
        presence.flag(e.present)
        return presence.bits
    }

    static func writePayload(_ e: MedicationEvent, into w: inout CompactRecordWriter) -> UInt16 {
        var presence = Presence()
        writeDrug(e.drug, into: &w)
        if let rxnorm = presence.note(e.rxnorm) { w.string(rxnorm) }
        w.byte(CompactCodes.medicationAction.code(of: e.action))
        if let dose = presence.note(e.doseMg) { w.double(dose) }
        if let route = presence.note(e.route) { w.byte(CompactCodes.route.code(of: route)) }
        if let rate = presence.note(e.rate) { w.double(rate) }
        return presence.bits
    }

    /// A known drug as its code; any other as 0 and its name.
    static func writeDrug(_ drug: Drug, into w: inout CompactRecordWriter) {
        if case .other(let name) = drug {
            w.byte(0)
            w.string(name)
        } else {
            w.byte(CompactCodes.drug.code(of: drug))
        }
    }
}

/// The presence bits of a record being written, one per optional field (or `Bool`) in order.
struct Presence {
    private(set) var bits: UInt16 = 0
    private var next: UInt16 = 0

    /// Notes whether the next optional field is present, and passes it on.
    mutating func note<Value>(_ value: Value?) -> Value? {
        flag(value != nil)
        return value
    }

    /// Sets the next bit to `value`.
    mutating func flag(_ value: Bool) {
        if value { bits |= 1 << next }
        next += 1
    }
}
