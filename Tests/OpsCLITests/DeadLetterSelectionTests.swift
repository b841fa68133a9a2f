import Foundation
import KafkaClient
import Testing
import ToxOps
import ToxWatchContract

@Suite("Dead-letter selection and re-drive plans")
struct DeadLetterSelectionTests {
    static let now = Date(timeIntervalSince1970: 1_772_438_400)  // 2026-03-02T08:00:00Z

    static func letter(
        _ offset: Int64, reason: DeadLetterReason, topic: String, partition: Int32 = 1, sourceOffset: Int64,
        hoursAgo: Double,
        value: String? = "{\"type\":\"lab\"}", headers: [DeadLetterRecord.Header] = []
    ) -> StoredDeadLetter {
        let record = DeadLetterRecord(
            reason: reason, error: .init(field: "unit", message: "unit: not accepted"),
            source: .init(topic: topic, partition: partition, offset: sourceOffset), originalKey: Data("MRN001".utf8),
            originalValue: value.map { Data($0.utf8) }, originalHeaders: headers,
            deadLetteredAt: now.addingTimeInterval(-hoursAgo * 3600))
        let bytes = Array((try? record.encoded()) ?? Data())
        return StoredDeadLetter(partition: Int(partition), offset: offset, timestamp: nil, value: bytes)
    }

    static let letters = [
        letter(0, reason: .unknownUnit, topic: "cart.labs.v1", sourceOffset: 10, hoursAgo: 30),
        letter(1, reason: .unknownUnit, topic: "cart.labs.v1", sourceOffset: 11, hoursAgo: 2),
        letter(2, reason: .outOfRange, topic: "cart.vitals.v1", sourceOffset: 7, hoursAgo: 1),
        letter(3, reason: .malformedJSON, topic: "cart.neuro.v1", partition: 5, sourceOffset: 3, hoursAgo: 0.5),
        StoredDeadLetter(partition: 1, offset: 4, timestamp: nil, value: Array("not json".utf8)),
    ]

    @Test("stored records decode; an undecodable one is kept with its problem")
    func decoding() {
        #expect(Self.letters.prefix(4).allSatisfy { $0.record != nil })
        #expect(Self.letters[4].record == nil)
        #expect(Self.letters[4].problem?.hasPrefix("not a dead-letter record") == true)
        #expect(Self.letters[1].record?.id == "cart.labs.v1/1/11")
        #expect(Self.letters[1].coordinates == "cart.dlq.v1/1/1")
    }

    @Test("filters: reason, source topic, id (source or DLQ coordinates), since; AND across, OR within")
    func filters() throws {
        func select(_ filter: DeadLetterFilter) -> [Int64] { Self.letters.filter(filter.matches).map(\.offset) }
        #expect(select(DeadLetterFilter()) == [0, 1, 2, 3, 4])
        #expect(select(DeadLetterFilter(reasons: [.unknownUnit])) == [0, 1])
        #expect(select(DeadLetterFilter(reasons: [.unknownUnit, .outOfRange])) == [0, 1, 2])
        #expect(select(DeadLetterFilter(sourceTopics: ["cart.vitals.v1", "cart.neuro.v1"])) == [2, 3])
        #expect(select(DeadLetterFilter(ids: ["cart.labs.v1/1/11"])) == [1])
        #expect(select(DeadLetterFilter(ids: ["cart.dlq.v1/1/4"])) == [4])
        let since = try parseSince("3h", now: Self.now)
        #expect(select(DeadLetterFilter(since: since)) == [1, 2, 3])
        #expect(select(DeadLetterFilter(reasons: [.unknownUnit], since: since)) == [1])
    }

    @Test(
        "--since: durations, ISO-8601 times and dates; anything else is a usage error",
        arguments: [
            ("90s", 90.0), ("45m", 2700), ("6h", 21_600), ("7d", 604_800), ("1h30m", 5400), ("2w", 1_209_600),
            ("1.5h", 5400),
        ])
    func sinceDurations(_ text: String, _ seconds: Double) throws {
        #expect(try parseSince(text, now: Self.now) == Self.now.addingTimeInterval(-seconds))
    }

