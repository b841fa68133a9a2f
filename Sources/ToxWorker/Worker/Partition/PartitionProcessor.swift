package import Foundation
package import KafkaClient
import ToxWatchContract
import ToxicityRules

/// Applies batches of one partition's inputs to its patients and says what to write.
///
/// Pure and single-threaded: one partition task owns one processor. Kafka, clocks and metrics
/// stay outside; the wall-clock time of a dead letter is an argument.
package struct PartitionProcessor: Sendable {
    package let partition: Int
    package private(set) var patients: [String: PatientState] = [:]
    private let evaluator: PatientEvaluator
    private let lateEventWindow: TimeInterval
    /// How much of a course is kept in memory and in the changelog.
    private let retention: TimeInterval
    /// Shortage advice ends only after the need has been absent this long (or the course ended).
    private let shortage: ShortageHysteresis
    /// How long the latest evaluation took.
    private var lastEvaluationDuration: Duration = .zero
    /// Outputs of the latest evaluation that could not be encoded.
    private var lastFailedOutputs = 0
    /// Patients as they were before the current batch, for ``rollback()``; `nil` = did not exist.
    private var undo: [String: PatientState?] = [:]
    /// This owner's writer epoch: one more than the highest epoch found in the changelog at restore.
    /// Changelog records carry it, and restore ignores a record older than an epoch already seen,
    /// so a previous owner that still writes after losing the partition cannot overwrite newer state.
    package var epoch = 0
    /// Per input topic, the offset below which every input's effects are durable (from the last
    /// checkpoint); such inputs are skipped when re-consumed.
    package private(set) var handledInputOffsets: [String: Int64] = [:]
    /// The highest writer epoch read during restore.
    package private(set) var highestRestoredEpoch = 0
    /// Changelog records ignored during restore because an older owner wrote them.
    package private(set) var fencedRecords = 0
    /// The size and clock-skew bounds inputs are checked against (``InputAdmission``).
    package var admission = InputAdmission()
    /// Outputs found in the output partitions after the last checkpoint, or carried by it
    /// (id → content digest): written by an owner whose state was lost. An id found here with
    /// other content is never issued again (a consumer that de-duplicates by id would drop the new
    /// content); the output takes the next revision instead.
    package var foundOutputs: [String: RecordDigest] = [:]

    /// When each patient's pending instants may be evaluated (their grace).
    private var gate: EvaluationGate
    /// When each patient whose timeline may be held was last evaluated (a use count).
    private var timelineUse: [String: UInt64] = [:]
    private var timelineUses: UInt64 = 0
    /// Patients with event instants not evaluated yet (``PatientState/hasPendingInstants``).
    private var pending: Set<String> = []
    /// Set by restore: the arrivals, inventory instants and pending patients are rebuilt before the
    /// next batch.
    private var needsGateRebuild = false

    /// - Parameter evaluationGrace: how long an instant waits after its last record arrived before
    ///   it is evaluated (``EvaluationGate``); zero (the default here; the worker's is
    ///   ``WorkerConfiguration/evaluationGrace``) evaluates every instant as soon as it arrives.
    package init(
        partition: Int, evaluator: PatientEvaluator, lateEventWindow: Duration,
        retention: Duration = .seconds(30 * 86_400),
        shortageHold: Duration = WorkerConfiguration.defaultShortageHold, evaluationGrace: Duration = .zero
    ) {
        self.partition = partition
        self.evaluator = evaluator
        self.lateEventWindow = lateEventWindow.timeInterval
        self.retention = retention.timeInterval
        self.shortage = ShortageHysteresis(hold: shortageHold.timeInterval)
        self.gate = EvaluationGate(grace: evaluationGrace.timeInterval)
    }

    // MARK: Restore

    /// Applies one changelog record read during restore (later records of a patient win).
    /// - Returns: the checkpoint, when the record is one.
    /// - Parameter timestamp: the changelog record's Kafka timestamp: a course whose latest event lies
    ///   more than the clock-skew bound after it does not move partition time (``InputAdmission``).
    package mutating func restore(
        key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader], timestamp: Date? = nil
    ) throws -> PartitionCheckpoint? {
        let recordEpoch = Self.header(OutputHeader.epoch, in: headers).flatMap { Int($0) } ?? 0
        guard recordEpoch >= highestRestoredEpoch else {
            fencedRecords += 1
            return nil
        }
        highestRestoredEpoch = recordEpoch
        let kind = Self.header(OutputHeader.kind, in: headers)
        if kind == OutputRecord.Kind.checkpoint.rawValue {
            guard let value else { return nil }
            let checkpoint = try JSONDecoder().decode(PartitionCheckpoint.self, from: Data(value))
            handledInputOffsets = checkpoint.handledInputOffsets
            foundOutputs = checkpoint.foundOutputs ?? [:]
            return checkpoint
        }
        guard let key else { return nil }
        let patientId = String(decoding: key, as: UTF8.self)
        guard let value else {
            patients[patientId] = nil
            needsGateRebuild = true
            return nil
        }
        let record = try Self.stateDecoder.decode(PatientStateRecord.self, from: Data(value))
        let state = record.state()
        if let latest = state.latestEventAt, streamTime.map({ latest > $0 }) ?? true,
            admission.admitsRestoredTime(latest, writtenAt: timestamp)
        {
            streamTime = latest
        }
        patients[patientId] = state
        needsGateRebuild = true
        return nil
    }

    private static func header(_ name: String, in headers: [KafkaHeader]) -> String? {
        headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Batches

    /// Applies a batch of input records (arrival order) and returns what to write.
    ///
    /// Then every patient of the partition is brought forward: each pending event instant that is
    /// ready (``EvaluationGate``) is evaluated, in event time, with all of its events, each decision
    /// that falls due between two of them at its own instant. An event at or before the patient's
    /// last evaluated instant (a late event within ``lateEventWindow``) is evaluated with the
    /// patient's next instant, or, with none pending, at the last evaluated instant again (its
    /// outputs there take the next revision of their ids).
    /// - Parameters:
    ///   - records: input records of this partition, any patient topic, in arrival order.
    ///   - inventory: the pharmacy stock the evaluations use.
    ///   - now: wall-clock time: written into dead letters, and when the records arrived (grace).
    package mutating func process(_ records: [KafkaMessage], inventory: InventoryHistory, now: Date) -> BatchOutcome {
        undo.removeAll(keepingCapacity: true)
        rebuildGateIfRestored(inventory: inventory)
        var outcome = BatchOutcome()
        // Patients with a late event, and its record.
        var late: [String: OutputCause] = [:]
        var changed: Set<String> = []

        for record in records {
            outcome.commitOffsets[record.topic] = max(outcome.commitOffsets[record.topic] ?? 0, record.offset + 1)
            if let handled = handledInputOffsets[record.topic], record.offset < handled {
                outcome.skipped["already-applied", default: 0] += 1
                continue
            }
            let event: ClinicalEvent
            switch decode(record, now: now) {
            case .deadLetter(let deadLetter):
                outcome.outputs.append(deadLetterOutput(deadLetter))
                outcome.deadLettered[
                    DeadLetterCount(topic: record.topic, reason: deadLetter.reason.rawValue), default: 0] += 1
                continue
            case .event(let decoded):
                event = decoded
            }
            let patientId = event.patientId
            if patients[patientId]?.hasApplied(topic: record.topic, offset: record.offset) == true {
                outcome.skipped["already-applied", default: 0] += 1
                continue
            }
            remember(patientId)
            // Out of the dictionary while it changes: inserting an event then copies a long course
            // once per batch (for rollback), not once per event.
            var state = patients.removeValue(forKey: patientId) ?? PatientState(patientId: patientId)
            state.appliedOffsets[record.topic] = record.offset
            if state.contains(eventId: event.eventId) {
                outcome.skipped["duplicate-event-id", default: 0] += 1
            } else {
                let isTooLate =
                    state.latestEventAt.map { event.occurredAt < $0.addingTimeInterval(-lateEventWindow) } ?? false
                state.insert(event)
                outcome.applied[record.topic, default: 0] += 1
                changed.insert(patientId)
                if streamTime.map({ event.occurredAt > $0 }) ?? true { streamTime = event.occurredAt }
                let cause = OutputCause.input(topic: record.topic, partition: record.partition, offset: record.offset)
                if let evaluated = state.lastEvaluatedAt, event.occurredAt <= evaluated {
                    if !isTooLate { late[patientId] = cause }
                } else {
                    gate.arrived(patientId: patientId, instant: event.occurredAt, now: now, cause: cause)
                    pending.insert(patientId)
                }
            }
            patients[patientId] = state
        }
        for patientId in changed.sorted() {
            guard var state = patients.removeValue(forKey: patientId) else { continue }
            state.prune(keeping: retention)
            // An inventory change read before the patient's events it follows (the inventory has
            // its own consumer) is evaluated at its instant all the same.
            if addInventoryInstants(&state, from: inventory, arrivedAt: now) { pending.insert(patientId) }
            patients[patientId] = state
        }

        for patientId in pending.union(late.keys).sorted() {
            guard var state = patients[patientId] else { continue }
            var course: PatientTimeline?
            var evaluations = advance(
                &state, now: now, through: nil, inventory: inventory, course: &course, outcome: &outcome)
            if evaluations == 0, !state.hasPendingInstants, let cause = late[patientId],
                let evaluated = state.lastEvaluatedAt
            {
                outcome.outputs += evaluate(
                    &state, at: evaluated, cause: cause, inventory: inventory, course: &course, counting: &outcome)
                evaluations += 1
            }
            // A patient still waiting for its grace is left as it is (no changelog record).
            guard evaluations > 0 else { continue }
            remember(patientId)
            patients[patientId] = state
        }
        // Every patient whose offsets moved or that was evaluated gets a changelog record, so a
        // replay skips its inputs and a new owner goes on from its last evaluation.
        for patientId in undo.keys.sorted() {
            if let state = patients[patientId] { outcome.changelog.append(changelogOutput(state)) }
        }
        return outcome
    }

    /// Evaluates every pending instant whose grace has passed by `now`, as a batch without records
    /// does (the partition task is woken for it when the earliest grace ends: ``nextReadyAt``).
    package mutating func evaluateReady(inventory: InventoryHistory, now: Date) -> BatchOutcome {
        process([], inventory: inventory, now: now)
    }

    /// The next time after `now` at which the grace of a pending instant whose arrival this owner
    /// saw ends; nil when none is waiting (or there is no grace).
    package func nextReadyAt(after now: Date) -> Date? { gate.earliestDeadline(after: now) }

    /// The latest event time applied in this partition (its stream time).
    package private(set) var streamTime: Date?

    /// Brings every patient up to `instant` (a punctuation): its pending instants that are ready by
    /// `now` (``process(_:inventory:now:)``), then each decision that falls due at or before
    /// `instant`, and after the patient's last evaluation, at its due instant, in order (at most
    /// ``maxTimerStepsPerPunctuation`` per patient). A decision never fires after a pending instant
    /// that is not ready yet, nor while the patient's records have not settled
    /// (``EvaluationGate/isSettled(patientId:now:)``).
    /// - Parameter now: wall-clock time, for the grace; by default every grace has passed.
    package mutating func punctuate(at instant: Date, now: Date = .distantFuture, inventory: InventoryHistory)
        -> BatchOutcome
    {
        undo.removeAll(keepingCapacity: true)
        rebuildGateIfRestored(inventory: inventory)
        var outcome = BatchOutcome()
        for patientId in patients.keys.sorted() {
            guard var state = patients[patientId],
                pending.contains(patientId) || state.nextDecisionAt.map({ $0 <= instant }) ?? false
            else { continue }
            var course: PatientTimeline?
            let settled = gate.isSettled(patientId: patientId, now: now)
            let evaluations = advance(
                &state, now: now, through: settled ? instant : nil, inventory: inventory, course: &course,
                outcome: &outcome)
            guard evaluations > 0 || state.nextDecisionAt != patients[patientId]?.nextDecisionAt else { continue }
            remember(patientId)
            patients[patientId] = state
            if evaluations > 0 { outcome.changelog.append(changelogOutput(state)) }
        }
        return outcome
    }

    /// Evaluates `state` at each pending instant that is ready, in event time, each decision due
    /// before it first (``fireDueDecisions``); then, with `punctuation`, the decisions due up to it
    /// and before the first instant that is not ready.
    /// - Returns: how many evaluations ran.
    private mutating func advance(
        _ state: inout PatientState, now: Date, through punctuation: Date?, inventory: InventoryHistory,
        course: inout PatientTimeline?, outcome: inout BatchOutcome
    ) -> Int {
        let patientId = state.patientId
        var evaluations = 0
        var waiting: Date?
        var evaluatedThrough: Date?
        defer {
            // Once for the run: settling arrivals per instant would cost a pass over every pending
            // instant per instant (a backlog of thousands waiting for the grace).
            if let evaluatedThrough { gate.evaluated(patientId: patientId, through: evaluatedThrough) }
        }
        for instant in state.pendingInstants {
            guard gate.isReady(instant, patientId: patientId, now: now) else {
                waiting = instant
                break
            }
            evaluations += fireDueDecisions(
                &state, through: instant, inclusive: false, inventory: inventory, course: &course, outcome: &outcome)
            let cause = gate.cause(patientId: patientId, instant: instant) ?? .timer(at: instant)
            outcome.outputs += evaluate(
                &state, at: instant, cause: cause, inventory: inventory, course: &course, counting: &outcome)
            evaluatedThrough = instant
            evaluations += 1
        }
        if waiting == nil { pending.remove(patientId) }
        if let punctuation {
            let (bound, inclusive) =
                waiting.map { $0 <= punctuation ? ($0, false) : (punctuation, true) } ?? (punctuation, true)
            evaluations += fireDueDecisions(
                &state, through: bound, inclusive: inclusive, inventory: inventory, course: &course, outcome: &outcome)
        }
        return evaluations
    }

    /// Evaluates `state` at each decision instant that falls due up to `instant` (at it too when
    /// `inclusive`) and after its last evaluation, in order, at most ``maxTimerStepsPerPunctuation``
    /// times; a due instant at or before the last evaluation is dropped as superseded.
    /// - Returns: how many evaluations ran.
    private mutating func fireDueDecisions(
        _ state: inout PatientState, through instant: Date, inclusive: Bool, inventory: InventoryHistory,
        course: inout PatientTimeline?, outcome: inout BatchOutcome
    ) -> Int {
        var fired = 0
        while fired < Self.maxTimerStepsPerPunctuation, let due = state.nextDecisionAt,
            inclusive ? due <= instant : due < instant
        {
            guard let evaluated = state.lastEvaluatedAt, due > evaluated else {
                state.nextDecisionAt = nil  // superseded by a later evaluation
                break
            }
            outcome.outputs += evaluate(
                &state, at: due, cause: .timer(at: due), inventory: inventory, course: &course, counting: &outcome)
            fired += 1
        }
        return fired
    }

    /// After a restore: which patients have pending instants (``PatientState/pendingInstants``),
    /// their inventory instants included.
    private mutating func rebuildGateIfRestored(inventory: InventoryHistory) {
        guard needsGateRebuild else { return }
        needsGateRebuild = false
        gate.reset()
        for patientId in patients.keys.sorted() {
            guard var state = patients.removeValue(forKey: patientId) else { continue }
            addInventoryInstants(&state, from: inventory, arrivedAt: nil)
            patients[patientId] = state
        }
        pending = Set(patients.filter { $0.value.hasPendingInstants }.keys)
    }

    /// Adds to `state` the instants of the inventory changes at its site that it has not been
    /// evaluated at: after its last evaluation, and not before its first event (a patient is
    /// evaluated from its first event on, as `toxctl evaluate --timeline` does).
    /// - Parameter arrivedAt: when the change (or the record that made it count) arrived, which
    ///   starts the instant's grace; nil after a restore (it starts when the owner first looks).
    /// - Returns: whether an instant was added.
    @discardableResult
    private mutating func addInventoryInstants(
        _ state: inout PatientState, from inventory: InventoryHistory, arrivedAt: Date?, cause: OutputCause? = nil
    ) -> Bool {
        guard let first = state.earliestEventAt else { return false }
        var instants: [Date] = []
        for change in inventory.changes(after: state.lastEvaluatedAt)
        where change.at >= first && instants.last != change.at
            && evaluator.site(of: state, at: change.at) == change.site
        {
            instants.append(change.at)
        }
        guard state.addInventoryInstants(instants) else { return false }
        if let arrivedAt {
            for instant in instants {
                gate.arrived(patientId: state.patientId, instant: instant, now: arrivedAt, cause: cause)
            }
        }
        return true
    }

    /// How many patients of the partition keep their timeline between evaluations
    /// (``PatientState/timeline``): it saves rebuilding it for the next event, and costs about as
    /// much memory as the patient's state. The least recently evaluated patient's goes first.
    static let maxHeldTimelines = 256

    /// `patientId` was evaluated and holds its timeline; beyond ``maxHeldTimelines``, the least
    /// recently evaluated patient's timeline is dropped (its next evaluation builds it again).
    private mutating func holdTimeline(of patientId: String) {
        timelineUses += 1
        timelineUse[patientId] = timelineUses
        guard timelineUse.count > Self.maxHeldTimelines,
            let oldest = timelineUse.min(by: { $0.value < $1.value })?.key
        else { return }
        timelineUse[oldest] = nil
        patients[oldest]?.timeline = nil
    }

    /// A bound on the time-driven evaluations of one patient in one punctuation or batch.
    static let maxTimerStepsPerPunctuation = 64

    /// An inventory change of `site` at `instant` arrived at `now`. Each of the site's patients is
    /// evaluated at that instant, like at an event's, once its grace has passed (by this call when
    /// the grace is zero); a patient already evaluated at or after it is evaluated again at its
    /// latest evaluated instant, as after a late event.
    package mutating func inventoryChanged(
        site: String, at instant: Date, cause: OutputCause, inventory: InventoryHistory, now: Date
    ) -> BatchOutcome {
        undo.removeAll(keepingCapacity: true)
        rebuildGateIfRestored(inventory: inventory)
        var outcome = BatchOutcome()
        for patientId in patients.keys.sorted() {
            guard var state = patients[patientId], evaluator.site(of: state, at: instant) == site else { continue }
            var course: PatientTimeline?
            var evaluations = 0
            if let evaluated = state.lastEvaluatedAt, instant <= evaluated {
                let before = state.published
                let outputs = evaluate(
                    &state, at: evaluated, cause: cause, inventory: inventory, course: &course, counting: &outcome)
                guard state.published != before else { continue }
                outcome.outputs += outputs
                evaluations = 1
            } else {
                // The instant is not undone with the batch: the change is not read again.
                guard addInventoryInstants(&state, from: inventory, arrivedAt: now, cause: cause) else { continue }
                patients[patientId] = state
                pending.insert(patientId)
                evaluations = advance(
                    &state, now: now, through: nil, inventory: inventory, course: &course, outcome: &outcome)
            }
            guard evaluations > 0 else { continue }
            remember(patientId)
            patients[patientId] = state
            outcome.changelog.append(changelogOutput(state))
        }
        return outcome
    }

    /// Undoes every patient change of the last batch (its outputs could not be written).
    package mutating func rollback() {
        for (patientId, before) in undo {
            patients[patientId] = before
            if before?.hasPendingInstants == true { pending.insert(patientId) } else { pending.remove(patientId) }
        }
        undo.removeAll()
    }

    /// The batch's changes are durable: forget how to undo them.
    /// - Parameter handledInputOffsets: the input offsets the checkpoint written with it records.
    package mutating func commit(handledInputOffsets: [String: Int64]) {
        undo.removeAll()
        self.handledInputOffsets = handledInputOffsets
    }

    /// The handled input offsets once `outcome` is durable.
    package func handledInputOffsets(after outcome: BatchOutcome) -> [String: Int64] {
        handledInputOffsets.merging(outcome.commitOffsets, uniquingKeysWith: max)
    }

    // MARK: Internals

    private mutating func remember(_ patientId: String) {
        if undo[patientId] == nil { undo[patientId] = .some(patients[patientId]) }
    }

    private enum Decoded {
        case event(ClinicalEvent)
        case deadLetter(DeadLetterRecord)
    }

    private func decode(_ record: KafkaMessage, now: Date) -> Decoded {
        if let oversized = admission.oversized(record, now: now) { return .deadLetter(oversized) }
        let source = DeadLetterRecord.Source(
            topic: record.topic, partition: Int32(record.partition), offset: record.offset,
            timestamp: record.timestamp?.date)
        func deadLetter(_ reason: DeadLetterReason, field: String?, _ message: String) -> DeadLetterRecord {
            DeadLetterRecord(
                reason: reason, error: .init(field: field, message: message), source: source,
                originalKey: record.key.map { Data($0) }, originalValue: record.value.map { Data($0) },
                originalHeaders: record.headers.map { .init(key: $0.name, value: $0.value.map { Data($0) }) },
                deadLetteredAt: now)
        }
        guard let value = record.value else {
            return .deadLetter(deadLetter(.malformedJSON, field: nil, "the record has no value"))
        }
        let input: InputEvent
        do {
            input = try decodeEvent(value)
        } catch {
            return .deadLetter(deadLetter(error.reason, field: error.field, error.description))
        }
        guard case .clinical(let event) = input, input.type.topic == record.topic else {
            return .deadLetter(
                deadLetter(
                    .wrongTopic, field: "type", "a '\(input.type.rawValue)' event does not belong on \(record.topic)"))
        }
        guard record.key.map({ $0.elementsEqual(event.patientId.utf8) }) ?? false else {
            return .deadLetter(
                deadLetter(.keyMismatch, field: "patientId", "the record key is not the event's patientId"))
        }
        if let problem = admission.clockSkewProblem(
            occurredAt: event.occurredAt, recordTimestamp: record.timestamp?.date ?? now)
        {
            return .deadLetter(deadLetter(.invalidTimestamp, field: "occurredAt", problem))
        }
        return .event(event)
    }

    /// ``evaluate(_:at:cause:inventory:)`` with the evaluation counted in `outcome` (how many, how
    /// long, outputs that could not be encoded).
    private mutating func evaluate(
        _ state: inout PatientState, at instant: Date, cause: OutputCause, inventory: InventoryHistory,
        course: inout PatientTimeline?, counting outcome: inout BatchOutcome
    ) -> [OutputRecord] {
        let outputs = evaluate(&state, at: instant, cause: cause, inventory: inventory, course: &course)
        outcome.evaluations += 1
        outcome.evaluationDurations.append(lastEvaluationDuration)
        outcome.failedOutputs += lastFailedOutputs
        return outputs
    }

    /// Evaluates the patient and returns the outputs that changed. An output that cannot be
    /// encoded is left out and counted in ``lastFailedOutputs``; its part of the published summary
    /// keeps the old value, so the next evaluation tries again.
    /// - Parameter course: the timeline of the patient's current events, built by the first
    ///   evaluation of a batch and reused by the next ones (``PatientEvaluator``).
    private mutating func evaluate(
        _ state: inout PatientState, at instant: Date, cause: OutputCause, inventory: InventoryHistory,
        course: inout PatientTimeline?
    ) -> [OutputRecord] {
        let started = ContinuousClock.now
        let evaluation = evaluator.evaluate(
            state, at: instant, inventory: inventory.snapshot(at: instant), course: &course)
        state.timeline = course
        holdTimeline(of: state.patientId)
        lastEvaluationDuration = ContinuousClock.now - started
        lastFailedOutputs = 0
        state.nextDecisionAt = evaluation.nextDecisionAt
        state.lastEvaluatedAt = instant
        state.settleInventoryInstants()
        var outputs: [OutputRecord] = []
        var published = state.published
        if state.published.grades == nil || evaluation.summary.grades != state.published.grades {
            if let record = output(evaluation.grades, state: &state, cause: cause, at: instant) {
                outputs.append(record)
                published.grades = evaluation.summary.grades
            } else {
                lastFailedOutputs += 1
            }
        }
        if evaluation.summary.recommendation != state.published.recommendation,
            let recommendation = evaluation.recommendation
        {
            if Self.completesStop(recommendation, after: state.recommendations.last) {
                // The course's completion is what the STOP record already says.
                published.recommendation = evaluation.summary.recommendation
            } else if let record = output(recommendation, state: &state, cause: cause, at: instant) {
                outputs.append(record)
                published.recommendation = evaluation.summary.recommendation
                // The engine reads its own earlier advice (taper position, course boundaries).
                state.recommendations.append(recommendation.prior(id: record.id, issuedAt: instant))
            } else {
                lastFailedOutputs += 1
            }
        }
        let before = state.published.adviceState(since: state.lastEvaluatedAt ?? instant)
        let advice = shortage.step(
            published: before, current: Array(zip(evaluation.alternatives, evaluation.alternativeSummaries)),
            at: instant,
            courseEnded: evaluation.endsCourse)
        if advice.state != (state.published.shortageAdvice ?? [:]) {
            // All or none: the ids are issued only when every record of the advice can be written.
            var draft = state
            let records = advice.changes.map { change in
                switch change {
                case .needed(let body):
                    output(body, state: &draft, cause: cause, at: instant, drug: body.shortDrug)
                case .noLongerNeeded(let drug):
                    output(
                        evaluator.noLongerNeeded(
                            drug, state: state, at: instant, inventory: inventory.snapshot(at: instant)), state: &draft,
                        cause: cause,
                        at: instant, drug: drug)
                }
            }
            if records.allSatisfy({ $0 != nil }) {
                outputs += records.compactMap { $0 }
                state.issuedOutputs = draft.issuedOutputs
                published.setAdvice(advice.state)
            } else {
                lastFailedOutputs += records.filter { $0 == nil }.count
            }
        }
        state.published = published
        return outputs
    }

    /// Whether `recommendation` is the completion (`none`, `course-completed`) of the STOP that is
    /// the patient's latest published recommendation: the STOP already says the course ended, at
    /// its own instant or at a later one (a due reassessment when the findings go stale), so it
    /// stays the one record.
    static func completesStop(_ recommendation: AnakinraRecommendation, after prior: PriorRecommendation?) -> Bool {
        guard recommendation.action == .none, let prior, prior.action == .stop else { return false }
        return recommendation.has(.courseCompleted)
    }

}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
