import Foundation
import KafkaClient
import ProtocolCatalog
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// Random CAR-T courses as input records of one partition, in arrival (event-time) order.
///
/// Events fall on a 30-minute grid, so several topics often chart one instant; a quarter of the
/// courses go to CRS 4 (two vasopressors, BiPAP).
enum RandomCourses {
    static let infusedAt = Date(timeIntervalSince1970: 1_772_000_000)
    static let protocols = ["childrens-national", "st-jude", "chop"]

    /// - Parameter severe: whether the course goes to CRS 4; random (one in four) when `nil`.
    static func events(patientId id: String, severe: Bool? = nil, using rng: inout SplitMix64) -> [ClinicalEvent] {
        func at(_ hours: Double) -> Date { infusedAt.addingTimeInterval(hours * 3600) }
        var events: [ClinicalEvent] = [
            .patient(
                PatientEvent(
                    eventId: "\(id)-adm", patientId: id, occurredAt: at(-1),
                    ageYears: Double(Int.random(in: 4...60, using: &rng)),
                    weightKg: Double(Int.random(in: 18...90, using: &rng)), allergies: [],
                    infusion: Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: infusedAt),
                    protocolId: protocols.randomElement(using: &rng), site: "main"))
        ]
        let drawn = Int.random(in: 0..<4, using: &rng) == 0
        let severe = severe ?? drawn
        let onset = Double(Int.random(in: 4...20, using: &rng))
        var n = 0
        func next() -> String {
            n += 1
            return "\(id)-\(n)"
        }
        for step in 0..<96 {
            let hours = Double(step) / 2
            let sick = hours >= onset && hours < onset + 30
            if Double.random(in: 0..<1, using: &rng) < 0.5 {
                let device: OxygenDevice =
                    !sick
                    ? .roomAir
                    : severe && hours > onset + 8
                        ? .bipap : [.roomAir, .lowFlowNasalCannula].randomElement(using: &rng)!
                events.append(
                    .vitals(
                        VitalsEvent(
                            eventId: next(), patientId: id, occurredAt: at(hours),
                            temperatureC: sick
                                ? Double.random(in: 37.8...40.2, using: &rng)
                                : Double.random(in: 36.5...37.6, using: &rng),
                            systolicBP: sick && severe ? Double(Int.random(in: 70...95, using: &rng)) : 110,
                            oxygen: OxygenSupport(device: device, flowLPerMin: device == .lowFlowNasalCannula ? 3 : nil)
                        )))
            }
            if Double.random(in: 0..<1, using: &rng) < 0.15 {
                events.append(
                    .neuro(
                        NeuroEvent(
                            eventId: next(), patientId: id, occurredAt: at(hours),
                            iceScore: sick ? Int.random(in: 3...10, using: &rng) : 10)))
            }
            if sick, Double.random(in: 0..<1, using: &rng) < 0.1 {
                let drug: Drug = [.tocilizumab, .dexamethasone, .anakinra].randomElement(using: &rng)!
                let dose: Double = drug == .tocilizumab ? 400 : drug == .dexamethasone ? 10 : 100
                events.append(
                    .medication(
                        MedicationEvent(
                            eventId: next(), patientId: id, occurredAt: at(hours), drug: drug, action: .administered,
                            doseMg: dose, route: .iv)))
            }
            if severe, hours == onset + 10 || hours == onset + 22 {
                events.append(
                    .medication(
                        MedicationEvent(
                            eventId: next(), patientId: id, occurredAt: at(hours),
                            drug: hours == onset + 10 ? .norepinephrine : .vasopressin, action: .infusionStarted,
                            route: .iv)))
            }
        }
        return events
    }

    /// Input records of `patients` random courses on partition 0, interleaved in event time (the
    /// admissions first), with per-topic offsets.
    static func records(patients: Int, using rng: inout SplitMix64) throws -> [KafkaMessage] {
        let all = (0..<patients).flatMap { events(patientId: "P\($0)", using: &rng) }
        return try messages(all.sorted { $0.occurredAt < $1.occurredAt })
    }

    /// Each event as a record of its topic, offsets counted per topic in the given order.
    static func messages(_ events: [ClinicalEvent]) throws -> [KafkaMessage] {
        var offsets: [String: Int64] = [:]
        return try events.map { event in
            let topic = InputEvent.clinical(event).type.topic
            defer { offsets[topic, default: 0] += 1 }
            return KafkaMessage(
                topic: topic, partition: 0, offset: offsets[topic, default: 0], key: Array(event.patientId.utf8),
                value: Array(try encodeEvent(.clinical(event))))
        }
    }

    /// Cuts `records` into batches of 1 to `maxSize` records; with `atInstants`, only between two
    /// records of different event times.
    static func split(
        _ records: [KafkaMessage], maxSize: Int, atInstants: Bool = false, using rng: inout SplitMix64
    ) -> [[KafkaMessage]] {
        var batches: [[KafkaMessage]] = []
        var index = 0
        while index < records.count {
            var end = min(records.count, index + Int.random(in: 1...maxSize, using: &rng))
            if atInstants {
                while end < records.count, occurredAt(records[end]) == occurredAt(records[end - 1]) { end += 1 }
            }
            batches.append(Array(records[index..<end]))
            index = end
        }
        return batches
    }

    static func occurredAt(_ record: KafkaMessage) -> Date? {
        guard let value = record.value, case .clinical(let event) = try? decodeEvent(value) else { return nil }
        return event.occurredAt
    }
}