    @Test func sinceTimes() throws {
        #expect(try parseSince("2026-03-02T06:00:00Z", now: Self.now) == Self.now.addingTimeInterval(-7200))
        #expect(try parseSince("2026-03-02T07:00:00+01:00", now: Self.now) == Self.now.addingTimeInterval(-7200))
        #expect(try parseSince("2026-03-01", now: Self.now) == Self.now.addingTimeInterval(-32 * 3600))
        for bad in ["yesterday", "5", "h", "-3h", "2026-03-02T06:00"] {
            #expect(throws: OpsError.self) { try parseSince(bad, now: Self.now) }
        }
        #expect(throws: OpsError.self) { try DeadLetterFilter.parseReasons(["bad-unit"]) }
        #expect(try DeadLetterFilter.parseReasons(["wrong-topic"]) == [.wrongTopic])
    }

    @Test("a re-drive record: original key, value and headers, the original partition, plus re-drive headers")
    func plan() throws {
        let headers = [
            DeadLetterRecord.Header(key: "traceparent", value: Data("00-abc".utf8)), .init(key: "empty", value: nil),
            .init(key: Redrive.fromHeader, value: Data("stale".utf8)),
        ]
        let letter = Self.letter(
            9, reason: .unknownUnit, topic: "cart.labs.v1", partition: 2, sourceOffset: 40, hoursAgo: 1,
            headers: headers)
        let (items, skipped) = Redrive.plan(
            [letter], filter: DeadLetterFilter(), partitionCounts: ["cart.labs.v1": 4], now: Self.now)
        #expect(skipped.isEmpty)
        let record = try #require(items.first?.record)
        #expect(record.topic == "cart.labs.v1")
        #expect(record.partitioning == .partition(2))
        #expect(record.key == Array("MRN001".utf8))
        #expect(record.value == Array("{\"type\":\"lab\"}".utf8))
        #expect(
            record.headers.map(\.name) == [
                "traceparent", "empty", Redrive.fromHeader, Redrive.originalHeader, Redrive.atHeader,
            ])
        #expect(record.headers[0].value == Array("00-abc".utf8))
        #expect(record.headers[1].value == nil)
        #expect(record.headers[2].value == Array("cart.dlq.v1/2/9".utf8))
        #expect(record.headers[3].value == Array("cart.labs.v1/2/40".utf8))
        #expect(record.headers[4].value == Array("2026-03-02T08:00:00Z".utf8))
        // Fewer partitions now: by key.
        let byKey = Redrive.plan(
            [letter], filter: DeadLetterFilter(), partitionCounts: ["cart.labs.v1": 2], now: Self.now)
        #expect(byKey.items.first?.record.partitioning == .byKey)
        #expect(byKey.items.first?.partitionedByKey == true)
    }

    @Test("skipped: unreadable DLQ records, missing source topics, records without a value")
    func skips() {
        let letters = [
            Self.letters[4], Self.letter(5, reason: .unknownUnit, topic: "gone.v1", sourceOffset: 1, hoursAgo: 1),
            Self.letter(6, reason: .malformedJSON, topic: "cart.labs.v1", sourceOffset: 2, hoursAgo: 1, value: nil),
        ]
        let (items, skipped) = Redrive.plan(
            letters, filter: DeadLetterFilter(), partitionCounts: ["cart.labs.v1": 4], now: Self.now)
        #expect(items.isEmpty)
        #expect(skipped.map(\.deadLetter.offset) == [4, 5, 6])
        #expect(skipped[1].reason.contains("does not exist"))
        #expect(skipped[2].reason.contains("no value"))
    }

    @Test("listings show key digests, never keys or payloads, unless asked")
    func rendering() {
        let text = DeadLetterRendering.list(Self.letters, scanned: 5)
        #expect(!text.contains("MRN001"))
        #expect(text.contains(keyDigest(Data("MRN001".utf8))))
        #expect(!text.contains("{\"type\""))
        #expect(text.contains("cart.labs.v1[1]@11"))
        #expect(text.contains("5 of 5 dead letter(s) shown; by reason: unknown-unit 2"))
        #expect(DeadLetterRendering.list(Self.letters, scanned: 5, showKeys: true).contains("MRN001"))
        #expect(keyDigest(Data("MRN001".utf8)) != keyDigest(Data("MRN002".utf8)))
        #expect(keyDigest(nil) == "-")
        let line = Self.letters[0].jsonLine()
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect((object?["dlq"] as? [String: Any])?["offset"] as? Int == 0)
        #expect((object?["record"] as? [String: Any])?["reason"] as? String == "unknown-unit")
        // No patient data in the JSON either: no payload, the key only as a digest unless asked for.
        let payload = Data("{\"type\":\"lab\"}".utf8).base64EncodedString()
        #expect(!line.contains(payload) && !line.contains(Data("MRN001".utf8).base64EncodedString()))
        #expect(object?["originalValueBytes"] as? Int == 14)
        #expect(object?["originalKeyDigest"] as? String == keyDigest(Data("MRN001".utf8)))
        #expect(Self.letters[0].jsonLine(showKeys: true).contains(Data("MRN001".utf8).base64EncodedString()))
    }
}

