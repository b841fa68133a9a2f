package import Foundation
package import ToxWatchContract
package import ToxicityRules

/// What a worker knows about one patient: the course so far (in event time), which inputs it
/// already reflects, and what it last published. Persisted as one changelog record per change.
package struct PatientState: Sendable, Equatable {
    package let patientId: String
    /// The course, ordered by `occurredAt` (ties keep arrival order), pruned to what rules need:
    /// compact event records (``CompactCourse``), written as they are into the changelog record.
    package private(set) var course: CompactCourse
    /// Per input topic, the highest offset (in this patient's partition) already applied.
    package var appliedOffsets: [String: Int64] = [:]
    /// What was last published for this patient, for change detection.
    package var published = PublishedSummary()
    /// The anakinra recommendations published for this patient (the engine reads its earlier advice).
    package var recommendations: [PriorRecommendation] = []
    /// The next instant at which the assessment may change with no new event (punctuation).
    package var nextDecisionAt: Date?
    /// The latest instant the patient was evaluated at (an event time or a timer's due instant).
    /// Evaluations never go back before it, so a patient's outputs move forward in time.
    package var lastEvaluatedAt: Date?
    /// Per output stream (``OutputID/stream``), the instant and revision of the latest id issued:
    /// a second record of a stream at one instant gets the next revision.
    package var issuedOutputs: [String: IssuedOutput] = [:]
    /// The event ids of the course (derived, built when first needed on a long course).
    private var eventIds: Set<String>?
    /// The admission (patient) events of the course, in the same order (derived): an evaluation
    /// reads the protocol and site from them at every instant, which must not scan a long course.
    package private(set) var admissions: [PatientEvent] = []
    /// Instants of pharmacy inventory changes for the patient's site after its last evaluation
    /// (ascending): each is evaluated at its own instant, like an event's. Derived from the
    /// inventory history (``InventoryHistory/changes(after:)``) when a change
    /// arrives and after a restore, so neither the changelog nor equality holds them.
    package private(set) var inventoryInstants: [Date] = []
    /// The timeline of the course an evaluation built (``PatientEvaluator``), kept so that the next
    /// event extends it (``PatientTimeline/extended(by:)``) instead of every evaluation building
    /// it again: derived, neither persisted nor compared; dropped when an event cannot extend it
    /// or events are pruned.
    package var timeline: PatientTimeline?

    package init(patientId: String) {
        self.patientId = patientId
        course = CompactCourse(patientId: patientId)
    }

    /// A state holding `course` (already in event time), its admissions derived from it.
    init(course: CompactCourse) {
        patientId = course.patientId
        self.course = course
        deriveAdmissions()
    }

    /// The course's events, decoded (the evaluator's timeline is built from them).
    package var events: [ClinicalEvent] { course.events }

    /// Latest event time of the course.
    package var latestEventAt: Date? { course.isEmpty ? nil : course.occurredAt(at: course.count - 1) }

    /// Earliest event time of the course.
    package var earliestEventAt: Date? { course.isEmpty ? nil : course.occurredAt(at: 0) }

    /// The distinct event instants after the last evaluation (every one before the first), in
    /// event time: the instants still to be evaluated. They follow from the changelog record, so
    /// an owner that restores the patient evaluates them as the previous owner would have.
    package var pendingInstants: [Date] {
        var instants: [Date] = []
        for index in (0..<course.count).reversed() {
            let occurredAt = course.occurredAt(at: index)
            if let evaluated = lastEvaluatedAt, occurredAt <= evaluated { break }
            if instants.last != occurredAt { instants.append(occurredAt) }
        }
        let inventory = inventoryInstants.filter { instant in lastEvaluatedAt.map { instant > $0 } ?? true }
        guard !inventory.isEmpty else { return instants.reversed() }
        return Array(Set(instants).union(inventory)).sorted()
    }

    /// Whether an event or inventory instant after the last evaluation is still to be evaluated.
    package var hasPendingInstants: Bool {
        guard let latestEvent = latestEventAt ?? inventoryInstants.last else { return false }
        let latest = inventoryInstants.last.map { max($0, latestEvent) } ?? latestEvent
        return lastEvaluatedAt.map { latest > $0 } ?? true
    }

    /// Adds inventory change instants to evaluate (those at or before the last evaluation are not
    /// pending and are left out). - Returns: whether one was added.
    @discardableResult
    package mutating func addInventoryInstants(_ instants: [Date]) -> Bool {
        let added = instants.filter { instant in
            lastEvaluatedAt.map { instant > $0 } ?? true && !inventoryInstants.contains(instant)
        }
        guard !added.isEmpty else { return false }
        inventoryInstants = (inventoryInstants + added).sorted()
        return true
    }

    /// Forgets the inventory instants at or before the last evaluation.
    mutating func settleInventoryInstants() {
        guard let evaluated = lastEvaluatedAt, let first = inventoryInstants.first, first <= evaluated else { return }
        inventoryInstants.removeAll { $0 <= evaluated }
    }

    /// Whether the state already reflects this input record.
    package func hasApplied(topic: String, offset: Int64) -> Bool {
        guard let applied = appliedOffsets[topic] else { return false }
        return offset <= applied
    }

    /// Whether an event with this id is already part of the course (an HL7 resend, a replay).
    package mutating func contains(eventId: String) -> Bool {
        if eventIds == nil, course.count >= Self.indexedCourseLength {
            eventIds = Set((0..<course.count).map(course.eventId(at:)))
        }
        if let eventIds { return eventIds.contains(eventId) }
        return course.contains(eventId: eventId)
    }

    /// From this many events on, ``contains(eventId:)`` keeps a set of the ids (a linear search per
    /// event would make a long course quadratic).
    static let indexedCourseLength = 256

    /// Inserts an event in event time; an event with the same instant as others goes after them.
    package mutating func insert(_ event: ClinicalEvent) {
        course.insert(event)
        eventIds?.insert(event.eventId)
        timeline = timeline?.extended(by: event)
        if case .patient(let admission) = event {
            let index = admissions.partitionPoint { $0.occurredAt > admission.occurredAt }
            admissions.insert(admission, at: index)
        }
    }

    /// Derives ``admissions`` from the course, decoding only its patient events.
    private mutating func deriveAdmissions() {
        admissions = (0..<course.count).compactMap { index in
            guard course.kind(at: index) == .patient, case .patient(let admission) = course.event(at: index) else {
                return nil
            }
            return admission
        }
    }

    /// States are equal when their content is: the same course records and the same fields.
    package static func == (lhs: PatientState, rhs: PatientState) -> Bool {
        lhs.patientId == rhs.patientId && lhs.course == rhs.course && lhs.appliedOffsets == rhs.appliedOffsets
            && lhs.published == rhs.published && lhs.recommendations == rhs.recommendations
            && lhs.nextDecisionAt == rhs.nextDecisionAt && lhs.lastEvaluatedAt == rhs.lastEvaluatedAt
            && lhs.issuedOutputs == rhs.issuedOutputs
    }

    /// The id the next record of `type` (and `drug`) evaluated at `instant` gets: revision 0 at a
    /// new instant, one more than the last issued at the same one.
    package func nextOutputID(_ type: OutputType, at instant: Date, drug: String? = nil) -> OutputID {
        var id = OutputID(type: type, patientId: patientId, instant: instant, drug: drug)
        if let last = issuedOutputs[id.stream], last.instantMilliseconds == id.instantMilliseconds {
            id.revision = last.revision + 1
        }
        return id
    }

    /// Records that `id` was issued, so the stream's next record at the same instant gets the next revision.
    package mutating func noteIssued(_ id: OutputID) {
        issuedOutputs[id.stream] = IssuedOutput(instantMilliseconds: id.instantMilliseconds, revision: id.revision)
    }

    /// Drops events no rule can need any more: everything older than `horizon` before the latest
    /// event, except the latest patient (admission) event, which carries age, allergies and infusion.
    package mutating func prune(keeping horizon: TimeInterval) {
        guard let latest = latestEventAt else { return }
        let cutoff = latest.addingTimeInterval(-horizon)
        guard let first = earliestEventAt, first < cutoff else { return }
        course.retain { occurredAt, kind in occurredAt >= cutoff || kind == .patient }
        eventIds = nil
        timeline = nil
        deriveAdmissions()
        recommendations.removeAll { $0.issuedAt < cutoff }
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, assuming the array is partitioned
    /// (all non-matching elements first).
    func partitionPoint(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// The latest id issued in one output stream of a patient (``PatientState/issuedOutputs``).
package struct IssuedOutput: Sendable, Equatable, Codable {
    package var instantMilliseconds: Int64
    package var revision: Int
}

/// The part of each output that decides whether a new one is published: the grades, the
/// recommendation's action and dose, and the alternatives, as decided. Reasons and event ids
/// change with every observation and do not count. Each is stored in its text form (see
/// ``PublishedRecommendation``); a stored form this version cannot read matches no decision, so
/// the output is published again.
package struct PublishedSummary: Sendable, Equatable, Codable {
    package var grades: GradeDecisions?
    package var recommendation: PublishedRecommendation?
    /// The summaries of ``shortageAdvice``, joined (kept for readers of the changelog).
    package var alternatives: String?
    /// The short drugs the latest alternatives were about: when one drops out, the worker
    /// publishes that the patient no longer needs it, so that site totals stop counting it.
    package var alternativeDrugs: [String]?
    /// Per short drug with published advice: the advice's summary, and the latest evaluated
    /// instant at which the patient needed the drug (shortage hysteresis). Absent in records
    /// written before the hysteresis.
    package var shortageAdvice: [String: ShortageAdviceState]?

    package init(
        grades: GradeDecisions? = nil, recommendation: PublishedRecommendation? = nil, alternatives: String? = nil,
        alternativeDrugs: [String]? = nil
    ) {
        self.grades = grades
        self.recommendation = recommendation
        self.alternatives = alternatives
        self.alternativeDrugs = alternativeDrugs
    }

    private enum CodingKeys: String, CodingKey {
        case grades, recommendation, alternatives, alternativeDrugs, shortageAdvice
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        grades = try c.decodeIfPresent(String.self, forKey: .grades).flatMap(GradeDecisions.init)
        recommendation = try c.decodeIfPresent(String.self, forKey: .recommendation).flatMap(
            PublishedRecommendation.init)
        alternatives = try c.decodeIfPresent(String.self, forKey: .alternatives)
        alternativeDrugs = try c.decodeIfPresent([String].self, forKey: .alternativeDrugs)
        shortageAdvice = try c.decodeIfPresent([String: ShortageAdviceState].self, forKey: .shortageAdvice)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(grades?.description, forKey: .grades)
        try c.encodeIfPresent(recommendation?.description, forKey: .recommendation)
        try c.encodeIfPresent(alternatives, forKey: .alternatives)
        try c.encodeIfPresent(alternativeDrugs, forKey: .alternativeDrugs)
        try c.encodeIfPresent(shortageAdvice, forKey: .shortageAdvice)
    }
}

extension PublishedSummary {
    /// The shortage advice state, per short drug; a record written before the hysteresis knows only
    /// the drugs, needed as of `instant`.
    func adviceState(since instant: Date) -> [String: ShortageAdviceState] {
        if let shortageAdvice { return shortageAdvice }
        var state: [String: ShortageAdviceState] = [:]
        for drug in alternativeDrugs ?? [] { state[drug] = ShortageAdviceState(summary: nil, neededAt: instant) }
        return state
    }

    /// Records the advice state (and the drugs and summaries derived from it).
    mutating func setAdvice(_ state: [String: ShortageAdviceState]) {
        shortageAdvice = state
        let drugs = state.keys.sorted()
        alternativeDrugs = drugs.isEmpty ? nil : drugs
        alternatives = drugs.isEmpty ? nil : drugs.compactMap { state[$0].map(\.storedSummary) }.joined(separator: ";")
    }
}

/// The published shortage advice of one short drug (``PublishedSummary/shortageAdvice``).
package struct ShortageAdviceState: Sendable, Equatable, Codable {
    /// What makes the advice new (the drug, site, status and alternatives offered); `nil` when not
    /// known (a record written before the hysteresis): it matches no advice.
    package var summary: PublishedShortageAdvice?
    /// The latest evaluated instant at which the patient would receive the drug.
    package var neededAt: Date

    package init(summary: PublishedShortageAdvice?, neededAt: Date) {
        self.summary = summary
        self.neededAt = neededAt
    }

    /// The summary as stored (empty when not known).
    var storedSummary: String { summary?.description ?? "" }

    private enum CodingKeys: String, CodingKey { case summary, neededAt }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        summary = PublishedShortageAdvice(try c.decode(String.self, forKey: .summary))
        neededAt = try c.decode(Date.self, forKey: .neededAt)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(storedSummary, forKey: .summary)
        try c.encode(neededAt, forKey: .neededAt)
    }
}

/// The changelog value of a patient (`toxd.patient-state.v1`, key = patient id).
///
/// Format 2 holds the course as its compact records (``CompactCourse/bytes``) in one base64url string,
/// `course`; format 1, written by earlier versions and still read, held each event as contract
/// JSON in `events`.
package struct PatientStateRecord: Codable, Sendable {
    package static let formatVersion = 2

    package var formatVersion: Int
    package var patientId: String
    package var course: CompactCourse
    package var appliedOffsets: [String: Int64]
    package var published: PublishedSummary
    package var recommendations: [PriorRecommendationWire]?
    package var nextDecisionAt: Date?
    package var lastEvaluatedAt: Date?
    /// Absent in records written before output ids were content-derived.
    package var issuedOutputs: [String: IssuedOutput]?

    package init(_ state: PatientState) {
        formatVersion = Self.formatVersion
        patientId = state.patientId
        course = state.course
        appliedOffsets = state.appliedOffsets
        published = state.published
        recommendations = state.recommendations.map(PriorRecommendationWire.init)
        nextDecisionAt = state.nextDecisionAt
        lastEvaluatedAt = state.lastEvaluatedAt
        issuedOutputs = state.issuedOutputs.isEmpty ? nil : state.issuedOutputs
    }

    /// The course's events, decoded.
    package var events: [ClinicalEvent] { course.events }

    private enum CodingKeys: String, CodingKey {
        case formatVersion, patientId, course, events, appliedOffsets, published, recommendations, nextDecisionAt
        case lastEvaluatedAt, issuedOutputs
    }

    /// Reads format 2 (the course validated record by record) and format 1 (the events' JSON).
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        patientId = try c.decode(String.self, forKey: .patientId)
        switch formatVersion {
        case 1:
            course = CompactCourse(patientId: patientId)
            for envelope in try c.decode([EventEnvelope].self, forKey: .events) {
                if case .clinical(let event) = envelope.event { course.insert(event) }
            }
        case 2:
            let text = try c.decode(String.self, forKey: .course)
            do {
                course = try CompactCourse(patientId: patientId, bytes: try Base64.decode(text.utf8))
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .course, in: c, debugDescription: "\(error)")
            }
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .formatVersion, in: c, debugDescription: "unknown format \(formatVersion)")
        }
        appliedOffsets = try c.decode([String: Int64].self, forKey: .appliedOffsets)
        published = try c.decode(PublishedSummary.self, forKey: .published)
        recommendations = try c.decodeIfPresent([PriorRecommendationWire].self, forKey: .recommendations)
        nextDecisionAt = try c.decodeIfPresent(Date.self, forKey: .nextDecisionAt)
        lastEvaluatedAt = try c.decodeIfPresent(Date.self, forKey: .lastEvaluatedAt)
        issuedOutputs = try c.decodeIfPresent([String: IssuedOutput].self, forKey: .issuedOutputs)
    }

    /// Writes format 2; the course's base64url is Foundation's base64 with `-` and `_` for `+` and
    /// `/`, independent of the byte writer's.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(patientId, forKey: .patientId)
        let base64 = Data(course.bytes).base64EncodedString()
        try c.encode(
            base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"), forKey: .course)
        try c.encode(appliedOffsets, forKey: .appliedOffsets)
        try c.encode(published, forKey: .published)
        try c.encodeIfPresent(recommendations, forKey: .recommendations)
        try c.encodeIfPresent(nextDecisionAt, forKey: .nextDecisionAt)
        try c.encodeIfPresent(lastEvaluatedAt, forKey: .lastEvaluatedAt)
        try c.encodeIfPresent(issuedOutputs, forKey: .issuedOutputs)
    }

    /// ``encode(_:)`` through the reference path: the whole record encoded by Foundation's
    /// `JSONEncoder` (``encoder``). The same bytes as ``encode(_:)`` (the property tests compare both).
    package static func encodeWithFoundation(_ state: PatientState) -> [UInt8] {
        (try? encoder.encode(PatientStateRecord(state))).map { Array($0) } ?? []
    }

    /// Changelog dates are `Date`'s own value (seconds since 2001-01-01 as a Double), so a restored
    /// state equals the one written: ISO-8601 drops the fractions of computed instants such as a
    /// next dose, and seconds since 1970 lose the last bit in the conversion.
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .deferredToDate
        return encoder
    }()

    /// Rebuilds the state around the record's course.
    package func state() -> PatientState {
        var state = PatientState(course: course)
        state.appliedOffsets = appliedOffsets
        state.published = published
        state.recommendations = recommendations?.map(\.prior) ?? []
        state.nextDecisionAt = nextDecisionAt
        state.lastEvaluatedAt = lastEvaluatedAt
        state.issuedOutputs = issuedOutputs ?? [:]
        return state
    }
}

