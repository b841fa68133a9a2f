import Foundation
import Testing

@testable import ToxWatchContract

@Suite("Dead-letter record")
struct DeadLetterTests {
    static func sample() throws -> DeadLetterRecord {
        let bad = Data(
            #"{"type":"vitals","eventId":"e","patientId":"p","occurredAt":"2026-03-02T06:00:00Z","temperatureC":60}"#
                .utf8
        )
        let error = try #require(decodingError { () throws(EventDecodingError) in try EventEnvelope.decode(bad) })
        return DeadLetterRecord(
            decodingError: error,
            source: .init(
                topic: "cart.vitals.v1",
                partition: 3,
                offset: 1042,
                timestamp: try utc("2026-03-02T06:00:01.5Z")
            ),
            originalKey: Data("MRN00123".utf8),
            originalValue: bad,
            originalHeaders: [.init(key: "traceparent", value: Data("00-abc".utf8)), .init(key: "empty", value: nil)],
            deadLetteredAt: try utc("2026-03-02T06:00:02Z")
        )
    }

    @Test func recordCarriesReasonFieldAndCoordinates() throws {
        let record = try Self.sample()
        #expect(record.reason == .outOfRange)
        #expect(
            record.error
                == .init(
                    field: "temperatureC",
                    message: "temperatureC: out of range: expected 25–45 °C [value: 2 bytes, sha256:39fa9ec190eee7b6]"))
        #expect(record.id == "cart.vitals.v1/3/1042")
        #expect(DeadLetterRecord.topic == "cart.dlq.v1")
    }

    @Test func roundTripKeepsOriginalBytesExactly() throws {
        let record = try Self.sample()
        let encoded = try record.encoded()
        let decoded = try DeadLetterRecord.decode(encoded)
        #expect(decoded == record)
        #expect(try decoded.encoded() == encoded)
        let json = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(json["originalValue"] as? String == record.originalValue?.base64EncodedString())
        #expect(json["reason"] as? String == "out-of-range")
    }

    @Test func tombstoneAndKeylessRecordsAreRepresentable() throws {
        var record = try Self.sample()
        record.originalKey = nil
        record.originalValue = nil
        record.originalHeaders = []
        #expect(try DeadLetterRecord.decode(record.encoded()) == record)
    }

    @Test func inconsistentIdIsRejected() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Self.sample().encoded()) as? [String: Any])
        json["id"] = "cart.vitals.v1/3/9"
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect(decodingError { () throws(EventDecodingError) in try DeadLetterRecord.decode(data) }?.field == "id")
    }

    @Test("reason codes are stable kebab-case words", arguments: DeadLetterReason.allCases)
    func reasonCodesAreKebabCase(_ reason: DeadLetterReason) {
        #expect(reason.rawValue.allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber })
    }
}
