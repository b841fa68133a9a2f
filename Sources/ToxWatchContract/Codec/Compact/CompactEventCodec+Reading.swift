import Foundation
import ToxicityRules

// The readers of ``CompactEventCodec``'s payloads: the fields ``CompactEventCodec/writePayload``
// writes, in the same order, each optional one read when its presence bit is set.

extension CompactEventCodec {
    static func readPatient(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError)
        -> PatientEvent
    {
        try head.check(bits: 9)
        var e = PatientEvent(eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt)
        if head.has(0) { e.birthDate = try r.date() }
        if head.has(1) { e.ageYears = try r.double() }
        if head.has(2) { e.sex = try CompactCodes.sex.value(code: try r.byte()) }
        if head.has(3) { e.weightKg = try r.double() }
        if head.has(4) { e.heightCm = try r.double() }
        let allergyCount = try r.length()
        e.allergies.reserveCapacity(allergyCount)
        for _ in 0..<allergyCount { e.allergies.append(try r.string()) }
        if head.has(5) {
            let product = try r.string()
            let target = try r.string()
            e.infusion = Infusion(product: product, target: target, infusedAt: try r.date())
        }
        if head.has(6) { e.protocolId = try r.string() }
        if head.has(7) { e.site = try r.string() }
        if head.has(8) { e.baselineFerritin = try r.double() }
        return e
    }

    static func readVitals(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError)
        -> VitalsEvent
    {
        try head.check(bits: 10)
        guard head.has(7) || !(head.has(8) || head.has(9)) else { throw .unknownCode(UInt8(head.presence >> 8)) }
        var e = VitalsEvent(eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt)
        if head.has(0) { e.temperatureC = try r.double() }
        if head.has(1) { e.systolicBP = try r.double() }
        if head.has(2) { e.diastolicBP = try r.double() }
        if head.has(3) { e.meanArterialPressure = try r.double() }
        if head.has(4) { e.heartRate = try r.double() }
        if head.has(5) { e.respiratoryRate = try r.double() }
        if head.has(6) { e.spo2 = try r.double() }
        if head.has(7) {
            var oxygen = OxygenSupport(device: try CompactCodes.oxygenDevice.value(code: try r.byte()))
            if head.has(8) { oxygen.flowLPerMin = try r.double() }
            if head.has(9) { oxygen.fio2 = try r.double() }
            e.oxygen = oxygen
        }
        return e
    }

    static func readNeuro(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError)
        -> NeuroEvent
    {
        try head.check(bits: 8)
        guard head.has(6) || !head.has(7) else { throw .unknownCode(UInt8(truncatingIfNeeded: head.presence)) }
        var e = NeuroEvent(eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt)
        if head.has(0) { e.iceScore = try r.int() }
        if head.has(1) { e.capdScore = try r.int() }
        if head.has(2) { e.consciousness = try CompactCodes.consciousness.value(code: try r.byte()) }
        if head.has(3) { e.seizure = try CompactCodes.seizure.value(code: try r.byte()) }
        if head.has(4) { e.motorWeakness = try CompactCodes.motorWeakness.value(code: try r.byte()) }
        if head.has(5) { e.cerebralEdema = try CompactCodes.cerebralEdema.value(code: try r.byte()) }
        let signCount = try r.length()
        e.raisedIcpSigns.reserveCapacity(signCount)
        for _ in 0..<signCount { e.raisedIcpSigns.append(try CompactCodes.raisedICPSign.value(code: try r.byte())) }
        if head.has(6) { e.sedated = head.has(7) }
        return e
    }

    static func readLab(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError) -> LabEvent {
        try head.check(bits: 2)
        let test = try CompactCodes.labTest.value(code: try r.byte())
        let loinc = head.has(0) ? try r.string() : nil
        let value = try r.double()
        let limit = head.has(1) ? try r.double() : nil
        return LabEvent(
            eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt, test: test, loinc: loinc,
            value: value, upperLimitOfNormal: limit)
    }

    static func readFinding(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError)
        -> FindingEvent
    {
        try head.check(bits: 1)
        return FindingEvent(
            eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt,
            finding: try CompactCodes.clinicalFinding.value(code: try r.byte()), present: head.has(0))
    }

    static func readMedication(_ head: EventHead, from r: inout CompactRecordReader) throws(CompactDecodingError)
        -> MedicationEvent
    {
        try head.check(bits: 4)
        let drug = try readDrug(from: &r)
        let rxnorm = head.has(0) ? try r.string() : nil
        let action = try CompactCodes.medicationAction.value(code: try r.byte())
        var e = MedicationEvent(
            eventId: head.eventId, patientId: head.patientId, occurredAt: head.occurredAt, drug: drug, rxnorm: rxnorm,
            action: action)
        if head.has(1) { e.doseMg = try r.double() }
        if head.has(2) { e.route = try CompactCodes.route.value(code: try r.byte()) }
        if head.has(3) { e.rate = try r.double() }
        return e
    }

    static func readDrug(from r: inout CompactRecordReader) throws(CompactDecodingError) -> Drug {
        let code = try r.byte()
        return code == 0 ? .other(try r.string()) : try CompactCodes.drug.value(code: code)
    }
}
