package import Foundation

/// Who owns a partition, as the broker's group description says.
package struct PartitionOwner: Sendable, Hashable, Codable {
    package var memberID: String
    package var clientID: String
    package var host: String

    package init(memberID: String, clientID: String, host: String) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
    }

    /// `client-id@host`, as shown in the table.
    package var display: String { host.isEmpty ? clientID : "\(clientID)@\(host)" }
}

/// Whether the broker could say which member owns which partition.
package enum OwnershipInfo: Sendable, Hashable {
    /// The group was described: partitions without an owner have none (e.g. the group is empty).
    case known(groupState: String)
    /// The broker does not describe groups (the librdkafka 2.0.2 mock answers no DescribeGroups).
    case unknown(reason: String)
}

/// One partition as sampled at one instant.
package struct PartitionSnapshot: Sendable, Hashable {
    package var topic: String
    package var partition: Int
    /// nil when the group has committed nothing on this partition.
    package var committedOffset: Int64?
    package var logStartOffset: Int64
    package var logEndOffset: Int64
    /// The owner, when ownership is known and a member owns it.
    package var owner: PartitionOwner?
    /// The timestamp of the next message the group has to process (at the committed offset, or the
    /// log start when nothing is committed), when there is lag and the message could be read.
    package var nextMessageTimestamp: Date?

    package init(
        topic: String, partition: Int, committedOffset: Int64?, logStartOffset: Int64, logEndOffset: Int64,
        owner: PartitionOwner? = nil, nextMessageTimestamp: Date? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.committedOffset = committedOffset
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.owner = owner
        self.nextMessageTimestamp = nextMessageTimestamp
    }

    /// Where the group stands: the committed offset, or the log start if nothing is committed.
    package var effectiveOffset: Int64 { committedOffset ?? logStartOffset }

    /// Log end minus the committed offset (minus the log start when nothing is committed), never negative.
    package var lag: Int64 { max(0, logEndOffset - effectiveOffset) }
}

/// Everything `toxctl lag` read from the brokers at one instant.
package struct LagSnapshot: Sendable, Hashable {
    package var group: String
    package var time: Date
    package var partitions: [PartitionSnapshot]
    package var ownership: OwnershipInfo

    package init(group: String, time: Date, partitions: [PartitionSnapshot], ownership: OwnershipInfo) {
        self.group = group
        self.time = time
        self.partitions = partitions
        self.ownership = ownership
    }
}

/// The `--max-lag` and `--max-lag-seconds` limits.
package struct LagLimits: Sendable, Hashable {
    /// Exceeded when the group's total lag over the listed topics is greater.
    package var maxLag: Int64?
    /// Exceeded when any partition's estimated time behind is greater (seconds).
    package var maxLagSeconds: Double?

    package init(maxLag: Int64? = nil, maxLagSeconds: Double? = nil) {
        self.maxLag = maxLag
        self.maxLagSeconds = maxLagSeconds
    }
}

/// One partition's row of the report.
package struct PartitionLagRow: Sendable, Hashable, Codable {
    package var topic: String
    package var partition: Int
    package var committedOffset: Int64?
    package var logStartOffset: Int64
    package var logEndOffset: Int64
    package var lag: Int64
    /// Now minus the timestamp of the next message to process; 0 without lag; nil when unknown.
    package var timeBehindSeconds: Double?
    package var owner: PartitionOwner?
    package var status: PartitionLagStatus
    package var statusReason: String
}

/// One topic's totals.
package struct TopicLagTotal: Sendable, Hashable, Codable {
    package var topic: String
    package var partitions: Int
    package var lag: Int64
    package var maxTimeBehindSeconds: Double?
    /// The worst partition status of the topic.
    package var status: PartitionLagStatus
}

/// The evaluated state of a group after a sample: the table, the totals, the Burrow statuses and the limits.
package struct LagReport: Sendable, Hashable {
    package var group: String
    package var sampledAt: Date
    /// 1 for the first sample, 2 for the next …
    package var sampleNumber: Int
    /// Samples the statuses were evaluated over (at most ``BurrowEvaluator/defaultWindow``).
    package var windowSamples: Int
    package var ownership: OwnershipInfo
    package var status: GroupLagStatus
    package var totalLag: Int64
    package var maxTimeBehindSeconds: Double?
    package var partitions: [PartitionLagRow]
    package var topics: [TopicLagTotal]
    package var limits: LagLimits
    /// Why the limits are exceeded (empty when within them).
    package var limitViolations: [String]
    /// Partitions with lag whose time behind could not be estimated.
    package var unknownTimeBehind: Int

    package var exceedsLimits: Bool { !limitViolations.isEmpty }
}

