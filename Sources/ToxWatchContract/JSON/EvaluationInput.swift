package import Foundation
package import ToxicityRules

/// The input of `toxctl evaluate` (DESIGN.md §4, `Schemas/evaluate-input.schema.json`):
/// `{"patient": {…}, "events": […], "inventory": […]?}`.
///
/// Every event must belong to `patient` (same `patientId`); inventory signals go in `inventory`,
/// never in `events`. Errors name the field by JSON path: `events[3].temperatureC: 60 is outside 25–45 °C`.
package struct EvaluationInput: Sendable, Hashable {
    package var patient: PatientEvent
    package var events: [ClinicalEvent]
    package var inventory: [InventoryEvent]

    package init(patient: PatientEvent, events: [ClinicalEvent], inventory: [InventoryEvent] = []) {
        self.patient = patient
        self.events = events
        self.inventory = inventory
    }

    /// Decodes and validates an evaluate input document.
    ///
    /// - Throws: ``EventDecodingError`` with the JSON path of the first bad field.
    package static func decode(_ json: Data) throws(EventDecodingError) -> EvaluationInput {
        try decodeJSON(EvaluationInput.self, from: json)
    }

    /// The patient event first, then `events`: the whole course as the engine takes it.
    package var timeline: [ClinicalEvent] { [.patient(patient)] + events }
}

extension EvaluationInput: Codable {
    package init(from decoder: any Decoder) throws {
        let r = try FieldReader(decoder)
        guard r.has("patient") else { throw EventDecodingError.missingField(path: r.path("patient")) }
        guard r.has("events") else { throw EventDecodingError.missingField(path: r.path("events")) }
        let patient = try r.container.decode(PatientEvent.self, forKey: AnyCodingKey("patient"))
        let events = try r.container.decode([ClinicalEvent].self, forKey: AnyCodingKey("events"))
        for (index, event) in events.enumerated() where event.patientId != patient.patientId {
            throw EventDecodingError.invalidValue(
                path: "events[\(index)].patientId",
                value: event.patientId,
                problem: "is not the patient's id (patient.patientId)"
            )
        }
        let inventory = try r.container.decodeIfPresent([InventoryEvent].self, forKey: AnyCodingKey("inventory")) ?? []
        self.init(patient: patient, events: events, inventory: inventory)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encode(patient, forKey: AnyCodingKey("patient"))
        try container.encode(events, forKey: AnyCodingKey("events"))
        if !inventory.isEmpty { try container.encode(inventory, forKey: AnyCodingKey("inventory")) }
    }
}
