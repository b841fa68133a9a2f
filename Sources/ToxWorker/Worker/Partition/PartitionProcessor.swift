package import ToxWatchContract
package import Foundation
package import KafkaClient
package import ToxicityRules

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

    package init(
        partition: Int, evaluator: PatientEvaluator, lateEventWindow: Duration, retention: Duration = .seconds(30 * 86_400),
        shortageHold: Duration = WorkerConfiguration.defaultShortageHold
    ) {
        self.partition = partition
        self.evaluator = evaluator
        self.lateEventWindow = lateEventWindow.timeInterval
        self.retention = retention.timeInterval
        self.shortage = ShortageHysteresis(hold: shortageHold.timeInterval)
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
        return nil
    }

    private static func header(_ name: String, in headers: [KafkaHeader]) -> String? {
        headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Batches

    /// Applies a batch of input records (arrival order) and returns what to write.
    /// - Parameters:
    ///   - records: input records of this partition, any patient topic, in arrival order.
    ///   - inventory: the pharmacy stock the evaluations use.
    ///   - now: wall-clock time, written into dead letters.
    package mutating func process(_ records: [KafkaMessage], inventory: InventorySnapshot, now: Date) -> BatchOutcome {
        undo.removeAll(keepingCapacity: true)
        var outcome = BatchOutcome()
        var changed: [String: OutputCause] = [:]
        var order: [String] = []
        // Per patient, the instants of the administrations this batch applied (with their records).
        var administrations: [String: [Date: OutputCause]] = [:]

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
                outcome.deadLettered[DeadLetterCount(topic: record.topic, reason: deadLetter.reason.rawValue), default: 0] += 1
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
                let isTooLate = state.latestEventAt.map { event.occurredAt < $0.addingTimeInterval(-lateEventWindow) } ?? false
                state.insert(event, json: record.value)
                outcome.applied[record.topic, default: 0] += 1
                if streamTime.map({ event.occurredAt > $0 }) ?? true { streamTime = event.occurredAt }
                if !isTooLate {
                    if changed[patientId] == nil { order.append(patientId) }
                    let cause = OutputCause.input(topic: record.topic, partition: record.partition, offset: record.offset)
                    changed[patientId] = cause
                    if case .medication = event { administrations[patientId, default: [:]][event.occurredAt] = cause }
                }
            }
            patients[patientId] = state
        }

        for patientId in order {
            guard let cause = changed[patientId], var state = patients[patientId], let at = state.evaluationInstant else { continue }
            state.prune(keeping: retention)
            // Decisions that fell due before the new events (a taper's stop, a reassessment) are
            // evaluated at their own instants first, so no recommendation is skipped because its
            // punctuation had not run before the next event arrived.
            // A medication event moves the course (a dose given, a taper step completed, an agent
            // stopped), so each such instant of the batch before its last is evaluated on its own:
            // the STOP at a taper's last dose is published whether the next day's events arrive
            // in the same batch or later (issue 12: one story however the course is batched).
            for (instant, medicationCause) in (administrations[patientId] ?? [:]).sorted(by: { $0.key < $1.key })
            where instant < at && state.lastEvaluatedAt.map({ instant > $0 }) ?? true {
                fireDueDecisions(&state, through: instant, inclusive: false, inventory: inventory, outcome: &outcome)
                outcome.outputs += evaluate(&state, at: instant, cause: medicationCause, inventory: inventory, counting: &outcome)
            }
            fireDueDecisions(&state, through: at, inclusive: false, inventory: inventory, outcome: &outcome)
            outcome.outputs += evaluate(&state, at: at, cause: cause, inventory: inventory, counting: &outcome)
            patients[patientId] = state
        }
        // Every patient whose offsets moved gets a changelog record, so a replay skips its inputs.
        for patientId in undo.keys.sorted() {
            if let state = patients[patientId] { outcome.changelog.append(changelogOutput(state)) }
        }
        return outcome
    }

    /// The latest event time applied in this partition (its stream time).
    package private(set) var streamTime: Date?

    /// Brings every patient up to `instant` (a punctuation): each decision that falls due at or
    /// before it, and after the patient's last evaluation, is evaluated at its due instant, in
    /// order, until none is left (at most ``maxTimerStepsPerPunctuation`` per patient).
    package mutating func punctuate(at instant: Date, inventory: InventorySnapshot) -> BatchOutcome {
        undo.removeAll(keepingCapacity: true)
        var outcome = BatchOutcome()
        for patientId in patients.keys.sorted() {
            guard var state = patients[patientId], state.nextDecisionAt.map({ $0 <= instant }) ?? false else { continue }
            remember(patientId)
            let fired = fireDueDecisions(&state, through: instant, inclusive: true, inventory: inventory, outcome: &outcome)
            patients[patientId] = state
            if fired > 0 { outcome.changelog.append(changelogOutput(state)) }
        }
        return outcome
    }

    /// Evaluates `state` at each decision instant that falls due up to `instant` (at it too when
    /// `inclusive`) and after its last evaluation, in order, at most ``maxTimerStepsPerPunctuation``
    /// times; a due instant at or before the last evaluation is dropped as superseded.
    /// - Returns: how many evaluations ran.
    @discardableResult
    private mutating func fireDueDecisions(
        _ state: inout PatientState, through instant: Date, inclusive: Bool, inventory: InventorySnapshot,
        outcome: inout BatchOutcome
    ) -> Int {
        var fired = 0
        while fired < Self.maxTimerStepsPerPunctuation, let due = state.nextDecisionAt, inclusive ? due <= instant : due < instant {
            guard let evaluated = state.lastEvaluatedAt, due > evaluated else {
                state.nextDecisionAt = nil  // superseded by a later evaluation
                break
            }
            outcome.outputs += evaluate(&state, at: due, cause: .timer(at: due), inventory: inventory, counting: &outcome)
            fired += 1
        }
        return fired
    }

    /// A bound on the time-driven evaluations of one patient in one punctuation or batch.
    static let maxTimerStepsPerPunctuation = 64

    /// Re-evaluates the patients of `site` (all patients when `site` is nil) after an inventory change.
    package mutating func inventoryChanged(
        site: String?, cause: OutputCause, inventory: InventorySnapshot
    ) -> BatchOutcome {
        undo.removeAll(keepingCapacity: true)
        var outcome = BatchOutcome()
        for patientId in patients.keys.sorted() {
            guard var state = patients[patientId], let at = state.evaluationInstant else { continue }
            if let site, evaluator.site(of: state) != site { continue }
            let before = state.published
            let outputs = evaluate(&state, at: at, cause: cause, inventory: inventory, counting: &outcome)
            guard state.published != before else { continue }
            remember(patientId)
            outcome.outputs += outputs
            patients[patientId] = state
            outcome.changelog.append(changelogOutput(state))
        }
        return outcome
    }

    /// Undoes every patient change of the last batch (its outputs could not be written).
    package mutating func rollback() {
        for (patientId, before) in undo { patients[patientId] = before }
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
            return .deadLetter(deadLetter(.wrongTopic, field: "type", "a '\(input.type.rawValue)' event does not belong on \(record.topic)"))
        }
        guard record.key.map({ $0.elementsEqual(event.patientId.utf8) }) ?? false else {
            return .deadLetter(deadLetter(.keyMismatch, field: "patientId", "the record key is not the event's patientId"))
        }
        if let problem = admission.clockSkewProblem(occurredAt: event.occurredAt, recordTimestamp: record.timestamp?.date ?? now) {
            return .deadLetter(deadLetter(.invalidTimestamp, field: "occurredAt", problem))
        }
        return .event(event)
    }

    /// ``evaluate(_:at:cause:inventory:)`` with the evaluation counted in `outcome` (how many, how
    /// long, outputs that could not be encoded).
    private mutating func evaluate(
        _ state: inout PatientState, at instant: Date, cause: OutputCause, inventory: InventorySnapshot,
        counting outcome: inout BatchOutcome
    ) -> [OutputRecord] {
        let outputs = evaluate(&state, at: instant, cause: cause, inventory: inventory)
        outcome.evaluations += 1
        outcome.evaluationDurations.append(lastEvaluationDuration)
        outcome.failedOutputs += lastFailedOutputs
        return outputs
    }

    /// Evaluates the patient and returns the outputs that changed. An output that cannot be
    /// encoded is left out and counted in ``lastFailedOutputs``; its part of the published summary
    /// keeps the old value, so the next evaluation tries again.
    private mutating func evaluate(
        _ state: inout PatientState, at instant: Date, cause: OutputCause, inventory: InventorySnapshot
    ) -> [OutputRecord] {
        let started = ContinuousClock.now
        let evaluation = evaluator.evaluate(state, at: instant, inventory: inventory)
        lastEvaluationDuration = ContinuousClock.now - started
        lastFailedOutputs = 0
        state.nextDecisionAt = evaluation.nextDecisionAt
        state.lastEvaluatedAt = instant
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
        if evaluation.summary.recommendation != state.published.recommendation, let recommendation = evaluation.recommendation {
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
            published: before, current: Array(zip(evaluation.alternatives, evaluation.alternativeSummaries)), at: instant,
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
                        evaluator.noLongerNeeded(drug, state: state, at: instant, inventory: inventory), state: &draft, cause: cause,
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

    /// The output record, or `nil` when its body cannot be encoded (a value JSON cannot carry,
    /// such as a non-finite number): nothing half-written reaches the pharmacy. Its id
    /// (``OutputID``) is issued in `state`.
    private func output<Body: OutputBody>(
        _ body: Body, state: inout PatientState, cause: OutputCause, at instant: Date, drug: String? = nil
    ) -> OutputRecord? {
        var id = state.nextOutputID(Body.outputType, at: instant, drug: drug)
        var value: Data
        while true {
            guard let encoded = Self.encodeOutput(OutputEnvelope(id: id.description, patientId: state.patientId, assessedAt: instant, body: body))
            else { return nil }
            value = encoded
            // Found in the log with other content: that id is taken; with the same content the
            // record is the one already written, and the writer skips it.
            guard let found = foundOutputs[id.description], found != RecordDigest(Array(encoded)) else { break }
            id.revision += 1
        }
        state.noteIssued(id)
        let kind = OutputRecord.Kind(Body.outputType)
        return OutputRecord(
            kind: kind, id: id.description, topic: Self.topic(of: kind), partition: partition, key: Array(state.patientId.utf8),
            value: Array(value), headers: Self.headers(kind: kind, id: id.description, cause: cause))
    }

    private func deadLetterOutput(_ record: DeadLetterRecord) -> OutputRecord {
        let value = (try? record.encoded()).map { Array($0) } ?? []
        let cause = OutputCause.input(topic: record.source.topic, partition: Int(record.source.partition), offset: record.source.offset)
        return OutputRecord(
            kind: .deadLetter, id: record.id, topic: ToxWatchTopics.deadLetters, partition: partition,
            key: record.originalKey.map { Array($0) } ?? [], value: value,
            headers: Self.headers(kind: .deadLetter, id: record.id, cause: cause))
    }

    /// The changelog value of a patient: its `PatientStateRecord`.
    package static func changelogValue(_ state: PatientState) -> [UInt8] {
        PatientStateRecord.encode(state)
    }

    private func changelogOutput(_ state: PatientState) -> OutputRecord {
        let value = Self.changelogValue(state)
        return OutputRecord(
            kind: .patientState, id: "patient-state/\(state.patientId)", topic: ToxWatchTopics.patientStateChangelog,
            partition: partition, key: Array(state.patientId.utf8), value: value,
            headers: [
                KafkaHeader(name: OutputHeader.kind, string: OutputRecord.Kind.patientState.rawValue),
                KafkaHeader(name: OutputHeader.epoch, string: String(epoch)),
            ])
    }

    /// The changelog record holding where each output partition ended after a batch, and the
    /// found outputs the patients do not reflect yet (``PartitionCheckpoint/foundOutputs``).
    package func checkpointOutput(_ checkpoint: PartitionCheckpoint) -> OutputRecord {
        var checkpoint = checkpoint
        let unreflected = foundOutputs.filter { !reflects($0.key) }
        checkpoint.foundOutputs = unreflected.isEmpty ? nil : unreflected
        let value = (try? Self.stateEncoder.encode(checkpoint)).map { Array($0) } ?? []
        let key = PartitionCheckpoint.key(partition: partition)
        return OutputRecord(
            kind: .checkpoint, id: key, topic: ToxWatchTopics.patientStateChangelog, partition: partition,
            key: Array(key.utf8), value: value,
            headers: [
                KafkaHeader(name: OutputHeader.kind, string: OutputRecord.Kind.checkpoint.rawValue),
                KafkaHeader(name: OutputHeader.epoch, string: String(epoch)),
            ])
    }

    /// Whether the patients' states will never issue the output `id` again: its patient was
    /// evaluated at a later millisecond, or issued it (or a later id of its stream). An id that is
    /// no patient output (a dead letter's) counts as reflected: the handled input offsets cover it.
    func reflects(_ id: String) -> Bool {
        guard let output = OutputID(parsing: id) else { return true }
        guard let state = patients[output.patientId] else { return false }
        if let evaluated = state.lastEvaluatedAt, OutputID.milliseconds(evaluated) > output.instantMilliseconds {
            return true
        }
        guard let issued = state.issuedOutputs[output.stream] else { return false }
        return issued.instantMilliseconds > output.instantMilliseconds
            || issued.instantMilliseconds == output.instantMilliseconds && issued.revision >= output.revision
    }

    /// An output's bytes (envelope beside the body), or `nil` when the body cannot be encoded.
    static func encodeOutput<Body: OutputBody>(_ envelope: OutputEnvelope<Body>) -> Data? {
        try? envelope.encoded()
    }

    private static func headers(kind: OutputRecord.Kind, id: String, cause: OutputCause) -> [KafkaHeader] {
        var headers = [
            KafkaHeader(name: OutputHeader.outputID, string: id),
            KafkaHeader(name: OutputHeader.kind, string: kind.rawValue),
        ]
        switch cause {
        case .input(let topic, let partition, let offset), .inventory(let topic, let partition, let offset):
            headers.append(KafkaHeader(name: OutputHeader.sourceTopic, string: topic))
            headers.append(KafkaHeader(name: OutputHeader.sourcePartition, string: String(partition)))
            headers.append(KafkaHeader(name: OutputHeader.sourceOffset, string: String(offset)))
        case .timer:
            headers.append(KafkaHeader(name: OutputHeader.sourceTopic, string: "timer"))
        }
        return headers
    }

    private static func topic(of kind: OutputRecord.Kind) -> String {
        switch kind {
        case .toxicityGrades: ToxWatchTopics.toxicityGrades
        case .anakinraRecommendation: ToxWatchTopics.anakinraRecommendations
        case .shortageAlternative: ToxWatchTopics.shortageAlternatives
        case .deadLetter: ToxWatchTopics.deadLetters
        case .patientState, .checkpoint: ToxWatchTopics.patientStateChangelog
        }
    }

    private static var stateEncoder: JSONEncoder { PatientStateRecord.encoder }

    package static let stateDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return decoder
    }()
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
