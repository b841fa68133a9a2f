package import Foundation
package import KafkaClient
package import ToxWatchContract

/// The outputs and state changes of one batch of one partition, in the order they must be written.
package struct BatchOutcome: Sendable {
    /// Phase 1: grades, recommendations, alternatives and dead letters for output partition `p`.
    package var outputs: [OutputRecord] = []
    /// Phase 2: the changelog record of every patient the batch changed.
    package var changelog: [OutputRecord] = []
    /// Phase 3: per input topic, the next offset to commit.
    package var commitOffsets: [String: Int64] = [:]
    /// Counters for metrics: applied events per topic, skipped inputs per reason, dead letters per reason.
    package var applied: [String: Int] = [:]
    package var skipped: [String: Int] = [:]
    /// Dead letters per source topic and reason.
    package var deadLettered: [DeadLetterCount: Int] = [:]
    package var evaluations = 0
    /// Outputs that could not be encoded (the patient's other outputs and other patients go on).
    package var failedOutputs = 0
    /// How long each evaluation took (for the evaluation-latency histogram).
    package var evaluationDurations: [Duration] = []

    package var isEmpty: Bool { outputs.isEmpty && changelog.isEmpty && commitOffsets.isEmpty }
}

/// The key of the dead-letter counters: the source topic and the reason code.
package struct DeadLetterCount: Hashable, Sendable {
    package var topic: String
    package var reason: String
}

/// One record the worker wants written, with its deterministic id.
package struct OutputRecord: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case toxicityGrades = "toxicity-grades"
        case anakinraRecommendation = "anakinra-recommendation"
        case shortageAlternative = "shortage-alternative"
        case deadLetter = "dead-letter"
        case patientState = "patient-state"
        case checkpoint

        /// The kind of an output of the event contract (``OutputType``, `ToxWatchContract`).
        package init(_ type: OutputType) {
            switch type {
            case .toxicityGrades: self = .toxicityGrades
            case .anakinraRecommendation: self = .anakinraRecommendation
            case .shortageAlternative: self = .shortageAlternative
            }
        }
    }

    package var kind: Kind
    package var id: String
    package var topic: String
    package var partition: Int
    package var key: [UInt8]
    package var value: [UInt8]
    package var headers: [KafkaHeader]

    package var producerRecord: ProducerRecord {
        ProducerRecord(topic: topic, partition: partition, key: key, value: value, headers: headers)
    }
}

/// Where an output came from: an input record, a punctuation, or an inventory change.
package enum OutputCause: Sendable, Equatable {
    case input(topic: String, partition: Int, offset: Int64)
    case timer(at: Date)
    case inventory(topic: String, partition: Int, offset: Int64)
}
