import Foundation
import ToxWatchContract

extension LagReport {
    /// The human-readable report: a per-partition table with per-topic and group totals, the group
    /// status and notes on the partitions that are not OK.
    package func renderTable(palette: Palette = .plain, maxNotes: Int = 10) -> String {
        var lines: [String] = []
        let window =
            windowSamples == 1
            ? "status from 1 sample: only OK or WARN; --watch SECONDS adds STALL, STOP and REWIND"
            : "status over the last \(windowSamples) samples"
        lines.append(
            palette.apply(.bold, "Consumer group \(group)")
                + " · \(ISO8601Timestamp.format(sampledAt.roundedToSeconds)) · sample \(sampleNumber) (\(window))")
        var table = TextTable(columns: [
            .init("TOPIC"), .init("PARTITION", .right), .init("COMMITTED", .right), .init("LOG END", .right),
            .init("LAG", .right), .init("TIME BEHIND", .right), .init("OWNER"), .init("STATUS"),
        ])
        let ownerUnknown: Bool
        switch ownership {
        case .known: ownerUnknown = false
        case .unknown: ownerUnknown = true
        }
        for topic in topics {
            for row in partitions where row.topic == topic.topic {
                table.append([
                    .init(row.topic), .init(String(row.partition)),
                    .init(row.committedOffset.map(String.init) ?? "-"), .init(String(row.logEndOffset)),
                    .init(String(row.lag), style: row.lag > 0 ? .bold : nil),
                    .init(Self.behind(row.timeBehindSeconds, lag: row.lag)),
                    .init(ownerUnknown ? "unknown" : (row.owner?.display ?? "-"), style: row.owner == nil ? .dim : nil),
                    Self.statusCell(row.status),
                ])
            }
            table.append([
                .init(topic.topic, style: .dim), .init("total", style: .dim), "", "",
                .init(String(topic.lag), style: .bold), .init(Self.behind(topic.maxTimeBehindSeconds, lag: topic.lag)),
                "",
                Self.statusCell(topic.status),
            ])
            table.appendSeparator()
        }
        table.append([
            .init("group \(group)", style: .bold), .init("total", style: .dim), "", "",
            .init(String(totalLag), style: .bold), .init(Self.behind(maxTimeBehindSeconds, lag: totalLag)), "",
            Self.groupStatusCell(status),
        ])
        lines.append(table.render(palette: palette))

        var summary = "Group \(group): " + palette.apply(Self.style(of: status), status.rawValue)
        summary += " · total lag \(totalLag) over \(partitions.count) partitions"
        if let maxTimeBehindSeconds { summary += " · at most \(formatDuration(maxTimeBehindSeconds)) behind" }
        lines.append(summary)
        if status == .notFound {
            lines.append(
                "The group has committed no offset on these topics (check the group name); lag counts from the log start."
            )
        }
        switch ownership {
        case .known(let state):
            lines.append("Owners from the group description (group state \(state)).")
        case .unknown(let reason):
            lines.append(palette.apply(.dim, "Owners unknown: \(reason). Lag, statuses and totals are unaffected."))
        }
        if unknownTimeBehind > 0 {
            lines.append(
                palette.apply(
                    .dim,
                    "Time behind unknown for \(unknownTimeBehind) partition(s): the next message could not be read or has no timestamp."
                ))
        }
        let notOK = windowSamples > 1 ? partitions.filter { $0.status != .ok } : []
        for row in notOK.prefix(maxNotes) {
            lines.append(
                "  \(row.topic)[\(row.partition)] \(palette.apply(Self.style(of: row.status), row.status.rawValue)): \(row.statusReason)"
            )
        }
        if notOK.count > maxNotes { lines.append("  … and \(notOK.count - maxNotes) more (see --json)") }
        for violation in limitViolations {
            lines.append(palette.apply(.red, "Limit exceeded: \(violation)"))
        }
        return lines.joined(separator: "\n")
    }

    private static func behind(_ seconds: Double?, lag: Int64) -> String {
        if lag == 0 { return "0 s" }
        return seconds.map(formatDuration) ?? "?"
    }

    private static func statusCell(_ status: PartitionLagStatus) -> TextTable.Cell {
        TextTable.Cell(status.rawValue, style: style(of: status))
    }

    private static func groupStatusCell(_ status: GroupLagStatus) -> TextTable.Cell {
        TextTable.Cell(status.rawValue, style: style(of: status))
    }

    static func style(of status: PartitionLagStatus) -> Palette.Style {
        switch status {
        case .ok: .green
        case .warn, .rebalancing: .yellow
        case .stop, .stall, .rewind: .red
        }
    }

    static func style(of status: GroupLagStatus) -> Palette.Style {
        switch status {
        case .ok: .green
        case .warn, .notFound, .rebalancing: .yellow
        case .error: .red
        }
    }

