import Foundation
import KafkaClient
import ProtocolCatalog
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxWorker
import ToxicityRules

/// Drives the worker's ``PartitionProcessor`` (with the shipped protocol catalogue) through a patient
/// course as `toxd` would: each event as a Kafka record on its topic, the partition's punctuation
/// between events and after the last one, and, closing the loop, anakinra given as the latest
/// recommendation proposes it. Collects every output record the processor writes.
struct CourseSimulation {
    /// The shipped protocol catalogue.
    static func catalog() throws -> AnakinraProtocolCatalog { try AnakinraProtocolCatalog.load() }

    private(set) var processor: PartitionProcessor
    /// The pharmacy's inventory events so far.
    var stock: [InventoryEvent]
    /// The pharmacy stock over event time, as evaluations read it.
    var inventory: InventoryHistory { InventoryHistory(stock) }
    private var offsets: [String: Int64] = [:]
    private(set) var outputs: [OutputRecord] = []
    private(set) var deadLetters: [OutputRecord] = []
    private var clock: Date?
    private var administered = 0
    /// Give anakinra as recommended (closed loop).
    var followRecommendations: Bool
    private var nextAnakinra: (due: Date, mg: Int, route: Route, interval: TimeInterval)?
    private let patientId: String

    init(
        patientId: String,
        protocolId: String?,
        protocols: [AnakinraProtocol],
        inventory: [InventoryEvent] = [],
        followRecommendations: Bool = true
    ) {
        processor = PartitionProcessor(
            partition: 0,
            evaluator: PatientEvaluator(protocols: protocols, defaultProtocol: protocolId),
            lateEventWindow: .seconds(6 * 3600)
        )
        self.stock = inventory
        self.followRecommendations = followRecommendations
        self.patientId = patientId
    }

    /// Applies `events` in time order, punctuating before each one and every `step` until `until`.
    mutating func run(_ events: [ClinicalEvent], until end: Date? = nil, step: TimeInterval = 4 * 3600) throws {
        let sorted = events.sorted { $0.occurredAt < $1.occurredAt }
        for event in sorted {
            try advance(to: event.occurredAt)
            try apply(event)
        }
        guard let last = sorted.last?.occurredAt, let end, end > last else { return }
        var t = last
        while t < end {
            t = min(end, t.addingTimeInterval(step))
            try advance(to: t)
        }
    }

    /// Gives the anakinra doses that fall due up to `instant`, then punctuates at `instant`.
    mutating func advance(to instant: Date) throws {
        while followRecommendations, let next = nextAnakinra, next.due <= instant {
            nextAnakinra = nil
            administered += 1
            var dose = CourseBuilder(patientId: patientId, hoursFrom: next.due)
            dose.med(
                at: 0, id: dose.eventId("anakinra-\(administered)"), .anakinra, doseMg: Double(next.mg),
                route: next.route)
            try apply(dose.events[0], punctuate: false)
            if nextAnakinra == nil {
                nextAnakinra = (next.due.addingTimeInterval(next.interval), next.mg, next.route, next.interval)
            }
        }
        if let clock, instant <= clock { return }
        clock = instant
        collect(processor.punctuate(at: instant, inventory: inventory))
    }

    mutating func apply(_ event: ClinicalEvent, punctuate: Bool = true) throws {
        if punctuate, clock.map({ event.occurredAt > $0 }) ?? true {
            clock = event.occurredAt
            collect(processor.punctuate(at: event.occurredAt, inventory: inventory))
        }
        let topic = InputEvent.clinical(event).type.topic
        let offset = offsets[topic, default: 0]
        offsets[topic] = offset + 1
        let message = KafkaMessage(
            topic: topic,
            partition: 0,
            offset: offset,
            key: Array(event.patientId.utf8),
            value: Array(try encodeEvent(.clinical(event)))
        )
        collect(processor.process([message], inventory: inventory, now: event.occurredAt))
    }

    /// An inventory event arrives (the worker's inventory reader): the site's patients are
    /// evaluated at its instant.
    mutating func inventoryChanged(_ event: InventoryEvent, offset: Int64) {
        stock.append(event)
        collect(
            processor.inventoryChanged(
                site: event.site, at: event.occurredAt,
                cause: .inventory(topic: "pharmacy.inventory.v1", partition: 0, offset: offset),
                inventory: inventory, now: event.occurredAt
            )
        )
    }

    private mutating func collect(_ outcome: BatchOutcome) {
        processor.commit(handledInputOffsets: processor.handledInputOffsets(after: outcome))
        for record in outcome.outputs {
            if record.kind == .deadLetter {
                deadLetters.append(record)
                continue
            }
            outputs.append(record)
            guard followRecommendations, record.kind == .anakinraRecommendation,
                let output = try? AnakinraRecommendationOutput.decode(Data(record.value))
            else { continue }
            let body = output.body.body
            if body.action.dosesAnakinra, let dose = body.dose, let mg = dose.mg, let frequency = dose.frequency {
                let interval = TimeInterval(frequency.intervalHours * 3600)
                let due = body.nextDoseDueAt ?? output.assessedAt
                nextAnakinra = (max(due, output.assessedAt), mg, dose.route, interval)
            } else if body.action == .stop || body.action == .hold || body.action == .none {
                nextAnakinra = nil
            }
        }
    }
}

