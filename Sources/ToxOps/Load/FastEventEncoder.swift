import Foundation
import ToxWatchContract
package import ToxicityRules

/// Encodes contract events as JSON bytes without `JSONEncoder`, about an order of magnitude faster,
/// for the load generator. The output is valid contract JSON: the strict decoder reads back the
/// same event (the tests check `decodeEvent(encode(e)) == e`). Values must already be valid
/// (ranges, units); nothing is checked here.
package enum FastEventEncoder {
    package static func encode(_ event: ClinicalEvent) -> [UInt8] {
        var w = JSONBytes(capacity: 320)
        w.open()
        switch event {
        case .patient(let e):
            common(&w, "patient", e.eventId, e.patientId, e.occurredAt)
            if let birthDate = e.birthDate { w.date("birthDate", epochSeconds: Int64(birthDate.timeIntervalSince1970)) }
            w.number("ageYears", e.ageYears)
            w.string("sex", e.sex?.rawValue)
            w.number("weightKg", e.weightKg)
            w.number("heightCm", e.heightCm)
            w.strings("allergies", e.allergies)
            if let infusion = e.infusion {
                w.object("infusion") { i in
                    i.string("product", infusion.product)
                    i.string("target", infusion.target)
                    timestamp(&i, "infusedAt", infusion.infusedAt)
                }
            }
            w.string("protocol", e.protocolId)
            w.string("site", e.site)
            w.number("baselineFerritin", e.baselineFerritin)
        case .vitals(let e):
            common(&w, "vitals", e.eventId, e.patientId, e.occurredAt)
            w.number("temperatureC", e.temperatureC)
            w.number("systolicBP", e.systolicBP)
            w.number("diastolicBP", e.diastolicBP)
            w.number("meanArterialPressure", e.meanArterialPressure)
            w.number("heartRate", e.heartRate)
            w.number("respiratoryRate", e.respiratoryRate)
            w.number("spo2", e.spo2)
            if let oxygen = e.oxygen {
                w.object("oxygen") { o in
                    o.string("device", oxygen.device.rawValue)
                    o.number("flowLPerMin", oxygen.flowLPerMin)
                    o.number("fio2", oxygen.fio2)
                }
            }
        case .neuro(let e):
            common(&w, "neuro", e.eventId, e.patientId, e.occurredAt)
            w.integer("iceScore", e.iceScore)
            w.integer("capdScore", e.capdScore)
            w.string("consciousness", e.consciousness?.rawValue)
            w.string("seizure", e.seizure?.rawValue)
            w.string("motorWeakness", e.motorWeakness?.rawValue)
            w.string("cerebralEdema", e.cerebralEdema?.rawValue)
            if !e.raisedIcpSigns.isEmpty { w.strings("raisedIcpSigns", e.raisedIcpSigns.map(\.rawValue)) }
            w.bool("sedated", e.sedated)
        case .lab(let e):
            common(&w, "lab", e.eventId, e.patientId, e.occurredAt)
            w.string("test", e.test.rawValue)
            w.string("loinc", e.loinc)
            w.number("value", e.value)
            w.string("unit", e.test.canonicalUnit)
            w.number("upperLimitOfNormal", e.upperLimitOfNormal)
        case .finding(let e):
            common(&w, "finding", e.eventId, e.patientId, e.occurredAt)
            w.string("finding", e.finding.rawValue)
            w.bool("present", e.present)
        case .medication(let e):
            common(&w, "medication", e.eventId, e.patientId, e.occurredAt)
            w.string("drug", e.drug.name)
            w.string("rxnorm", e.rxnorm)
            w.string("action", e.action.rawValue)
            w.number("doseMg", e.doseMg)
            w.string("route", e.route?.rawValue)
            w.number("rate", e.rate)
        }
        w.close()
        return w.bytes
    }

    private static func common(_ w: inout JSONBytes, _ type: String, _ eventId: String, _ patientId: String, _ at: Date)
    {
        w.string("type", type)
        w.string("eventId", eventId)
        w.string("patientId", patientId)
        timestamp(&w, "occurredAt", at)
    }

    private static func timestamp(_ w: inout JSONBytes, _ name: StaticString, _ date: Date) {
        let seconds = date.timeIntervalSince1970
        if seconds == seconds.rounded(.down) {
            w.timestamp(name, epochSeconds: Int64(seconds))
        } else {
            w.string(name, ISO8601Timestamp.format(date))
        }
    }
}