/// Accumulates samples of one group and evaluates them with ``BurrowEvaluator``.
package struct LagTracker: Sendable {
    package let limits: LagLimits
    package let window: Int
    /// A partition with lag whose committed offset has not moved for this long is STALL (or
    /// REBALANCING while the group rebalances); nil: Burrow's window rules only.
    package let stallSeconds: Double?
    private var history: [String: [OffsetObservation]] = [:]
    /// Per partition, since when its committed offset has stood still with lag.
    private var stillSince: [String: (offset: Int64, time: Double)] = [:]
    private var samples = 0
    private let origin: Date

    package init(
        limits: LagLimits = LagLimits(), window: Int = BurrowEvaluator.defaultWindow, stallSeconds: Double? = nil,
        origin: Date = Date(timeIntervalSince1970: 0)
    ) {
        self.limits = limits
        self.window = window
        self.stallSeconds = stallSeconds
        self.origin = origin
    }

    /// Group states in which partitions are expected not to move for a moment (Kafka's names).
    static let rebalancingStates: Set<String> = ["PreparingRebalance", "CompletingRebalance"]

    /// Adds a sample and returns the report evaluated over the window that ends with it.
    package mutating func add(_ snapshot: LagSnapshot) -> LagReport {
        samples += 1
        let ownershipKnown: Bool
        var rebalancingState: String?
        switch snapshot.ownership {
        case .known(let state):
            ownershipKnown = true
            rebalancingState = Self.rebalancingStates.contains(state) ? state : nil
        case .unknown: ownershipKnown = false
        }
        var rows: [PartitionLagRow] = []
        var windowSamples = 0
        var topicOrder: [String: Int] = [:]
        for partition in snapshot.partitions where topicOrder[partition.topic] == nil {
            topicOrder[partition.topic] = topicOrder.count
        }
        let ordered = snapshot.partitions.sorted {
            (topicOrder[$0.topic] ?? 0, $0.partition) < (topicOrder[$1.topic] ?? 0, $1.partition)
        }
        for partition in ordered {
            let key = "\(partition.topic)\u{0}\(partition.partition)"
            let observation = OffsetObservation(
                time: snapshot.time.timeIntervalSince(origin), offset: partition.effectiveOffset, lag: partition.lag,
                ownerActive: ownershipKnown ? partition.owner != nil : nil)
            var series = history[key, default: []]
            series.append(observation)
            if series.count > window { series.removeFirst(series.count - window) }
            history[key] = series
            var evaluation = BurrowEvaluator.evaluate(series, window: window)
            windowSamples = max(windowSamples, evaluation.samples)
            if partition.lag > 0, let still = stillSince[key], still.offset == observation.offset {
                let idle = observation.time - still.time
                if let stallSeconds, idle >= stallSeconds, evaluation.status != .rewind {
                    evaluation.status = .stall
                    evaluation.reason =
                        "no progress for \(formatDuration(idle)) with lag \(partition.lag) (--stall-seconds \(formatNumber(stallSeconds)))"
                }
            } else {
                stillSince[key] = partition.lag > 0 ? (observation.offset, observation.time) : nil
            }
            if let rebalancingState, [.stop, .stall].contains(evaluation.status) {
                evaluation.status = .rebalancing
                evaluation.reason =
                    "no progress while the group rebalances (state \(rebalancingState)): " + evaluation.reason
            } else if !ownershipKnown, evaluation.status == .stall {
                // Without the group's state (a broker that does not describe groups, such as the
                // development broker) a rebalance looks the same: say so rather than guess.
                evaluation.reason += "; the group's state is unknown, so this may be a rebalance"
            }
            let behind: Double? =
                partition.lag == 0
                ? 0 : partition.nextMessageTimestamp.map { max(0, snapshot.time.timeIntervalSince($0)) }
            rows.append(
                PartitionLagRow(
                    topic: partition.topic, partition: partition.partition, committedOffset: partition.committedOffset,
                    logStartOffset: partition.logStartOffset, logEndOffset: partition.logEndOffset, lag: partition.lag,
                    timeBehindSeconds: behind, owner: partition.owner, status: evaluation.status,
                    statusReason: evaluation.reason))
        }
        var topics: [TopicLagTotal] = []
        for row in rows where topics.last?.topic != row.topic {
            let members = rows.filter { $0.topic == row.topic }
            topics.append(
                TopicLagTotal(
                    topic: row.topic, partitions: members.count, lag: members.reduce(0) { $0 + $1.lag },
                    maxTimeBehindSeconds: members.compactMap(\.timeBehindSeconds).max(),
                    status: members.map(\.status).max() ?? .ok))
        }
        let total = rows.reduce(Int64(0)) { $0 + $1.lag }
        let maxBehind = rows.compactMap(\.timeBehindSeconds).max()
        let anyCommitted = snapshot.partitions.contains { $0.committedOffset != nil }
        let status = anyCommitted ? GroupLagStatus(worstOf: rows.map(\.status)) : .notFound
        var violations: [String] = []
        if let maxLag = limits.maxLag, total > maxLag {
            violations.append("total lag \(total) is above --max-lag \(maxLag)")
        }
        if let maxSeconds = limits.maxLagSeconds {
            for row in rows {
                if let behind = row.timeBehindSeconds, behind > maxSeconds {
                    violations.append(
                        "\(row.topic)[\(row.partition)] is \(formatDuration(behind)) behind, above --max-lag-seconds \(formatNumber(maxSeconds))"
                    )
                }
            }
        }
        return LagReport(
            group: snapshot.group, sampledAt: snapshot.time, sampleNumber: samples, windowSamples: windowSamples,
            ownership: snapshot.ownership, status: status, totalLag: total, maxTimeBehindSeconds: maxBehind,
            partitions: rows, topics: topics, limits: limits, limitViolations: violations,
            unknownTimeBehind: rows.filter { $0.timeBehindSeconds == nil }.count)
    }
}

/// A number without a trailing `.0`.
package func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}
