/// The status of one partition of a consumer group, in Burrow's terms (LinkedIn Burrow,
/// `core/internal/evaluator/caching.go`), most severe last.
package enum PartitionLagStatus: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// Lag was zero in the window, or the consumer is catching up.
    case ok = "OK"
    /// The committed offset moves but the lag never decreased between two samples: the consumer is too slow.
    case warn = "WARN"
    /// No commit was observed for longer than the span over which commits were observed: the consumer stopped.
    case stop = "STOP"
    /// No progress while the group rebalances (its description says so): expected for a moment,
    /// not a stall of the consumer.
    case rebalancing = "REBALANCING"
    /// The consumer is present and committing, but its committed offset never moved over the window
    /// (or, with a stall time, not for that long while there was lag).
    case stall = "STALL"
    /// The committed offset went backwards between two samples.
    case rewind = "REWIND"

    private var severity: Int {
        switch self {
        case .ok: 0
        case .warn: 1
        case .rebalancing: 2
        case .stop: 3
        case .stall: 4
        case .rewind: 5
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.severity < rhs.severity }

    /// Whether Burrow counts this status as an error of the group (STOP, STALL, REWIND).
    package var isError: Bool { self >= .stop }
}

/// The status of a whole consumer group, in Burrow's terms.
package enum GroupLagStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// The group has committed no offset on any of the partitions looked at.
    case notFound = "NOTFOUND"
    /// Every partition is OK.
    case ok = "OK"
    /// The worst partition is WARN.
    case warn = "WARN"
    /// The group is rebalancing (its description says so), and no partition went backwards.
    case rebalancing = "REBALANCING"
    /// Some partition is STOP, STALL or REWIND.
    case error = "ERR"

    /// Burrow's group rule: the worst partition status, with STOP, STALL and REWIND reported as ERR.
    package init(worstOf statuses: some Sequence<PartitionLagStatus>) {
        let worst = statuses.max() ?? .ok
        switch worst {
        case .ok: self = .ok
        case .warn: self = .warn
        case .rebalancing: self = .rebalancing
        case .stop, .stall, .rewind: self = .error
        }
    }
}

/// One sample of one partition: what `toxctl lag` saw at `time`.
package struct OffsetObservation: Sendable, Hashable {
    /// Seconds since any fixed origin (only differences matter).
    package var time: Double
    /// The committed offset, or the log start offset when the group has committed nothing there
    /// (where a member with `auto.offset.reset=earliest`, like `toxd`, would start).
    package var offset: Int64
    /// Log end offset minus `offset`, never negative.
    package var lag: Int64
    /// Whether a live group member owns the partition; nil when the broker cannot tell (no DescribeGroups).
    package var ownerActive: Bool?

    package init(time: Double, offset: Int64, lag: Int64, ownerActive: Bool? = nil) {
        self.time = time
        self.offset = offset
        self.lag = lag
        self.ownerActive = ownerActive
    }
}

/// The outcome of evaluating one partition's window of samples.
package struct PartitionEvaluation: Sendable, Hashable {
    package var status: PartitionLagStatus
    /// Which rule decided, in words (for `--json` and the notes under the table).
    package var reason: String
    /// How many samples the window held.
    package var samples: Int
    /// Whether the window was full (Burrow's `complete`).
    package var isComplete: Bool
}

