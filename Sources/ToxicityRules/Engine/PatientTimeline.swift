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
    final class Storage: Sendable {
        let events: [ClinicalEvent]
        let recommendations: [PriorRecommendation]
        let policy: GradingPolicy
        let eventIds: [String]
        let eventTimes: [Double]
        let index: TimelineIndex
        let crsCourse: GradeCourse
        let icansCourse: GradeCourse
        let iecHsCourse: GradeCourse

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

        /// `other` with `event` appended: the index extended and the grade courses built on from
        /// their resume points (``CourseResumePoint``). `event` is new, not a patient event, and
        /// not earlier than `other`'s latest event.
        init(_ other: Storage, appending event: ClinicalEvent) {
            let time = event.occurredAt.timeIntervalSinceReferenceDate
            var events = other.events
            events.append(event)
            self.events = events
            self.recommendations = other.recommendations
            self.policy = other.policy
            var ids = other.eventIds
            ids.append(event.eventId)
            self.eventIds = ids
            var times = other.eventTimes
            times.append(time)
            self.eventTimes = times
            var index = other.index
            index.add(event, position: other.events.count, policy: policy)
            self.index = index
            let crs = index.buildCRSCourse(
                policy: policy, startEvents: ids, previous: other.crsCourse, resumeBefore: time)
            self.crsCourse = crs
            self.icansCourse = index.buildICANSCourse(
                policy: policy, startEvents: ids, previous: other.icansCourse, resumeBefore: time)
            self.iecHsCourse = index.buildIECHSCourse(
                policy: policy, crs: crs, startEvents: ids, previous: other.iecHsCourse, resumeBefore: time)
        }

        /// `other`'s events, index and grade courses (none depends on the recommendations) with
        /// other recommendations.
        init(_ other: Storage, recommendations: [PriorRecommendation]) {
            self.events = other.events
            self.recommendations = recommendations.sorted { $0.issuedAt < $1.issuedAt }
            self.policy = other.policy
            self.eventIds = other.eventIds
            self.eventTimes = other.eventTimes
            self.index = other.index
            self.crsCourse = other.crsCourse
            self.icansCourse = other.icansCourse
            self.iecHsCourse = other.iecHsCourse
        }
    }

    let storage: Storage

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
        for (k, event) in newEvents.enumerated() {
            guard let extended = timeline.extended(by: event) else {
                return timeline.rebuilt(adding: newEvents[k...])
            }
            timeline = extended
        }
        return timeline
    }

    /// The timeline with `event` added without a full build (``adding(_:)``); `nil` when the event
    /// needs one: it is earlier than the latest event, or a patient event.
    package func extended(by event: ClinicalEvent) -> PatientTimeline? {
        if case .patient = event { return nil }
        if let latest = eventTimes.last, event.occurredAt.timeIntervalSinceReferenceDate < latest { return nil }
        // The first event with an id wins (`init(events:)`).
        if eventIds.contains(event.eventId) { return self }
        return PatientTimeline(storage: Storage(storage, appending: event))
    }

    /// The timeline built again from its events and `newEvents`.
    private func rebuilt(adding newEvents: ArraySlice<ClinicalEvent>) -> PatientTimeline {
        PatientTimeline(events: events + newEvents, recommendations: recommendations, policy: policy)
    }

    /// The same events with other earlier recommendations, without building the index and the
    /// grade courses again: a worker evaluating one course at many instants builds them once and
    /// hands in the recommendations it issued so far at each instant.
    package func with(recommendations: [PriorRecommendation]) -> PatientTimeline {
        PatientTimeline(storage: Storage(storage, recommendations: recommendations))
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
