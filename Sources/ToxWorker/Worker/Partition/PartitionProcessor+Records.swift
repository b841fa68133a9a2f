package import Foundation
import KafkaClient
import ToxWatchContract
import ToxicityRules

// The records a processor writes: outputs with their ids and headers, dead letters, changelog
// records and checkpoints.
extension PartitionProcessor {
    /// The output record, or `nil` when its body cannot be encoded (a value JSON cannot carry,
    /// such as a non-finite number): nothing half-written reaches the pharmacy. Its id
    /// (``OutputID``) is issued in `state`.
    func output<Body: OutputBody>(
        _ body: Body, state: inout PatientState, cause: OutputCause, at instant: Date, drug: String? = nil
    ) -> OutputRecord? {
        var id = state.nextOutputID(Body.outputType, at: instant, drug: drug)
        var value: [UInt8]
        while true {
            guard
                let encoded = Self.encodeOutput(
                    OutputEnvelope(id: id.description, patientId: state.patientId, assessedAt: instant, body: body))
            else { return nil }
            value = encoded
            // Found in the log with other content: that id is taken; with the same content the
            // record is the one already written, and the writer skips it.
            guard let found = foundOutputs[id.description], found != RecordDigest(encoded) else { break }
            id.revision += 1
        }
        state.noteIssued(id)
        let kind = OutputRecord.Kind(Body.outputType)
        return OutputRecord(
            kind: kind, id: id.description, topic: Self.topic(of: kind), partition: partition,
            key: Array(state.patientId.utf8),
            value: value, headers: Self.headers(kind: kind, id: id.description, cause: cause))
    }

    func deadLetterOutput(_ record: DeadLetterRecord) -> OutputRecord {
        let value = (try? record.encoded()).map { Array($0) } ?? []
        let cause = OutputCause.input(
            topic: record.source.topic, partition: Int(record.source.partition), offset: record.source.offset)
        return OutputRecord(
            kind: .deadLetter, id: record.id, topic: ToxWatchTopics.deadLetters, partition: partition,
            key: record.originalKey.map { Array($0) } ?? [], value: value,
            headers: Self.headers(kind: .deadLetter, id: record.id, cause: cause))
    }

    /// The changelog value of a patient: its `PatientStateRecord`.
    package static func changelogValue(_ state: PatientState) -> [UInt8] {
        PatientStateRecord.encode(state)
    }

    func changelogOutput(_ state: PatientState) -> OutputRecord {
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

    /// An output's bytes (envelope beside the body, written by the body's byte writer), or `nil`
    /// when the body cannot be encoded.
    static func encodeOutput<Body: OutputBody>(_ envelope: OutputEnvelope<Body>) -> [UInt8]? {
        try? envelope.encodedBytes()
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

    static var stateEncoder: JSONEncoder { PatientStateRecord.encoder }

    package static let stateDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return decoder
    }()
}
