import Foundation

/// The body of `/health`, one shape for `toxd` and `toxd ingest`: whether the process serves
/// everything it owns, and the state of each owned partition.
///
/// ```json
/// {"status":"ready","ready":true,"partitions":[{"partition":3,"state":"serving","lag":0}]}
/// ```
/// `status` is `starting` (not yet serving: topics checked, inventory loading, group joining),
/// `restoring` (a partition is restoring its patients), `stalled` (a partition has had lag and no
/// progress for longer than the stall timeout) or `ready`. The worker's partitions are partition
/// numbers of the five patient topics (no `topic`); ingest names each raw topic.
package struct HealthReport: Codable, Sendable, Equatable {
    package enum PartitionState: String, Codable, Sendable {
        case restoring
        case serving
        case stalled
    }

    package struct Partition: Codable, Sendable, Equatable {
        package var topic: String?
        package var partition: Int
        package var state: PartitionState
        /// Records not yet processed, as last measured; nil when unknown.
        package var lag: Int64?

        package init(topic: String? = nil, partition: Int, state: PartitionState, lag: Int64? = nil) {
            self.topic = topic
            self.partition = partition
            self.state = state
            self.lag = lag
        }
    }

    package var status: String
    package var ready: Bool
    package var partitions: [Partition]

    /// - Parameter starting: the process does not serve yet, whatever its partitions say.
    package init(starting: Bool, partitions: [Partition]) {
        self.partitions = partitions
        if starting {
            status = "starting"
        } else if partitions.contains(where: { $0.state == .stalled }) {
            status = "stalled"
        } else if partitions.contains(where: { $0.state == .restoring }) {
            status = "restoring"
        } else {
            status = "ready"
        }
        ready = status == "ready"
    }

    /// The JSON body, one line.
    package func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data(#"{"ready":false,"status":"unknown"}"#.utf8)) + [0x0A]
    }
}
