import Foundation
import Testing
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

/// The output records' byte writer (``JSONByteWriter`` and the wire types' `encode(into:)`) writes
/// exactly the bytes Foundation's `JSONEncoder` writes with the same settings: random values of
/// every kind, and random valid outputs of every type, through both.
@Suite("Output writer")
struct OutputWriterTests {
    /// Foundation's bytes for `value` with the given settings.
    static func foundation(
        _ value: some Encodable, slashes: Bool = false, dates: JSONEncoder.DateEncodingStrategy = .iso8601
    ) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = slashes ? [.sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = dates
        return Array(try encoder.encode(value))
    }

    /// The writer's bytes for one member `v`.
    static func written(slashes: Bool = false, _ write: (inout JSONByteWriter) throws -> Void) rethrows -> [UInt8] {
        var writer = JSONByteWriter(escapingSlashes: slashes)
        writer.beginObject()
        writer.key("v")
        try write(&writer)
        writer.endObject()
        return writer.bytes
    }

    struct One<Value: Encodable>: Encodable { var v: Value }

    @Test("strings are escaped as JSONEncoder escapes them, with and without escaped slashes")
    func strings() throws {
        var rng = SplitMix64(state: 0x5717)
        for _ in 0..<3000 {
            let text = rng.jsonString(maxLength: 24)
            for slashes in [false, true] {
                let expected = try Self.foundation(One(v: text), slashes: slashes)
                let written = Self.written(slashes: slashes) { $0.string(text) }
                #expect(firstDifference(written, expected) == nil, "\(text.debugDescription)")
            }
        }
        // Every control character and the ASCII around them, one by one.
        for scalar in (0..<0x80).compactMap(Unicode.Scalar.init) {
            let text = "a" + String(scalar) + "b"
            #expect(
                Self.written(slashes: true) { $0.string(text) } == (try Self.foundation(One(v: text), slashes: true)))
        }
    }

    @Test("a dictionary's keys are sorted and escaped as JSONEncoder sorts and escapes them")
    func dictionaries() throws {
        var rng = SplitMix64(state: 0xD1C7)
        for _ in 0..<1000 {
            var dictionary: [String: Int64] = [:]
            for _ in 0..<rng.count(max: 6) { dictionary[rng.jsonString(maxLength: 6)] = Int64(rng.jsonInt()) }
            let expected = try Self.foundation(One(v: dictionary), slashes: true)
            let written = try Self.written(slashes: true) { writer in
                try writer.writeSorted(dictionary) { writer, value in writer.int64(value) }
            }
            #expect(written == expected, "\(dictionary)")
        }
    }

    @Test("numbers are written as JSONEncoder writes them; a non-finite one is refused by both")
    func numbers() throws {
        var rng = SplitMix64(state: 0x4B1D)
        for _ in 0..<10_000 {
            let value = rng.jsonDouble()
            #expect(try Self.written { try $0.double(value) } == (try Self.foundation(One(v: value))), "\(value)")
        }
        for value in [Int.min, Int.max, 0, -1, 1, 1_000_000_007] + (0..<1000).map({ _ in rng.jsonInt() }) {
            #expect(Self.written { $0.int(value) } == (try Self.foundation(One(v: value))), "\(value)")
        }
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: JSONByteWriter.Unwritable.self) { _ = try Self.written { try $0.double(value) } }
            #expect(throws: EncodingError.self) { _ = try Self.foundation(One(v: value)) }
        }
    }

    @Test("dates are written as .iso8601 and .deferredToDate write them, far ones included")
    func dates() throws {
        var rng = SplitMix64(state: 0xDA7E)
        // Years 1000 and 1500 (before the writer's own calendar range), 9999 and 12000 (after it).
        let far = [-30_610_224_000.0, -14_831_769_600, 253_402_300_799.5, 316_592_000_000].map(
            Date.init(timeIntervalSince1970:))
        for date in far + (0..<10_000).map({ _ in rng.jsonDate() }) {
            #expect(Self.written { $0.iso8601(date) } == (try Self.foundation(One(v: date))), "\(date)")
            let reference = try Self.foundation(One(v: date), dates: .deferredToDate)
            #expect(try Self.written { try $0.referenceSeconds(date) } == reference, "\(date)")
        }
    }

    /// Compares both paths for one output record.
    static func expectSameBytes<Body: OutputBody>(_ output: OutputEnvelope<Body>, seed: Int) throws {
        let written = try output.encodedBytes()
        let reference = Array(try output.encodedWithFoundation())
        #expect(firstDifference(written, reference) == nil, "seed \(seed)")
    }

    @Test("random toxicity-grades records: the writer's bytes are JSONEncoder's")
    func grades() throws {
        var rng = SplitMix64(state: 0x6AD3)
        for seed in 0..<400 { try Self.expectSameBytes(rng.envelope(rng.gradesBody()), seed: seed) }
    }

    @Test("random anakinra-recommendation records: the writer's bytes are JSONEncoder's")
    func recommendations() throws {
        var rng = SplitMix64(state: 0xA7A)
        for seed in 0..<400 { try Self.expectSameBytes(rng.envelope(rng.recommendation()), seed: seed) }
    }

    @Test("random shortage-alternative records: the writer's bytes are JSONEncoder's")
    func shortages() throws {
        var rng = SplitMix64(state: 0x5407)
        for seed in 0..<400 { try Self.expectSameBytes(rng.envelope(rng.shortageAlternative()), seed: seed) }
    }

    @Test("a record with a non-finite number is refused by the writer as by JSONEncoder")
    func nonFiniteRecord() throws {
        var rng = SplitMix64(state: 0x0F)
        let dose = RecommendedDose(mg: 10, mgPerKg: .nan, route: .iv, frequency: .q6h, dailyMg: 40)
        let body = rng.recommendation().body
        let record = rng.envelope(
            AnakinraRecommendation(
                body: RecommendationBody(
                    action: body.action, dose: dose, nextDoseDueAt: nil, caps: [], rationale: [], reasons: [],
                    warnings: [], alerts: [], protocolId: nil, evidence: [], inputEventIds: [])))
        #expect(throws: EventDecodingError.self) { _ = try record.encodedBytes() }
        #expect(throws: EventDecodingError.self) { _ = try record.encodedWithFoundation() }
    }
}
