import Foundation
import KafkaClient
import ToxWatchContract
import ToxWorker
import ToxicityRules

/// The outputs the worker would publish for a course given as `toxctl evaluate` input: what
/// `toxctl evaluate --timeline` prints and `toxctl chart FILE` draws.
///
/// It runs the worker's own
/// ``PartitionProcessor`` over the course in this process, as `toxd` would see it fed by
/// `Scripts/demo-data/feed.py`: the admission, the inventory and the events in event-time order
/// (ties keep that order), each as a record of its topic in partition 0, the records of one
/// instant in one batch (evaluated together, as the worker's grace does), each inventory change
/// evaluated at its own instant for the site's patients, and one punctuation at `instant` after the last record, so
/// time-driven decisions due by then fire. The outputs are therefore the coalesced ones (published
/// on change) with the worker's deterministic ids, for partition 0.
enum CourseTimeline {
    /// The record values (the output topics' JSON) in the order the worker would write them.
    /// - Parameters:
    ///   - input: the course; only its records at or before `instant` count.
    ///   - protocolId: replaces the admission's protocol (as `toxctl evaluate --protocol` does).
    ///   - protocols: the catalogue the worker would load.
    static func outputs(
        for input: EvaluationInput, protocolId: String, protocols: [AnakinraProtocol], through instant: Date
    ) -> [[UInt8]] {
        replay(input, protocolId: protocolId, protocols: protocols, through: instant).values
    }

    /// The recommendations the worker would have recorded for the patient before `instant` (what
    /// the engine reads back as its own earlier advice): `toxctl evaluate --at` assesses with
    /// them, so it answers what the worker would at that instant (clinical-spec §A13.16).
    static func recommendations(
        before instant: Date, for input: EvaluationInput, protocolId: String, protocols: [AnakinraProtocol]
    ) -> [PriorRecommendation] {
        let processor = replay(input, protocolId: protocolId, protocols: protocols, through: instant).processor
        return (processor.patients[input.patient.patientId]?.recommendations ?? []).filter { $0.issuedAt < instant }
    }

    private static func replay(
        _ input: EvaluationInput, protocolId: String, protocols: [AnakinraProtocol], through instant: Date
    ) -> (values: [[UInt8]], processor: PartitionProcessor) {
        var processor = PartitionProcessor(
            partition: 0, evaluator: PatientEvaluator(protocols: protocols, defaultProtocol: protocolId),
            lateEventWindow: .seconds(6 * 3600))
        let stock = InventoryView()
        var offsets: [String: Int64] = [:]
        var values: [[UInt8]] = []
        func collect(_ outcome: BatchOutcome) {
            processor.commit(handledInputOffsets: processor.handledInputOffsets(after: outcome))
            values += outcome.outputs.filter { $0.kind != .deadLetter }.map(\.value)
        }
        func nextOffset(_ topic: String) -> Int64 {
            defer { offsets[topic, default: 0] += 1 }
            return offsets[topic, default: 0]
        }

        var patient = input.patient
        patient.protocolId = protocolId
        let records: [InputEvent] =
            [.clinical(.patient(patient))] + input.inventory.map { .inventory($0) }
            + input.events.map { .clinical($0) }
        let ordered = records.enumerated().filter { $0.element.occurredAt <= instant }
            .sorted { ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset) }.map(\.element)
        // The clinical records of one instant form one batch, so the instant is evaluated once with
        // all of its events, as the worker does once the grace lets it (offline,
        // every record is there: no grace).
        var batch: [KafkaMessage] = []
        var batchInstant: Date?
        func flush() {
            guard let at = batchInstant else { return }
            collect(processor.process(batch, inventory: stock.history(), now: at))
            batch.removeAll()
            batchInstant = nil
        }
        for record in ordered {
            switch record {
            case .inventory(let event):
                flush()
                let offset = nextOffset(ToxWatchTopics.inventory)
                guard stock.apply(event) else { continue }
                collect(
                    processor.inventoryChanged(
                        site: event.site, at: event.occurredAt,
                        cause: .inventory(topic: ToxWatchTopics.inventory, partition: 0, offset: offset),
                        inventory: stock.history(), now: event.occurredAt))
            case .clinical(let event):
                guard let value = try? encodeEvent(record) else { continue }
                if batchInstant != event.occurredAt { flush() }
                batchInstant = event.occurredAt
                let topic = record.type.topic
                batch.append(
                    KafkaMessage(
                        topic: topic, partition: 0, offset: nextOffset(topic), key: Array(event.patientId.utf8),
                        value: Array(value)))
            }
        }
        flush()
        collect(processor.punctuate(at: instant, inventory: stock.history()))
        return (values, processor)
    }
}
