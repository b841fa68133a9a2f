import Foundation
package import KafkaClient
import ToxWatchContract
package import ToxicityRules

/// A live patient's course as the worker keeps it in its changelog (`toxd.patient-state.v1`,
/// key = patient id): the latest record of the patient holds the course the worker evaluates.
///
/// The only code in `toxctl` that knows the changelog's layout: fed every record of the topic in
/// offset order per partition, it keeps what the worker's restore would keep (a record written
/// under an older writer epoch than one already seen in its partition is ignored, as a fenced
/// writer's; a tombstone deletes the patient) and reads the events out of it.
package struct PatientChangelog: Sendable {
    package let patientId: String
    private var latest: [UInt8]?
    private var deleted = false
    private var highestEpoch: [Int: Int] = [:]

    package init(patientId: String) {
        self.patientId = patientId
    }

    /// Header names the worker writes on changelog records (`OutputHeader` in `ToxWorker`).
    private static let epochHeader = OutputHeader.epoch

    /// Applies one changelog record.
    package mutating func apply(_ message: KafkaMessage) {
        let epoch = message.header(Self.epochHeader)?.value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        guard epoch >= highestEpoch[message.partition, default: 0] else { return }
        highestEpoch[message.partition] = epoch
        guard let key = message.key, key.elementsEqual(patientId.utf8) else { return }
        latest = message.value
        deleted = message.value == nil
    }

    /// Whether the changelog holds the patient (a record was read and not deleted since).
    package var isKnown: Bool { latest != nil && !deleted }

    /// The patient's events from the latest record; nil when unknown or unreadable.
    package var events: [ClinicalEvent]? {
        latest.flatMap(Self.events(fromRecord:))
    }

    /// The events of one changelog record value: format 2's compact course (`{"course": base64url,
    /// "patientId": …}`) or format 1's contract events (`{"events": [ …contract events… ], …}`).
    package static func events(fromRecord value: [UInt8]) -> [ClinicalEvent]? {
        struct Record: Decodable {
            var patientId: String?
            var course: String?
            var events: [EventEnvelope]?
        }
        guard let record = try? JSONDecoder().decode(Record.self, from: Data(value)) else { return nil }
        if let course = record.course, let patientId = record.patientId {
            return try? CompactCourse(patientId: patientId, bytes: Base64.decode(course.utf8)).events
        }
        return record.events?.compactMap { envelope in
            if case .clinical(let event) = envelope.event { return event }
            return nil
        }
    }
}
