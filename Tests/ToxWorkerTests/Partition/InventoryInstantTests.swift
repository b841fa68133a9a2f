import Foundation
import KafkaClient
import ProtocolCatalog
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Pharmacy inventory in event time (issue 12): an evaluation at T reads the stock as it was at T,
/// and a change is evaluated at its own instant for the site's patients, however its record and the
/// patients' records interleave on arrival.
@Suite("Inventory instants")
struct InventoryInstantTests {
    static let now = ReplayHarness.now

    static func tocilizumab(_ status: StockStatus, hours: Double, id: String) -> InventoryEvent {
        InventoryEvent(
            eventId: id, occurredAt: PartitionProcessorTests.at(hours: hours), site: "main", drug: .tocilizumab,
            status: status, unitsOnHand: status == .available ? 8 : 0)
    }

    @Test("the stock at an instant counts the events at or before it; an event read late takes its place in time")
    func historyInEventTime() {
        let view = InventoryView()
        #expect(view.apply(Self.tocilizumab(.shortage, hours: 10, id: "i1")))
        #expect(view.apply(Self.tocilizumab(.available, hours: 5, id: "i0")), "read after, earlier in time")
        #expect(!view.apply(Self.tocilizumab(.shortage, hours: 12, id: "i2")), "the status it follows")
        let history = view.history()
        func status(_ hours: Double) -> StockStatus? {
            history.snapshot(at: PartitionProcessorTests.at(hours: hours)).entry(.tocilizumab, site: "main")?.status
        }
        #expect(status(4.9) == nil, "before the first event every drug is available")
        #expect(status(5) == .available)
        #expect(status(9.99) == .available)
        #expect(status(10) == .shortage, "an event counts from its own instant on")
        #expect(status(30) == .shortage)
        #expect(history.latest.entry(.tocilizumab, site: "main")?.eventId == "i2")
        #expect(
            history.changes(after: PartitionProcessorTests.at(hours: 5)).map(\.at) == [
                PartitionProcessorTests.at(hours: 10)
            ])
        #expect(history.changes(after: nil).allSatisfy { $0.site == "main" })
    }

    /// A patient at the site `main` on the Children's National protocol with CRS 2 from 20 h (fever
    /// and 3 L/min oxygen): tocilizumab is what it would receive now.
    static func course() -> [ClinicalEvent] {
        var course = PartitionProcessorTests.course("P9")
        course.patient(
            id: course.eventId("adm"), ageYears: 9, weightKg: 28, infusedAtHours: 0, site: "main",
            protocolId: "childrens-national")
        return [
            course.events[0],
            PartitionProcessorTests.vitals("P9", "v1", hours: 20, temperature: 39.0, flow: 3),
            PartitionProcessorTests.vitals("P9", "v2", hours: 22, temperature: 39.1, flow: 3),
        ]
    }

    static func processor(grace: Duration) throws -> PartitionProcessor {
        PartitionProcessor(
            partition: 3, evaluator: PatientEvaluator(protocols: try PartitionProcessorTests.catalogProtocols()),
            lateEventWindow: .seconds(6 * 3600), evaluationGrace: grace)
    }

    static func messages(_ events: [ClinicalEvent], from offset: Int64 = 0) throws -> [KafkaMessage] {
        try events.enumerated().map {
            try PartitionProcessorTests.message($0.element, offset: offset + Int64($0.offset))
        }
    }

    static let cause = OutputCause.inventory(topic: ToxWatchTopics.inventory, partition: 0, offset: 0)

    /// What `toxctl evaluate --timeline` does: every record in event time, each instant at once.
    static func inEventOrder(_ shortage: InventoryEvent) throws -> [OutputRecord] {
        var processor = try Self.processor(grace: .zero)
        let events = Self.course()
        var outputs: [OutputRecord] = []
        var history = InventoryHistory.empty
        for (index, event) in events.enumerated() {
            if index > 0, events[index - 1].occurredAt < shortage.occurredAt, event.occurredAt >= shortage.occurredAt {
                history = InventoryHistory([shortage])
                outputs +=
                    processor.inventoryChanged(
                        site: "main", at: shortage.occurredAt, cause: Self.cause, inventory: history, now: Self.now
                    ).outputs
            }
            outputs +=
                processor.process(
                    try Self.messages([event], from: Int64(index)), inventory: history, now: Self.now
                ).outputs
        }
        return outputs
    }

    /// A punctuation at the course's last instant once every grace has passed.
    static func afterTheGrace(_ processor: inout PartitionProcessor, inventory: InventoryHistory) -> [OutputRecord] {
        processor.punctuate(
            at: PartitionProcessorTests.at(hours: 22), now: Self.now.addingTimeInterval(3), inventory: inventory
        ).outputs
    }

    static func expect(_ outputs: [OutputRecord], equal reference: [OutputRecord]) {
        #expect(outputs.map(\.id) == reference.map(\.id))
        let sameBodies = outputs.map(\.value) == reference.map(\.value)
        #expect(sameBodies, "the same bodies")
    }

    static func advice(_ outputs: [OutputRecord]) -> [String] {
        outputs.filter { $0.kind == .shortageAlternative }.map(\.id)
    }

    @Test(
        "a change read before the patient's earlier instants were evaluated is evaluated at its own instant, after them"
    )
    func changeWaitsForItsInstant() throws {
        let shortage = Self.tocilizumab(.shortage, hours: 21, id: "toci-short")
        let reference = try Self.inEventOrder(shortage)
        #expect(
            Self.advice(reference) == ["shortage-alternative/P9/\(EvaluationGateTests.instant(21))/tocilizumab"])

        // The worker: the course arrives at once; the change is read within the grace.
        var processor = try Self.processor(grace: .seconds(2))
        let view = InventoryView()
        var outputs = processor.process(try Self.messages(Self.course()), inventory: view.history(), now: Self.now)
            .outputs
        view.apply(shortage)
        outputs +=
            processor.inventoryChanged(
                site: "main", at: shortage.occurredAt, cause: Self.cause, inventory: view.history(),
                now: Self.now.addingTimeInterval(0.5)
            ).outputs
        #expect(outputs.isEmpty, "everything waits for its grace")
        outputs += Self.afterTheGrace(&processor, inventory: view.history())
        Self.expect(outputs, equal: reference)
    }

    @Test("a change read before the patient's records it follows is evaluated at its instant all the same")
    func changeBeforeTheCourse() throws {
        let shortage = Self.tocilizumab(.shortage, hours: 21, id: "toci-short")
        let reference = try Self.inEventOrder(shortage)
        var processor = try Self.processor(grace: .seconds(2))
        let view = InventoryView()
        view.apply(shortage)
        // No patient of the site yet: nothing to evaluate.
        let early = processor.inventoryChanged(
            site: "main", at: shortage.occurredAt, cause: Self.cause, inventory: view.history(), now: Self.now)
        #expect(early.outputs.isEmpty && early.changelog.isEmpty)
        var outputs = processor.process(
            try Self.messages(Self.course()), inventory: view.history(), now: Self.now.addingTimeInterval(0.5)
        ).outputs
        outputs += Self.afterTheGrace(&processor, inventory: view.history())
        Self.expect(outputs, equal: reference)
    }

    @Test("an owner that restores the patient before the change was evaluated evaluates it as the first would have")
    func changeSurvivesRestore() throws {
        let shortage = Self.tocilizumab(.shortage, hours: 21, id: "toci-short")
        let reference = try Self.inEventOrder(shortage)
        var processor = try Self.processor(grace: .seconds(2))
        let view = InventoryView()
        let batch = processor.process(try Self.messages(Self.course()), inventory: view.history(), now: Self.now)
        view.apply(shortage)
        let change = processor.inventoryChanged(
            site: "main", at: shortage.occurredAt, cause: Self.cause, inventory: view.history(), now: Self.now)
        // The owner dies here; the next one restores from the changelog and reads the whole inventory.
        var restored = try Self.processor(grace: .seconds(2))
        for record in batch.changelog + change.changelog {
            _ = try restored.restore(key: record.key, value: record.value, headers: record.headers)
        }
        var outputs = restored.punctuate(
            at: PartitionProcessorTests.at(hours: 22), now: Self.now.addingTimeInterval(10), inventory: view.history()
        ).outputs
        outputs +=
            restored.punctuate(
                at: PartitionProcessorTests.at(hours: 22), now: Self.now.addingTimeInterval(20),
                inventory: view.history()
            ).outputs
        Self.expect(outputs, equal: reference)
    }

    @Test("a change at or before the patient's last evaluation re-evaluates it there, under the next revision")
    func lateChange() throws {
        var processor = try Self.processor(grace: .zero)
        let view = InventoryView()
        _ = processor.process(try Self.messages(Self.course()), inventory: view.history(), now: Self.now)
        let shortage = Self.tocilizumab(.shortage, hours: 21, id: "toci-short")
        view.apply(shortage)
        let outcome = processor.inventoryChanged(
            site: "main", at: shortage.occurredAt, cause: Self.cause, inventory: view.history(), now: Self.now)
        #expect(
            Self.advice(outcome.outputs) == ["shortage-alternative/P9/\(EvaluationGateTests.instant(22))/tocilizumab"])
        #expect(outcome.changelog.count == 1)
    }
}
