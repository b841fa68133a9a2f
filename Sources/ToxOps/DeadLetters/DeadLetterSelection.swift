package import Foundation
package import ToxWatchContract

/// A record read from `cart.dlq.v1`: where it is, and the dead letter it holds (or why it holds none).
package struct StoredDeadLetter: Sendable, Hashable {
    package var partition: Int
    package var offset: Int64
    /// The DLQ record's own Kafka timestamp.
    package var timestamp: Date?
    /// nil when the value is not a dead-letter document (see ``problem``).
    package var record: DeadLetterRecord?
    package var problem: String?

    package init(partition: Int, offset: Int64, timestamp: Date?, record: DeadLetterRecord?, problem: String? = nil) {
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.record = record
        self.problem = problem
    }

    /// Decodes a value read from the DLQ; an undecodable value is kept with the reason.
    package init(partition: Int, offset: Int64, timestamp: Date?, value: [UInt8]?) {
        self.init(partition: partition, offset: offset, timestamp: timestamp, record: nil)
        guard let value else {
            problem = "no value (tombstone)"
            return
        }
        do {
            record = try DeadLetterRecord.decode(Data(value))
        } catch {
            problem = "not a dead-letter record: \(error.description)"
        }
    }

    /// `cart.dlq.v1/PARTITION/OFFSET`.
    package var coordinates: String { "\(DeadLetterRecord.topic)/\(partition)/\(offset)" }
}

/// Which dead letters a `toxctl dlq` command applies to. Empty sets match everything; the
/// criteria combine with AND, the values of one criterion with OR.
package struct DeadLetterFilter: Sendable, Hashable {
    package var reasons: Set<DeadLetterReason> = []
    package var sourceTopics: Set<String> = []
    /// Dead-letter ids (`SOURCE-TOPIC/PARTITION/OFFSET`, the source coordinates) or DLQ coordinates
    /// (`cart.dlq.v1/PARTITION/OFFSET`).
    package var ids: Set<String> = []
    /// Only dead letters written at or after this instant (`deadLetteredAt`).
    package var since: Date?

    package init(
        reasons: Set<DeadLetterReason> = [], sourceTopics: Set<String> = [], ids: Set<String> = [], since: Date? = nil
    ) {
        self.reasons = reasons
        self.sourceTopics = sourceTopics
        self.ids = ids
        self.since = since
    }

    /// Whether no criterion is set (everything matches).
    package var isEmpty: Bool { reasons.isEmpty && sourceTopics.isEmpty && ids.isEmpty && since == nil }

    /// Whether a stored dead letter matches. An undecodable DLQ record matches only an empty filter
    /// or its own DLQ coordinates.
    package func matches(_ stored: StoredDeadLetter) -> Bool {
        guard let record = stored.record else {
            return (reasons.isEmpty && sourceTopics.isEmpty && since == nil)
                && (ids.isEmpty || ids.contains(stored.coordinates))
        }
        if !reasons.isEmpty, !reasons.contains(record.reason) { return false }
        if !sourceTopics.isEmpty, !sourceTopics.contains(record.source.topic) { return false }
        if !ids.isEmpty, !ids.contains(record.id), !ids.contains(stored.coordinates) { return false }
        if let since, record.deadLetteredAt < since { return false }
        return true
    }

    /// Parses `--reason` values (the stable codes of `DeadLetterReason`).
    package static func parseReasons(_ values: [String]) throws(OpsError) -> Set<DeadLetterReason> {
        var reasons: Set<DeadLetterReason> = []
        for value in values {
            guard let reason = DeadLetterReason(rawValue: value) else {
                throw .usage(
                    "--reason '\(value)' is not a dead-letter reason; one of: "
                        + DeadLetterReason.allCases.map(\.rawValue).joined(separator: ", "))
            }
            reasons.insert(reason)
        }
        return reasons
    }
}

/// Parses `--since`: a duration back from `now` (`90s`, `45m`, `6h`, `7d`, `1h30m`, `2w`), an
/// ISO-8601 date-time with offset (`2026-03-02T06:00:00Z`) or a date (`2026-03-02`, midnight UTC).
package func parseSince(_ text: String, now: Date) throws(OpsError) -> Date {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let seconds = parseDurationSeconds(trimmed) { return now.addingTimeInterval(-seconds) }
    if case .success(let date) = ISO8601Timestamp.parse(trimmed) { return date }
    if let date = ISO8601Date.parse(trimmed) { return date }
    throw .usage(
        "--since '\(text)' is neither a duration (90s, 45m, 6h, 7d, 1h30m) nor an ISO-8601 time (2026-03-02T06:00:00Z)")
}

/// `1h30m` → 5400; nil when the text is not a sequence of NUMBER UNIT (s, m, h, d, w).
package func parseDurationSeconds(_ text: String) -> Double? {
    var total = 0.0
    var number = ""
    var sawUnit = false
    for character in text {
        if character.isASCII, character.isNumber || character == "." {
            number.append(character)
            continue
        }
        let unit: Double
        switch character {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        case "w": unit = 604_800
        default: return nil
        }
        guard let value = Double(number), value >= 0 else { return nil }
        total += value * unit
        number = ""
        sawUnit = true
    }
    guard number.isEmpty, sawUnit else { return nil }
    return total
}

/// A short, stable digest of a record key, so listings can tell keys apart without printing
/// patient identifiers (`key:1f3a9c2e`).
package func keyDigest(_ key: Data?) -> String {
    guard let key else { return "-" }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in key {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
    hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
    hash ^= hash >> 31
    let hex = String(hash >> 32, radix: 16)
    return "key:" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
}