/// The changelog's per-partition checkpoint: where each output partition ended after the last
/// batch whose changelog was written. Outputs after these offsets may belong to an interrupted
/// batch, so restore scans them.
package struct PartitionCheckpoint: Codable, Sendable, Equatable {
    package var formatVersion = 1
    package var partition: Int
    /// Output topic → the offset just after the batch's last output in partition `partition`.
    package var outputEndOffsets: [String: Int64]
    /// Input topic → the next offset after the inputs whose effects (outputs, dead letters and
    /// changelog records) are all written. Inputs below it are skipped even if their offsets were
    /// never committed, which covers poison records that leave no patient state behind.
    package var handledInputOffsets: [String: Int64]
    /// Outputs an earlier owner wrote after its last checkpoint, found in the output partitions,
    /// that the patients' states do not reflect yet (id → content digest; `nil` when none). They
    /// lie before ``outputEndOffsets`` once this owner wrote after them, where the next owner's scan
    /// does not see them; it learns them here, so it does not write them again.
    package var foundOutputs: [String: RecordDigest]?

    /// The found outputs are added by ``PartitionProcessor/checkpointOutput(_:)``.
    package init(partition: Int, outputEndOffsets: [String: Int64], handledInputOffsets: [String: Int64]) {
        self.partition = partition
        self.outputEndOffsets = outputEndOffsets
        self.handledInputOffsets = handledInputOffsets
    }

    /// The changelog key of partition `partition`'s checkpoint. It starts with a control
    /// character, which no patient id (an HL7 or FHIR identifier) may contain.
    package static func key(partition: Int) -> String { "\u{1}toxd-checkpoint-\(partition)" }
}
