package import Foundation

/// One patient's course as the engine evaluates it: every event in event time, with per-kind
/// indexes and the grade histories precomputed once, so that evaluating at any instant is a set of
/// binary searches.
///
/// - Events are ordered by `occurredAt`; events at the same instant keep their input order.
/// - An event whose `eventId` was already seen is ignored (the first one wins): HL7 resends and
///   replays do not count twice.
/// - Only events with `occurredAt ≤ T` count for an evaluation at T, and the history up to T
///   depends on nothing later, so replaying the events one by one gives the same answers: a
///   timeline holding later events assesses T exactly as one cut at T (the worker builds one
///   timeline per batch and assesses every instant of the batch from it; ToxWorkerTests'
///   `TimelinePrefixTests` checks it at every instant of random courses).
///
/// The histories depend on the ``GradingPolicy``; build the timeline with the policy of the engine
/// that will evaluate it (``ToxicityEngine/timeline(_:recommendations:)``). An engine handed a
/// timeline built with another policy rebuilds it (correct, but not fast).
package struct PatientTimeline: Sendable {
    /// Everything derived from the events, shared by copies of the timeline (a timeline is passed
    /// around by value on every evaluation; copying it must cost one reference count).
    ///
    /// `@unchecked Sendable`: the members change only in ``append(_:)``, which
    /// ``PatientTimeline/extend(by:)`` calls only on storage no other timeline holds
    /// (`isKnownUniquelyReferenced`), so no other reference, and no other task, can see a change.
    final class Storage: @unchecked Sendable {
        private(set) var events: [ClinicalEvent]
        let recommendations: [PriorRecommendation]
        let policy: GradingPolicy
        private(set) var eventIds: [String]
        private(set) var eventTimes: [Double]
        private(set) var index: TimelineIndex
        private(set) var crsCourse: GradeCourse
        private(set) var icansCourse: GradeCourse
        private(set) var iecHsCourse: GradeCourse

        init(ordered: [ClinicalEvent], recommendations: [PriorRecommendation], policy: GradingPolicy) {
            self.events = ordered
            self.recommendations = recommendations.sorted { $0.issuedAt < $1.issuedAt }
            self.policy = policy
            let ids = ordered.map(\.eventId)
            self.eventIds = ids
            self.eventTimes = ordered.map { $0.occurredAt.timeIntervalSinceReferenceDate }
            let index = TimelineIndex(events: ordered, policy: policy)
            self.index = index
            let latest = eventTimes.last ?? -.infinity
            let crs = index.buildCRSCourse(policy: policy, startEvents: ids, resumeBefore: latest)
            self.crsCourse = crs
            self.icansCourse = index.buildICANSCourse(policy: policy, startEvents: ids, resumeBefore: latest)
            self.iecHsCourse = index.buildIECHSCourse(
                policy: policy, crs: crs, startEvents: ids, resumeBefore: latest)
        }

        /// A copy of `other`, to be extended without changing it, or with other recommendations
        /// (`nil`: `other`'s); none of the events, index and grade courses depends on them.
        init(copying other: Storage, recommendations: [PriorRecommendation]? = nil) {
            self.events = other.events
            self.recommendations = recommendations?.sorted { $0.issuedAt < $1.issuedAt } ?? other.recommendations
            self.policy = other.policy
            self.eventIds = other.eventIds
            self.eventTimes = other.eventTimes
            self.index = other.index
            self.crsCourse = other.crsCourse
            self.icansCourse = other.icansCourse
            self.iecHsCourse = other.iecHsCourse
        }

        /// Appends `event`: the index extended and the grade courses built on from their resume
        /// points (``CourseResumePoint``). `event` is new, not a patient event, and not earlier than
        /// the latest event. Only for storage no other timeline holds (see the type's comment).
        func append(_ event: ClinicalEvent) {
            let time = event.occurredAt.timeIntervalSinceReferenceDate
            index.add(event, position: events.count, policy: policy)
            events.append(event)
            eventIds.append(event.eventId)
            eventTimes.append(time)
            crsCourse = index.buildCRSCourse(
                policy: policy, startEvents: eventIds, previous: crsCourse, resumeBefore: time)
            icansCourse = index.buildICANSCourse(
                policy: policy, startEvents: eventIds, previous: icansCourse, resumeBefore: time)
            iecHsCourse = index.buildIECHSCourse(
                policy: policy, crs: crsCourse, startEvents: eventIds, previous: iecHsCourse, resumeBefore: time)
        }
    }

    private(set) var storage: Storage

    /// The events, de-duplicated and in event-time order.
    package var events: [ClinicalEvent] { storage.events }
    /// Earlier engine recommendations, in issue order.
    package var recommendations: [PriorRecommendation] { storage.recommendations }
    /// The policy the histories were computed with.
    package var policy: GradingPolicy { storage.policy }
    /// CRS grade history and episodes.
    package var crsCourse: GradeCourse { storage.crsCourse }
    /// ICANS grade history and episodes.
    package var icansCourse: GradeCourse { storage.icansCourse }
    /// IEC-HS / carHLH grade history and episodes (with the policy's criteria set).
    package var iecHsCourse: GradeCourse { storage.iecHsCourse }

    var eventIds: [String] { storage.eventIds }
    var eventTimes: [Double] { storage.eventTimes }
    var index: TimelineIndex { storage.index }

    /// Builds a timeline.
    /// - Parameters:
    ///   - events: The patient's events in any order; duplicates by `eventId` are dropped (first wins).
    ///   - recommendations: The engine's earlier recommendations for this patient.
    ///   - policy: The grading policy the histories are computed with.
    package init(
        events: [ClinicalEvent], recommendations: [PriorRecommendation] = [], policy: GradingPolicy = .default
    ) {
        var seen = Set<String>()
        seen.reserveCapacity(events.count)
        var unique: [(position: Int, event: ClinicalEvent, time: Double)] = []
        unique.reserveCapacity(events.count)
        for (position, event) in events.enumerated() where seen.insert(event.eventId).inserted {
            unique.append((position, event, event.occurredAt.timeIntervalSinceReferenceDate))
        }
        unique.sort { $0.time != $1.time ? $0.time < $1.time : $0.position < $1.position }
        storage = Storage(ordered: unique.map(\.event), recommendations: recommendations, policy: policy)
    }

    /// The same events under another policy.
    package func rebuilt(policy: GradingPolicy) -> PatientTimeline {
        PatientTimeline(storage: Storage(ordered: events, recommendations: recommendations, policy: policy))
    }

    /// A timeline with more events: the result is what `init(events:)` would give for all of them.
    ///
    /// Events in event-time order from the latest one on (a live feed) extend the index and build
    /// the grade courses on from where later events can change them, which costs what the new
    /// events change rather than what the whole course holds; an earlier event or a patient event
    /// (which may add an age source, whose birthdays are candidate instants before it) rebuilds
    /// everything.
    package func adding(_ newEvents: [ClinicalEvent]) -> PatientTimeline {
        var timeline = self
        for (k, event) in newEvents.enumerated() where !timeline.extend(by: event) {
            return timeline.rebuilt(adding: newEvents[k...])
        }
        return timeline
    }

    /// Adds `event` without a full build (``adding(_:)``), in place when no other timeline shares
    /// this one's storage (a worker's held timeline; a copy otherwise), so that a live feed's event
    /// does not copy the course. - Returns: `false`, leaving the timeline as it was, when the event
    /// needs a full build: it is earlier than the latest event, or a patient event.
    package mutating func extend(by event: ClinicalEvent) -> Bool {
        if case .patient = event { return false }
        if let latest = eventTimes.last, event.occurredAt.timeIntervalSinceReferenceDate < latest { return false }
        // The first event with an id wins (`init(events:)`).
        if eventIds.contains(event.eventId) { return true }
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        storage.append(event)
        return true
    }

    /// The timeline built again from its events and `newEvents`.
    private func rebuilt(adding newEvents: ArraySlice<ClinicalEvent>) -> PatientTimeline {
        PatientTimeline(events: events + newEvents, recommendations: recommendations, policy: policy)
    }

    /// The same events with other earlier recommendations, without building the index and the
    /// grade courses again: a worker evaluating one course at many instants builds them once and
    /// hands in the recommendations it issued so far at each instant.
    package func with(recommendations: [PriorRecommendation]) -> PatientTimeline {
        PatientTimeline(storage: Storage(copying: storage, recommendations: recommendations))
    }

    init(storage: Storage) {
        self.storage = storage
    }

    /// The latest event time: the default instant for an offline evaluation (`toxctl evaluate`
    /// without `--at`).
    package var lastEventAt: Date? { events.last?.occurredAt }

    /// The patient id of the events (of the first one; a timeline holds one patient).
    package var patientId: String? { events.first?.patientId }
}

