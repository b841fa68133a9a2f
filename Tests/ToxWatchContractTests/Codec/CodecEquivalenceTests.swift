import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract

/// The byte-level reader (``EventCodec``) against the reference (Foundation's `JSONDecoder`
/// through the same field checks): on random valid events of every type and on random mutations
/// of them, both give the same event or the same error (case, field and every associated value).
/// Seeded (SplitMix64), so a failure reproduces; each property records how many cases it ran.
@Suite("Event codec: same results as the Foundation reader")
struct CodecEquivalenceTests {
    typealias Outcome = Result<EventEnvelope, EventDecodingError>

    static func codec(_ bytes: [UInt8]) -> Outcome {
        Result { () throws(EventDecodingError) in try EventCodec.decode(bytes) }
    }

    static func reference(_ bytes: [UInt8]) -> Outcome {
        Result { () throws(EventDecodingError) in try EventEnvelope.decodeWithFoundation(Data(bytes)) }
    }

    /// Documents Foundation reads as UTF-16 or UTF-32: the contract is UTF-8 only, and the codec
    /// reads them as UTF-8 (see `EventCodecTests.utf16DocumentsAreNotRead`).
    static func foundationReadsAnotherEncoding(_ bytes: [UInt8]) -> Bool {
        DecoderFuzzTarget.readsAsAnotherEncoding(bytes)
    }

    /// Compares both readers on `bytes`; returns whether the reference decoded it.
    @discardableResult
    static func expectSameOutcome(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let expected = reference(bytes)
        let actual = codec(bytes)
        if actual != expected {
            Issue.record(
                "readers differ on \(String(decoding: bytes, as: UTF8.self).debugDescription): Foundation \(expected), codec \(actual)",
                sourceLocation: sourceLocation
            )
        }
        if case .success = expected { return true }
        return false
    }

    @Test func randomValidEventsDecodeAlike() {
        var rng = SplitMix64(state: 0xC0DEC)
        let cases = 3000
        var decoded = 0
        var types = Set<EventType>()
        for _ in 0..<cases {
            let bytes = RandomEventDocuments.document(&rng).render(&rng)
            if Self.expectSameOutcome(bytes) {
                decoded += 1
                if case .success(let envelope) = Self.codec(bytes) { types.insert(envelope.event.type) }
            }
        }
        // Cases run: 3000 documents; most decode (a few break a cross-field rule on purpose).
        #expect(decoded >= cases * 8 / 10, "decoded \(decoded) of \(cases)")
        #expect(types == Set(EventType.allCases))
    }

    @Test(arguments: EventMutations.Kind.allCases)
    func mutatedEventsAreReadAlike(_ kind: EventMutations.Kind) {
        var rng = SplitMix64(state: 0x5EED_0000 &+ UInt64(EventMutations.Kind.allCases.firstIndex(of: kind)!))
        let cases = 1500
        var refused = 0
        var compared = 0
        for _ in 0..<cases {
            let bytes = EventMutations.mutate(RandomEventDocuments.document(&rng), kind, &rng)
            guard !Self.foundationReadsAnotherEncoding(bytes) else { continue }
            compared += 1
            if !Self.expectSameOutcome(bytes) { refused += 1 }
        }
        // Cases run: 1500 per kind, 10 kinds (15,000 mutated documents).
        #expect(compared >= cases * 99 / 100)
        #expect(refused > 0, "every \(kind) mutation decoded: the mutation does nothing")
    }

    @Test func fuzzCorpusIsReadAlikeAndNeverTraps() {
        var rng = SplitMix64(state: 0xF022)
        var cases = 0
        for input in FuzzCorpusTests.corpus {
            for round in 0..<25 {
                let bytes = round == 0 ? input : FuzzCorpusTests.mutate(input, &rng)
                guard !Self.foundationReadsAnotherEncoding(bytes) else { continue }
                Self.expectSameOutcome(bytes)
                cases += 1
            }
        }
        // Cases run: the corpus (≥ 60 fixtures) and 24 seeded mutations of each.
        #expect(cases >= 60 * 24)
    }

    /// `decodeEvent` reads the event without its envelope, and checks the `source` all the same:
    /// the envelope's event, or the same error, on valid and mutated documents.
    @Test func eventsReadWithoutTheirEnvelopeAsWithIt() {
        var rng = SplitMix64(state: 0xE7E7)
        var refused = 0
        let cases = 2000
        for index in 0..<cases {
            let document = RandomEventDocuments.document(&rng)
            let kind = EventMutations.Kind.allCases[index % EventMutations.Kind.allCases.count]
            let bytes = index % 2 == 0 ? document.render(&rng) : EventMutations.mutate(document, kind, &rng)
            let event = Result { () throws(EventDecodingError) in try EventCodec.decodeEvent(bytes) }
            #expect(event == Self.codec(bytes).map(\.event))
            #expect(event == Result { () throws(EventDecodingError) in try EventCodec.decodeEvent(Data(bytes)) })
            if case .failure = event { refused += 1 }
        }
        // Cases run: 1000 valid documents and 1000 mutated ones (every kind of mutation).
        #expect(refused > 100 && refused < cases - 500)
    }

    /// Without the envelope, the source is checked before the event is read; an event's error
    /// still comes before its source's.
    @Test(
        "errors of an event and of its source, without the envelope",
        arguments: [
            (#""temperatureC":99,"source":{"system":" "}"#, "temperatureC"),
            (#""temperatureC":38,"source":{"system":" "}"#, "source.system"),
            (#""temperatureC":99,"source":{"system":"\q"}"#, "temperatureC"),
            (#""temperatureC":38,"source":[]"#, "source"),
        ]
    )
    func eventErrorsComeBeforeSourceErrors(_ members: String, _ path: String) {
        let bytes = EventCodecTests.vitals(members)
        let event = Result { () throws(EventDecodingError) in try EventCodec.decodeEvent(bytes) }
        #expect(event == Self.codec(bytes).map(\.event))
        #expect(event == Self.reference(bytes).map(\.event))
        switch event {
        case .failure(.outOfRange(let field, _, _)), .failure(.invalidValue(let field, _, _)),
            .failure(.wrongType(let field, _, _)):
            #expect(field == path)
        default: Issue.record("\(members): \(event)")
        }
    }

    @Test func decodedEventsReencodeAndReadBack() throws {
        var rng = SplitMix64(state: 0xBAC4)
        var cases = 0
        for _ in 0..<1000 {
            guard case .success(let envelope) = Self.codec(RandomEventDocuments.document(&rng).render(&rng)) else {
                continue
            }
            let canonical = try envelope.encoded()
            #expect(try EventCodec.decode(canonical) == envelope)
            #expect(Self.reference(Array(canonical)) == Self.codec(Array(canonical)))
            cases += 1
        }
        // Cases run: the decodable ones of 1000 random documents.
        #expect(cases >= 800)
    }
}
