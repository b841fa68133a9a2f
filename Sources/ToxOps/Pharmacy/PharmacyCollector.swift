package import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Reads what `toxctl pharmacy` needs: the anakinra recommendations, the shortage advice and the
/// inventory, and from the admission events only each patient's site.
package struct PharmacyCollector: Sendable {
    package let reader: TopicReader

    package init(reader: TopicReader) {
        self.reader = reader
    }

    /// The topics read.
    package static let topics = [
        ToxWatchTopics.anakinraRecommendations, ToxWatchTopics.shortageAlternatives, ToxWatchTopics.inventory,
        ToxWatchTopics.patient,
    ]

    /// - Parameters:
    ///   - at: the instant due and overdue are judged at.
    ///   - asOf: leave out records after this instant (`--at`); nil keeps every record.
    package func collect(site: String?, at: Date, asOf: Date? = nil) async throws(OpsError) -> PharmacyWorklist {
        struct Collected: Sendable {
            var recommendations: [RecommendationRecord] = []
            var advice: [ShortageAdvice] = []
            var inventory: [InventoryEvent] = []
            /// Patient id → (admission time, site) of the latest admission naming a site.
            var sites: [String: (Date, String)] = [:]
        }
        let recommendationTopic = ToxWatchTopics.anakinraRecommendations
        let adviceTopic = ToxWatchTopics.shortageAlternatives
        let inventoryTopic = ToxWatchTopics.inventory
        let collected = try await reader.read(Self.topics, into: Collected()) { state, message in
            switch message.topic {
            case recommendationTopic:
                if let value = message.value, case .recommendation(let record)? = CourseOutput.decode(value) {
                    state.recommendations.append(record)
                }
            case adviceTopic:
                if let value = message.value, let advice = ShortageAdvice.decode(value) { state.advice.append(advice) }
            case inventoryTopic:
                // Every record (the totals take the latest per site/drug as of the worklist's instant);
                // a tombstone deletes its key.
                guard let value = message.value else {
                    let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
                    state.inventory.removeAll { $0.key == key }
                    return
                }
                if case .inventory(let event)? = try? decodeEvent(value) { state.inventory.append(event) }
            default:
                guard let value = message.value, case .clinical(.patient(let patient))? = try? decodeEvent(value),
                    let site = patient.site
                else { return }
                if let known = state.sites[patient.patientId], known.0 > patient.occurredAt { return }
                state.sites[patient.patientId] = (patient.occurredAt, site)
            }
        }
        return PharmacyWorklist.build(
            recommendations: collected.recommendations, sites: collected.sites.mapValues(\.1), advice: collected.advice,
            inventory: collected.inventory, site: site, at: at, asOf: asOf)
    }
}
