import Foundation
import PropertyBased
import Testing
import ToxTestSupport

@testable import ToxWatchContract
@testable import ToxicityRules

/// Thousands of random mutations of the fixtures: the decoders never crash and always end in
/// events or a clear error; whatever they emit satisfies the JSON contract.
@Suite("Robustness")
struct RobustnessTests {
    /// One edit of a byte string.
    enum Mutation: CaseIterable {
        case flipByte, truncate, swapDelimiter, insertDelimiter, deleteRange, duplicateRange, insertControl
    }

    static let delimiterBytes = Array("|^~\\&#$*/%\r\n\u{0B}\u{1C}\"{}[]:,".utf8)

    /// Applies `count` mutations chosen from `seed`.
    static func mutate(_ input: [UInt8], seed: UInt64, count: Int) -> [UInt8] {
        var rng = SplitMix64(state: seed)
        var bytes = input
        for _ in 0..<count where !bytes.isEmpty {
            let position = Int(rng.next() % UInt64(bytes.count))
            let length = min(bytes.count - position, Int(rng.next() % 12) + 1)
            switch Mutation.allCases[Int(rng.next() % UInt64(Mutation.allCases.count))] {
            case .flipByte: bytes[position] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case .truncate: bytes.removeSubrange(position...)
            case .swapDelimiter:
                let a = delimiterBytes[Int(rng.next() % UInt64(delimiterBytes.count))]
                let b = delimiterBytes[Int(rng.next() % UInt64(delimiterBytes.count))]
                bytes = bytes.map { $0 == a ? b : $0 }
            case .insertDelimiter:
                bytes.insert(delimiterBytes[Int(rng.next() % UInt64(delimiterBytes.count))], at: position)
            case .deleteRange: bytes.removeSubrange(position..<(position + length))
            case .duplicateRange: bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
            case .insertControl: bytes.insert(UInt8(truncatingIfNeeded: rng.next() % 32), at: position)
            }
        }
        return bytes
    }

    /// An error explains itself: its sentence names the field it is about (when there is one) and
    /// carries more than the field alone.
    static func expectDescribed(_ error: EventDecodingError) {
        let description = error.description
        if let field = error.field {
            #expect(description.contains(field), "\(error.reason): '\(description)' does not name \(field)")
            #expect(description.count > field.count + 2, "'\(description)' says nothing about \(field)")
        } else {
            #expect(description.contains(":"), "'\(description)' gives no problem")
        }
    }

    /// Checks an adapter outcome: errors are sentences naming their field, events are valid contract JSON.
    static func check(_ outcome: Result<AdapterResult, EventDecodingError>) {
        switch outcome {
        case .failure(let error):
            expectDescribed(error)
        case .success(let result):
            for error in result.rejected { expectDescribed(error) }
            for envelope in result.events {
                do {
                    #expect(try EventEnvelope.decode(envelope.encoded()) == envelope)
                } catch {
                    Issue.record("an adapter emitted an event the contract refuses: \(error)")
                }
            }
        }
    }

    static let hl7Fixtures: [[UInt8]] = {
        ((try? Fixtures.names(in: "hl7", suffix: ".hl7")) ?? []).compactMap { try? Fixtures.bytes("hl7/" + $0) }
    }()
    static let fhirFixtures: [[UInt8]] = {
        ((try? Fixtures.names(in: "fhir")) ?? []).compactMap { try? Fixtures.bytes("fhir/" + $0) }
    }()
    static let jsonFixtures: [[UInt8]] = {
        ((try? Fixtures.names(in: "json/valid")) ?? []).compactMap { try? Fixtures.bytes("json/valid/" + $0) }
    }()

    @Test func fixturesArePresent() {
        #expect(Self.hl7Fixtures.count >= 9)
        #expect(Self.fhirFixtures.count >= 8)
        #expect(Self.jsonFixtures.count >= 15)
    }

    @Test func mutatedHL7NeverCrashes() async {
        let fixtures = Self.hl7Fixtures
        await propertyCheck(
            count: 3000,
            input: Gen.int(in: 0...1000),
            Gen.uint64(in: 0...UInt64.max),
            Gen.int(in: 1...6)
        ) { index, seed, count in
            let bytes = Self.mutate(fixtures[index % fixtures.count], seed: seed, count: count)
            let (messages, _) = HL7Framing.split(bytes)
            for message in messages {
                Self.check(Result { () throws(EventDecodingError) in try HL7Adapter.decode(message: message) })
            }
        }
    }

    @Test func mutatedFHIRNeverCrashes() async {
        let fixtures = Self.fhirFixtures
        await propertyCheck(
            count: 1500,
            input: Gen.int(in: 0...1000),
            Gen.uint64(in: 0...UInt64.max),
            Gen.int(in: 1...4)
        ) { index, seed, count in
            let bytes = Self.mutate(fixtures[index % fixtures.count], seed: seed, count: count)
            Self.check(Result { () throws(EventDecodingError) in try FHIRAdapter.decode(Data(bytes)) })
        }
    }

    @Test func mutatedContractJSONNeverCrashes() async {
        let fixtures = Self.jsonFixtures
        await propertyCheck(
            count: 2000,
            input: Gen.int(in: 0...1000),
            Gen.uint64(in: 0...UInt64.max),
            Gen.int(in: 1...3)
        ) { index, seed, count in
            let bytes = Self.mutate(fixtures[index % fixtures.count], seed: seed, count: count)
            switch Result(catching: { () throws(EventDecodingError) in try EventEnvelope.decode(Data(bytes)) }) {
            case .success(let envelope):
                Self.check(.success(AdapterResult(events: [envelope])))
            case .failure(let error):
                Self.expectDescribed(error)
            }
        }
    }

    @Test func randomBytesNeverCrash() async {
        await propertyCheck(count: 1000, input: Gen.uint8(in: 0...255).array(of: 0...300)) { bytes in
            let (messages, _) = HL7Framing.split(bytes)
            for message in messages {
                Self.check(Result { () throws(EventDecodingError) in try HL7Adapter.decode(message: message) })
            }
            Self.check(Result { () throws(EventDecodingError) in try FHIRAdapter.decode(Data(bytes)) })
            _ = try? decodeEvent(bytes)
        }
    }
}