    /// The report as one JSON document (one line), for `--json`.
    package func renderJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(LagReportDocument(self)), as: UTF8.self)
    }
}

/// The `--json` shape of a ``LagReport``: explicit nulls for unknown values, ISO-8601 times.
package struct LagReportDocument: Codable, Sendable, Hashable {
    package struct Ownership: Codable, Sendable, Hashable {
        package var known: Bool
        package var groupState: String?
        package var note: String?

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(known, forKey: .known)
            try c.encode(groupState, forKey: .groupState)
            try c.encode(note, forKey: .note)
        }
    }

    package struct Limits: Codable, Sendable, Hashable {
        package var maxLag: Int64?
        package var maxLagSeconds: Double?
        package var exceeded: Bool
        package var violations: [String]

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maxLag, forKey: .maxLag)
            try c.encode(maxLagSeconds, forKey: .maxLagSeconds)
            try c.encode(exceeded, forKey: .exceeded)
            try c.encode(violations, forKey: .violations)
        }
    }

    package struct Partition: Codable, Sendable, Hashable {
        package var topic: String
        package var partition: Int
        package var committedOffset: Int64?
        package var logStartOffset: Int64
        package var logEndOffset: Int64
        package var lag: Int64
        package var timeBehindSeconds: Double?
        package var owner: PartitionOwner?
        package var status: PartitionLagStatus
        package var statusReason: String

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(topic, forKey: .topic)
            try c.encode(partition, forKey: .partition)
            try c.encode(committedOffset, forKey: .committedOffset)
            try c.encode(logStartOffset, forKey: .logStartOffset)
            try c.encode(logEndOffset, forKey: .logEndOffset)
            try c.encode(lag, forKey: .lag)
            try c.encode(timeBehindSeconds, forKey: .timeBehindSeconds)
            try c.encode(owner, forKey: .owner)
            try c.encode(status, forKey: .status)
            try c.encode(statusReason, forKey: .statusReason)
        }
    }

    package struct Topic: Codable, Sendable, Hashable {
        package var topic: String
        package var partitions: Int
        package var lag: Int64
        package var maxTimeBehindSeconds: Double?
        package var status: PartitionLagStatus

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(topic, forKey: .topic)
            try c.encode(partitions, forKey: .partitions)
            try c.encode(lag, forKey: .lag)
            try c.encode(maxTimeBehindSeconds, forKey: .maxTimeBehindSeconds)
            try c.encode(status, forKey: .status)
        }
    }

    package var group: String
    package var sampledAt: String
    package var sample: Int
    package var windowSamples: Int
    package var status: GroupLagStatus
    package var totalLag: Int64
    package var maxTimeBehindSeconds: Double?
    package var ownership: Ownership
    package var limits: Limits
    package var topics: [Topic]
    package var partitions: [Partition]

    init(_ report: LagReport) {
        group = report.group
        sampledAt = ISO8601Timestamp.format(report.sampledAt.roundedToMilliseconds)
        sample = report.sampleNumber
        windowSamples = report.windowSamples
        status = report.status
        totalLag = report.totalLag
        maxTimeBehindSeconds = report.maxTimeBehindSeconds
        switch report.ownership {
        case .known(let state): ownership = Ownership(known: true, groupState: state, note: nil)
        case .unknown(let reason): ownership = Ownership(known: false, groupState: nil, note: reason)
        }
        limits = Limits(
            maxLag: report.limits.maxLag, maxLagSeconds: report.limits.maxLagSeconds, exceeded: report.exceedsLimits,
            violations: report.limitViolations)
        topics = report.topics.map {
            Topic(
                topic: $0.topic, partitions: $0.partitions, lag: $0.lag, maxTimeBehindSeconds: $0.maxTimeBehindSeconds,
                status: $0.status)
        }
        partitions = report.partitions.map {
            Partition(
                topic: $0.topic, partition: $0.partition, committedOffset: $0.committedOffset,
                logStartOffset: $0.logStartOffset, logEndOffset: $0.logEndOffset, lag: $0.lag,
                timeBehindSeconds: $0.timeBehindSeconds, owner: $0.owner, status: $0.status,
                statusReason: $0.statusReason)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(sampledAt, forKey: .sampledAt)
        try c.encode(sample, forKey: .sample)
        try c.encode(windowSamples, forKey: .windowSamples)
        try c.encode(status, forKey: .status)
        try c.encode(totalLag, forKey: .totalLag)
        try c.encode(maxTimeBehindSeconds, forKey: .maxTimeBehindSeconds)
        try c.encode(ownership, forKey: .ownership)
        try c.encode(limits, forKey: .limits)
        try c.encode(topics, forKey: .topics)
        try c.encode(partitions, forKey: .partitions)
    }
}

extension Date {
    var roundedToSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
    var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