/// Feeds input batches through a ``PartitionProcessor`` as a partition task does, and keeps what the
/// broker would hold: the output log (an id already there is not written again, the worker's
/// exactly-once filter) and the changelog with its checkpoints.
struct ReplayHarness {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    let evaluator: PatientEvaluator
    var processor: PartitionProcessor
    /// The pharmacy's inventory events so far (``restock(_:offset:)``).
    var stock: [InventoryEvent] = []
    /// The pharmacy stock over event time, as evaluations read it.
    var inventory: InventoryHistory { InventoryHistory(stock) }
    /// Output records in the order written.
    private(set) var log: [OutputRecord] = []
    private var logged: [String: [UInt8]] = [:]
    /// Outputs not written because their id was in the log with other content: content lost.
    private(set) var collisions: [String] = []
    /// Ids the writer produced although the log already held them (exactly-once broken).
    private(set) var duplicates: [String] = []
    /// Ids the current owner found in the log after the last checkpoint (or carried by it): the
    /// writer skips them (``BatchWriter``'s `written`).
    private var found: Set<String> = []
    private(set) var changelog: [OutputRecord] = []

    let shortageHold: Duration
    /// The processor's evaluation grace; the wall clock stands at ``now`` throughout.
    let grace: Duration

    init(
        evaluator: PatientEvaluator, shortageHold: Duration = WorkerConfiguration.defaultShortageHold,
        grace: Duration = .zero
    ) {
        self.evaluator = evaluator
        self.shortageHold = shortageHold
        self.grace = grace
        processor = Self.processor(evaluator, shortageHold: shortageHold, grace: grace)
    }

    static func processor(_ evaluator: PatientEvaluator, shortageHold: Duration, grace: Duration = .zero)
        -> PartitionProcessor
    {
        PartitionProcessor(
            partition: 0, evaluator: evaluator, lateEventWindow: .seconds(6 * 3600), shortageHold: shortageHold,
            evaluationGrace: grace)
    }

    static func catalogEvaluator() throws -> PatientEvaluator {
        PatientEvaluator(
            protocols: try AnakinraProtocolCatalog.load(protocolsDirectory: nil, environment: [:]).protocols)
    }

    /// One batch made durable: its outputs, its changelog and checkpoint; then a punctuation at
    /// partition time, made durable the same way.
    mutating func apply(_ batch: [KafkaMessage]) {
        commit(processor.process(batch, inventory: inventory, now: Self.now))
        if let time = processor.streamTime {
            commit(processor.punctuate(at: time, now: Self.now, inventory: inventory))
        }
    }