/// Issue 18.10: `toxctl dlq list` prints what records hold with control characters escaped, and
/// each dead letter once (copies share its id).
@Suite("Dead-letter listings: escapes and copies")
struct DeadLetterListingTests {
    static func stored(offset: Int64, field: String, message: String, key: String, topic: String = "cart.vitals.v1")
        -> StoredDeadLetter
    {
        let record = DeadLetterRecord(
            reason: .wrongType, error: .init(field: field, message: message),
            source: .init(topic: topic, partition: 0, offset: 9), originalKey: Data(key.utf8),
            originalValue: Data("{}".utf8), originalHeaders: [],
            deadLetteredAt: Date(timeIntervalSince1970: 1_772_438_400))
        return StoredDeadLetter(
            partition: 0, offset: offset, timestamp: nil, value: Array((try? record.encoded()) ?? Data()))
    }

    /// What a record written by an older toxd, or another writer, may hold.
    static let hostile = stored(
        offset: 0, field: "temperatureC\u{1B}[2J",
        message: "temperatureC: expected a number, found \"\u{1B}]0;owned\u{07}\u{9B}31m\u{202E}\"",
        key: "MRN\u{0}1\u{1B}[31m")

    @Test("the table escapes control characters in every cell, keys included")
    func tableEscapes() {
        for showKeys in [false, true] {
            let text = DeadLetterRendering.list([Self.hostile], scanned: 1, showKeys: showKeys, messageWidth: 200)
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(text.debugDescription)")
            #expect(!text.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
            #expect(text.contains("temperatureC\\x1B[2J"))
            #expect(text.contains("\\x9B31m\\u{202E}"))
            if showKeys { #expect(text.contains("MRN\\x001\\x1B[31m")) }
        }
    }

    @Test("--json lines escape them as \\uXXXX: the same JSON value, safe on a terminal")
    func jsonEscapes() throws {
        let line = Self.hostile.jsonLine(showKeys: true)
        #expect(
            !line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let record = try #require(object["record"] as? [String: Any])
        #expect((record["error"] as? [String: Any])?["field"] as? String == "temperatureC\u{1B}[2J")
    }

    @Test("copies of one dead letter (same id) are listed once and counted")
    func copiesListedOnce() {
        let copy = { (offset: Int64) in
            Self.stored(
                offset: offset, field: "unitsOnHand", message: "unitsOnHand: out of range", key: "cnh/anakinra",
                topic: "pharmacy.inventory.v1")
        }
        let text = DeadLetterRendering.list([copy(0), copy(1), copy(2)], scanned: 3)
        #expect(text.components(separatedBy: "pharmacy.inventory.v1[0]@9").count == 2, "\(text)")
        #expect(text.contains("1 of 3 dead letter(s) shown"))
        #expect(text.contains("2 more record(s) are copies of a dead letter shown"))
    }
}
