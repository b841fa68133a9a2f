/// The topics of DESIGN.md §1, in one place for the worker, `toxctl topics` and `toxctl dev-broker`.
package enum ToxWatchTopics {
    /// What a topic is for.
    package enum Role: String, Sendable, Hashable, CaseIterable {
        /// Raw HL7 v2 / FHIR from the integration bus (any key).
        case rawIngest
        /// Patient events, keyed by patient id, consumed by the worker group.
        case patientInput
        /// Pharmacy inventory, keyed `site/drug`, read whole by every worker (a global table).
        case globalTable
        /// Worker outputs, keyed by patient id.
        case output
        /// The worker's compacted patient-state changelog.
        case changelog
        /// Dead letters: original bytes, reason and source coordinates.
        case deadLetter
    }

    package struct Topic: Hashable, Sendable {
        package var name: String
        package var role: Role
        /// Keyed by patient id and co-partitioned with the patient inputs (same partition count): the
        /// worker that owns input partition p is the only writer of partition p of these topics.
        package var isCoPartitioned: Bool
        /// Topic configs for a real broker (`toxctl topics create|verify`). The librdkafka 2.0.2 mock
        /// cluster cannot apply them.
        package var config: [String: String]

        /// The partition count for this topic when patient topics have `patientPartitions`.
        package func partitions(patientPartitions: Int) -> Int {
            isCoPartitioned ? patientPartitions : min(patientPartitions, ToxWatchTopics.globalTablePartitions)
        }
    }

    package static let defaultPartitions = 12
    /// The inventory topic is small and read whole by every worker; a few partitions suffice.
    package static let globalTablePartitions = 3

    package static let hl7Inbound = "hl7.inbound.v1"
    package static let fhirInbound = "fhir.inbound.v1"
    package static let patient = "cart.patient.v1"
    package static let vitals = "cart.vitals.v1"
    package static let neuro = "cart.neuro.v1"
    package static let labs = "cart.labs.v1"
    package static let meds = "cart.meds.v1"
    package static let inventory = "pharmacy.inventory.v1"
    package static let toxicityGrades = "cart.toxicity-grades.v1"
    package static let anakinraRecommendations = "pharmacy.anakinra-recommendations.v1"
    package static let shortageAlternatives = "pharmacy.shortage-alternatives.v1"
    package static let patientStateChangelog = "toxd.patient-state.v1"
    package static let deadLetters = "cart.dlq.v1"

    /// Every topic, in data-flow order.
    package static let all: [Topic] = [
        Topic(name: hl7Inbound, role: .rawIngest, isCoPartitioned: true, config: [:]),
        Topic(name: fhirInbound, role: .rawIngest, isCoPartitioned: true, config: [:]),
        Topic(name: patient, role: .patientInput, isCoPartitioned: true, config: [:]),
        Topic(name: vitals, role: .patientInput, isCoPartitioned: true, config: [:]),
        Topic(name: neuro, role: .patientInput, isCoPartitioned: true, config: [:]),
        Topic(name: labs, role: .patientInput, isCoPartitioned: true, config: [:]),
        Topic(name: meds, role: .patientInput, isCoPartitioned: true, config: [:]),
        Topic(
            name: inventory, role: .globalTable, isCoPartitioned: false,
            config: ["cleanup.policy": "compact"]),
        Topic(name: toxicityGrades, role: .output, isCoPartitioned: true, config: [:]),
        Topic(name: anakinraRecommendations, role: .output, isCoPartitioned: true, config: [:]),
        Topic(name: shortageAlternatives, role: .output, isCoPartitioned: true, config: [:]),
        Topic(
            name: patientStateChangelog, role: .changelog, isCoPartitioned: true,
            config: ["cleanup.policy": "compact", "min.compaction.lag.ms": "60000"]),
        Topic(
            name: deadLetters, role: .deadLetter, isCoPartitioned: true,
            config: ["retention.ms": "2592000000"]),
    ]

    /// The patient-keyed input topics the worker group subscribes to.
    package static var patientInputs: [String] { all.filter { $0.role == .patientInput }.map(\.name) }

    /// The topics whose partition p belongs to the owner of input partition p.
    package static var coPartitioned: [Topic] { all.filter(\.isCoPartitioned) }

    package static func topic(named name: String) -> Topic? { all.first { $0.name == name } }
}