/// Alerts collected during one evaluation; an alert code appears once, with the fields and events
/// of every occurrence merged.
struct AlertList {
    enum Kind {
        case vitals, neuro, labs
    }

    var alerts: [Alert] = []

    mutating func add(_ code: AlertCode, fields: CompactList<FieldName>, events: [Int32], _ timeline: PatientTimeline) {
        if let i = alerts.firstIndex(where: { $0.code == code }) {
            for field in fields where !alerts[i].fields.contains(field) { alerts[i].fields.append(field) }
            for event in events {
                let id = timeline.eventIds[Int(event)]
                if !alerts[i].eventIds.contains(id) { alerts[i].eventIds.append(id) }
            }
            return
        }
        var ids = CompactList<String>()
        for event in events { ids.append(timeline.eventIds[Int(event)]) }
        alerts.append(Alert(code: code, fields: fields, eventIds: ids))
    }

    /// `missing-<kind>` for a finding never observed, `stale-<kind>` for one too old (A1).
    mutating func addReading<V>(
        _ reading: Reading, field: FieldName, series: Series<V>, kind: Kind, _ timeline: PatientTimeline
    ) {
        switch reading {
        case .current:
            return
        case .missing:
            let code: AlertCode =
                switch kind {
                case .vitals: .missingVitals
                case .neuro: .missingNeuro
                case .labs: .missingLabs
                }
            add(code, fields: [field], events: [], timeline)
        case .stale(let i):
            let code: AlertCode =
                switch kind {
                case .vitals: .staleVitals
                case .neuro: .staleNeuro
                case .labs: .staleLabs
                }
            add(code, fields: [field], events: [series.events[i]], timeline)
        }
    }
}
