import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Reads a live patient's course for `toxctl chart --brokers B --patient ID`: the events from the
/// changelog (``PatientChangelog``), every output published for the patient on the grades,
/// recommendation and shortage topics, and the stock records (drawn for the patient's site).
package struct LiveCourseCollector: Sendable {
    package let reader: TopicReader

    package init(reader: TopicReader) {
        self.reader = reader
    }

    /// The topics read.
    package static let topics = [
        ToxWatchTopics.patientStateChangelog, ToxWatchTopics.toxicityGrades, ToxWatchTopics.anakinraRecommendations,
        ToxWatchTopics.shortageAlternatives, ToxWatchTopics.inventory,
    ]

    /// The patient's course; a usage error when the changelog does not hold the patient.
    package func collect(patientId: String) async throws(OpsError) -> ChartCourse {
        struct Collected: Sendable {
            var changelog: PatientChangelog
            var outputs: [CourseOutput] = []
            var seen: Set<String> = []
            var inventory: [InventoryEvent] = []
        }
        let changelogTopic = ToxWatchTopics.patientStateChangelog
        let inventoryTopic = ToxWatchTopics.inventory
        let collected = try await reader.read(
            Self.topics, into: Collected(changelog: PatientChangelog(patientId: patientId))
        ) {
            state, message in
            if message.topic == changelogTopic {
                state.changelog.apply(message)
                return
            }
            if message.topic == inventoryTopic {
                guard let value = message.value else {
                    let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
                    state.inventory.removeAll { $0.key == key }  // a tombstone deletes its key
                    return
                }
                if case .inventory(let event)? = try? decodeEvent(value) { state.inventory.append(event) }
                return
            }
            // Outputs are keyed by patient id; the body says it again.
            guard let key = message.key, key.elementsEqual(patientId.utf8), let value = message.value,
                let output = CourseOutput.decode(value), output.patientId == patientId,
                state.seen.insert(output.id).inserted
            else { return }
            state.outputs.append(output)
        }
        guard collected.changelog.isKnown, let events = collected.changelog.events else {
            throw OpsError.usage(
                "no course for this patient in \(changelogTopic) (check --patient; the worker writes a patient's "
                    + "course there once it has applied an event)")
        }
        let protocolId = collected.outputs.lazy.compactMap { output -> String? in
            if case .recommendation(let record) = output { return record.protocolId }
            return nil
        }.last
        return ChartCourse(
            patientId: patientId, events: events, inventory: collected.inventory, outputs: collected.outputs,
            protocolId: protocolId,
            origin: "live: \(changelogTopic) and the output topics")
    }
}
