package import Foundation
package import ToxicityRules

/// Everything `toxctl chart` draws for one patient: the course (events, and the stock records of
/// the patient's site when known) and what the worker published for it.
package struct ChartCourse: Sendable {
    package var patientId: String
    /// The patient's events, in event time (ties keep their order).
    package var events: [ClinicalEvent]
    /// Stock records drawn beside the shortage advice (the file form's `inventory`).
    package var inventory: [InventoryEvent]
    /// The worker's outputs for the patient, by `assessedAt` (ties keep their order).
    package var outputs: [CourseOutput]
    /// The instant the chart ends at: `--at`, else the latest event or output.
    package var through: Date
    /// The protocol the recommendations follow, when known.
    package var protocolId: String?
    /// Where the course came from, for the chart's header (`course.json`, `live: toxd topics`).
    package var origin: String

    package init(
        patientId: String, events: [ClinicalEvent], inventory: [InventoryEvent] = [], outputs: [CourseOutput],
        through: Date? = nil, protocolId: String? = nil, origin: String
    ) {
        self.patientId = patientId
        self.events = events.enumerated().sorted {
            ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset)
        }
        .map(\.element)
        self.inventory = inventory.sorted { ($0.occurredAt, $0.eventId) < ($1.occurredAt, $1.eventId) }
        self.outputs = outputs.enumerated().sorted {
            ($0.element.assessedAt, $0.offset) < ($1.element.assessedAt, $1.offset)
        }
        .map(\.element)
        let latest = (self.events.map(\.occurredAt) + self.inventory.map(\.occurredAt) + self.outputs.map(\.assessedAt))
            .max()
        self.through = through ?? latest ?? Date(timeIntervalSince1970: 0)
        self.protocolId = protocolId
        self.origin = origin
    }

    /// The latest admission event's infusion, if any.
    package var infusion: Infusion? {
        for event in events.reversed() {
            if case .patient(let patient) = event, let infusion = patient.infusion { return infusion }
        }
        return nil
    }

    /// The latest weight reported on an admission event.
    package var weightKg: Double? {
        for event in events.reversed() {
            if case .patient(let patient) = event, let weight = patient.weightKg { return weight }
        }
        return nil
    }

    /// The treating site named by the latest admission event that names one.
    package var site: String? {
        for event in events.reversed() {
            if case .patient(let patient) = event, let site = patient.site { return site }
        }
        return nil
    }
}