/// Realistic courses built from clinical-spec Part B's worked cases: CRS that becomes refractory,
/// ICANS grade 3, late carHLH, and the safety variants. Hours count from the infusion.
enum Courses {
    static let infusion = Date(timeIntervalSince1970: 1_772_400_000)  // 2026-03-01T21:20:00Z

    static func at(_ hours: Double) -> Date { infusion.addingTimeInterval(hours * 3600) }

    /// The admission 2 h before the infusion; a neuro assessment is normal where it says nothing.
    static let conventions = CourseBuilder.Conventions(admissionHours: -2, unstatedNeuroFindingsAreNormal: true)

    enum Variant: String, CaseIterable {
        /// CRS 2 → tocilizumab → corticosteroid → CRS 3 on norepinephrine (refractory), then recovery.
        case refractoryCRS = "crs"
        /// ICANS 3 with a corticosteroid (Seattle, Oliai), then recovery.
        case icans
        /// Isolated late carHLH after CRS resolved (NIH, St. Jude).
        case lateCarHLH = "carhlh"
    }

    struct Profile {
        var ageYears: Double
        var weightKg: Double?
        var target = "CD19"
        var allergies: [String] = []
        var etanerceptAt: Double?
    }

    /// The events of a course; normal vitals and neuro continue to hour 160. Event ids name the
    /// patient and the event (`<id>-v3`, `<id>-toci-1`).
    static func events(_ id: String, _ variant: Variant, _ profile: Profile) -> [ClinicalEvent] {
        let weight = profile.weightKg ?? 30
        let hypotensive: Double = profile.ageYears >= 10 ? 82 : 60 + 2 * profile.ageYears
        let normal: Double = 110
        let child = profile.ageYears < 12
        var course = CourseBuilder(conventions, patientId: id, hoursFrom: infusion)
        course.patient(
            id: course.eventId("adm"), ageYears: profile.ageYears, weightKg: profile.weightKg, target: profile.target,
            infusedAtHours: 0, allergies: profile.allergies, site: "north")
        var n = 0
        func v(_ h: Double, _ t: Double, _ sbp: Double, _ o2: OxygenSupport) {
            n += 1
            course.vitals(at: h, id: course.eventId("v\(n)"), temp: t, sbp: sbp, heartRate: 120, spo2: 96, oxygen: o2)
        }
        var neuroIndex = 0
        func neuro(_ h: Double, impaired: Bool) {
            neuroIndex += 1
            course.neuro(
                at: h, id: course.eventId("n\(neuroIndex)"), ice: child ? nil : (impaired ? 2 : 10),
                capd: child ? (impaired ? 12 : 0) : nil, consciousness: impaired ? .awakensToVoice : .awake)
        }
        func lab(_ name: String, _ h: Double, _ test: LabTest, _ value: Double, uln: Double? = nil) {
            course.lab(at: h, id: course.eventId(name), test, value, uln: uln)
        }
        func med(
            _ name: String, _ h: Double, _ drug: Drug, _ action: MedicationAction = .administered, mg: Double?,
            route: Route = .iv
        ) {
            course.med(at: h, id: course.eventId(name), drug, action, doseMg: mg, route: route)
        }
        let cannula = OxygenSupport.nasalCannula(3)
        lab("ferritin-0", 0, .ferritin, 400, uln: 300)
        lab("plt-0", 0, .platelets, 150)
        lab("fib-0", 0, .fibrinogen, 300)
        switch variant {
        case .refractoryCRS:
            v(24, 39.2, normal, .roomAir)
            v(30, 39.5, hypotensive, cannula)
            med("toci-1", 31, .tocilizumab, mg: min(800, 8 * weight))
            med("dex-1", 36, .dexamethasone, mg: 10)
            med("norepi-on", 38, .norepinephrine, .infusionStarted, mg: nil)
            for h in stride(from: 38.0, through: 58, by: 4) { v(h, 38.9, hypotensive, cannula) }
            med("norepi-off", 60, .norepinephrine, .infusionStopped, mg: nil)
            for h in stride(from: 62.0, through: 160, by: 4) { v(h, 37.0, normal, .roomAir) }
            for h in stride(from: 26.0, through: 160, by: 12) { neuro(h, impaired: false) }
        case .icans:
            v(20, 38.6, normal, .roomAir)
            for h in stride(from: 24.0, through: 160, by: 6) { v(h, 37.1, normal, .roomAir) }
            neuro(22, impaired: false)
            neuro(40, impaired: true)
            med("dex-1", 41, .dexamethasone, mg: 10)
            neuro(48, impaired: true)
            for h in stride(from: 72.0, through: 160, by: 12) { neuro(h, impaired: false) }
        case .lateCarHLH:
            v(20, 38.8, normal, .roomAir)
            for h in stride(from: 24.0, through: 160, by: 6) { v(h, 37.0, normal, .roomAir) }
            for h in stride(from: 22.0, through: 160, by: 12) { neuro(h, impaired: false) }
            lab("ferritin-1", 96, .ferritin, 25_000, uln: 300)
            lab("alt-1", 96, .alt, 300, uln: 40)
            lab("fib-1", 96, .fibrinogen, 90)
            lab("plt-1", 96, .platelets, 40)
            lab("ferritin-2", 120, .ferritin, 48_000, uln: 300)
        }
        if let etanercept = profile.etanerceptAt { med("etanercept", etanercept, .etanercept, mg: 25, route: .sc) }
        return course.events
    }
}