/// Burrow's consumer-lag evaluation rules, adapted to a tool that samples committed offsets.
///
/// Burrow stores every offset commit of a group with the time it was committed and evaluates the
/// last `intervals` (default 10) commits of each partition, in this order:
///
/// 1. If the current lag is zero, or the lag was zero in any sample of the window: **OK**.
/// 2. If the committed offset decreased between two consecutive samples: **REWIND**.
/// 3. If the time since the last commit is greater than the time between the first and the last
///    commit of the window: **STOP** (the consumer stopped committing).
/// 4. If the committed offset is the same in every sample of the window: **STALL** (commits arrive
///    but do not move).
/// 5. If the lag did not decrease between any two consecutive samples: **WARN** (the consumer is
///    too slow); otherwise **OK**.
///
/// `toxctl lag` polls OffsetFetch, which returns offsets but not when they were committed. So a
/// sample counts as a *commit observation* when its offset differs from the previous sample's, or
/// when the broker reports a live group member owning the partition (such a member commits
/// periodically; Burrow would see those commits even when the offset does not move). The first
/// sample of the window is an observation too: the offset was committed no later than then. Rule 3
/// then compares "now" (the last sample's time) with these observation times. Consequences: when
/// the broker cannot describe the group (the librdkafka 2.0.2 mock), an offset that never moves
/// while lag > 0 is STOP, not STALL; with group descriptions, a member that holds the partition
/// but never moves its offset is STALL.
///
/// With a single sample (no `--watch`) only rule 1 and rule 5 can be applied: OK when the lag is
/// zero, WARN otherwise; STOP, STALL and REWIND need at least two samples.
package enum BurrowEvaluator {
    /// Burrow's default window (`intervals`).
    package static let defaultWindow = 10

    /// Evaluates the last `window` samples of a partition (oldest first).
    package static func evaluate(_ samples: [OffsetObservation], window: Int = defaultWindow) -> PartitionEvaluation {
        let recent = Array(samples.suffix(max(1, window)))
        let complete = recent.count >= window
        func result(_ status: PartitionLagStatus, _ reason: String) -> PartitionEvaluation {
            PartitionEvaluation(status: status, reason: reason, samples: recent.count, isComplete: complete)
        }
        guard let last = recent.last else { return result(.ok, "no samples") }
        // Rule 1.
        if last.lag == 0 { return result(.ok, "no lag") }
        if recent.contains(where: { $0.lag == 0 }) { return result(.ok, "lag was zero within the window") }
        if recent.count == 1 {
            return result(
                .warn, "lag \(last.lag) in a single sample (use --watch to tell WARN from STALL, STOP and REWIND)")
        }
        let pairs = zip(recent, recent.dropFirst())
        // Rule 2.
        if let (before, after) = pairs.first(where: { $1.offset < $0.offset }) {
            return result(.rewind, "committed offset went back from \(before.offset) to \(after.offset)")
        }
        // Rule 3.
        var observations = [recent[0].time]
        for (before, after) in pairs where after.offset != before.offset || after.ownerActive == true {
            observations.append(after.time)
        }
        let firstCommit = observations[0]
        let lastCommit = observations[observations.count - 1]
        if last.time - lastCommit > lastCommit - firstCommit {
            let since = formatSeconds(last.time - lastCommit)
            let span = formatSeconds(lastCommit - firstCommit)
            return result(
                .stop,
                "no commit observed for \(since), longer than the \(span) between the first and the last commit observed in the window (lag \(last.lag))"
            )
        }
        // Rule 4.
        if recent.allSatisfy({ $0.offset == recent[0].offset }) {
            return result(
                .stall,
                "committed offset \(last.offset) unchanged over \(recent.count) samples while the owner is active (lag \(last.lag))"
            )
        }
        // Rule 5.
        if !pairs.contains(where: { $1.lag < $0.lag }) {
            return result(.warn, "lag never decreased over \(recent.count) samples (\(recent[0].lag) → \(last.lag))")
        }
        return result(.ok, "committed offset moving and lag decreasing at times")
    }

    static func formatSeconds(_ seconds: Double) -> String {
        formatDuration(seconds)
    }
}

/// A short human duration: `850 ms`, `12 s`, `4 min 5 s`, `3 h 20 min`, `2 d 4 h`.
package func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let value = max(0, seconds)
    if value == 0 { return "0 s" }
    if value < 0.9995 { return "\(Int((value * 1000).rounded())) ms" }
    let whole = Int(value.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
    if whole < 86_400 {
        let minutes = whole / 60 % 60
        return minutes == 0 ? "\(whole / 3600) h" : "\(whole / 3600) h \(minutes) min"
    }
    let hours = whole / 3600 % 24
    return hours == 0 ? "\(whole / 86_400) d" : "\(whole / 86_400) d \(hours) h"
}