    /// An inventory event arrives: the site's patients are evaluated at its instant, or again at
    /// their latest one when they were already evaluated past it.
    mutating func restock(_ event: InventoryEvent, offset: Int64) {
        stock.append(event)
        commit(
            processor.inventoryChanged(
                site: event.site, at: event.occurredAt,
                cause: .inventory(topic: ToxWatchTopics.inventory, partition: 0, offset: offset),
                inventory: inventory, now: Self.now))
    }

    /// The worker dies after writing `batch`'s outputs and before its changelog; a new owner
    /// takes over (``handOver()``).
    mutating func crash(during batch: [KafkaMessage]) throws {
        write(processor.process(batch, inventory: inventory, now: Self.now).outputs)
        try handOver()
    }

    /// The worker dies after writing the outputs of a punctuation at `instant` and before its
    /// changelog; a new owner takes over (``handOver()``).
    mutating func crash(punctuatingAt instant: Date) throws {
        write(processor.punctuate(at: instant, inventory: inventory).outputs)
        try handOver()
    }

    /// A new owner restores from the changelog written so far and reads the output log from the
    /// last checkpoint's output end, as a partition task does: the ids found there are skipped.
    mutating func handOver() throws {
        var restored = Self.processor(evaluator, shortageHold: shortageHold, grace: grace)
        var checkpoint: PartitionCheckpoint?
        for record in changelog {
            if let found = try restored.restore(key: record.key, value: record.value, headers: record.headers) {
                checkpoint = found
            }
        }
        let scanStart = Int(checkpoint?.outputEndOffsets[Self.logTopic] ?? 0)
        for record in log[scanStart...] { restored.foundOutputs[record.id] = RecordDigest(record.value) }
        found = Set(restored.foundOutputs.keys)
        processor = restored
    }

    /// The checkpoint written last.
    var lastCheckpoint: PartitionCheckpoint? {
        get throws {
            guard let record = changelog.last(where: { $0.kind == .checkpoint }) else { return nil }
            return try JSONDecoder().decode(PartitionCheckpoint.self, from: Data(record.value))
        }
    }

    /// A punctuation at `instant`, made durable; the wall clock at `now` (by default past every grace).
    mutating func punctuate(at instant: Date, now: Date = .distantFuture) {
        commit(processor.punctuate(at: instant, now: now, inventory: inventory))
    }

    /// The inputs a new owner reads again: those at or after the last checkpoint's handled offsets.
    func unhandled(_ records: [KafkaMessage]) -> [KafkaMessage] {
        records.filter { record in processor.handledInputOffsets[record.topic].map { record.offset >= $0 } ?? true }
    }

    private mutating func commit(_ outcome: BatchOutcome) {
        write(outcome.outputs)
        let handled = processor.handledInputOffsets(after: outcome)
        changelog += outcome.changelog
        changelog.append(
            processor.checkpointOutput(
                PartitionCheckpoint(
                    partition: 0, outputEndOffsets: [Self.logTopic: Int64(log.count)], handledInputOffsets: handled)))
        processor.commit(handledInputOffsets: handled)
    }

    /// The output log as one stream: its offsets are the positions in ``log``.
    static let logTopic = "outputs"

    private mutating func write(_ outputs: [OutputRecord]) {
        for output in outputs where output.kind != .deadLetter && !found.contains(output.id) {
            if let existing = logged[output.id] {
                if existing != output.value { collisions.append(output.id) }
                duplicates.append(output.id)
                continue
            }
            logged[output.id] = output.value
            log.append(output)
        }
    }

    /// Each record's JSON without its `id`: what the pharmacy reads, whatever the record is called.
    static func content(_ record: OutputRecord) -> NSDictionary {
        let object = (try? JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any]) ?? [:]
        return object.filter { $0.key != "id" } as NSDictionary
    }
}
