import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract

/// The seeded mutation loop over the decoders (issue 15.1): the test fixtures as corpus, mutated
/// with a fixed seed (reproducible, a few seconds), through ``DecoderFuzzTarget`` — the properties
/// the libFuzzer target (`Scripts/fuzz`) checks for hours: no trap, every accepted event valid
/// contract JSON that reads back to itself, every error a sentence without control characters.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let corpus: [[UInt8]] = {
        var inputs: [[UInt8]] = []
        for (directory, suffix) in [
            ("hl7", ".hl7"), ("fhir", ".json"), ("json/valid", ".json"), ("json/invalid", ".json"),
            ("evaluate", ".json"),
        ] {
            for name in (try? Fixtures.names(in: directory, suffix: suffix)) ?? [] {
                if let bytes = try? Fixtures.bytes(directory + "/" + name) { inputs.append(bytes) }
            }
        }
        return inputs
    }()

    /// Values that sit at or past the limits of numbers, identifiers and delimiters.
    static let interesting = [
        "1e30", "-1e30", "9223372036854775808", "-9223372036854775809", "1e400", "1e-400", "NaN", "\"NaN\"",
        "Infinity", "-0", "0.0000001", "\"\\u0000\"", "\"\\u001b[2J\"", "~~~~~~~~", "\\X00\\", "\\X1B\\", "^^^^^^^^",
        "{\"a\":1,\"a\":2}", "[[[[[[[[", "\"patientId\":\"B\",", "120~130", "99999999999999999999", "\r\r\r",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int(1 + rng.next() % 4) where !bytes.isEmpty {
            let position = Int(rng.next() % UInt64(bytes.count))
            let length = min(bytes.count - position, Int(rng.next() % 16) + 1)
            switch rng.next() % 6 {
            case 0: bytes[position] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1:
                bytes.replaceSubrange(
                    position..<(position + length), with: interesting[Int(rng.next() % UInt64(interesting.count))])
            case 2: bytes.insert(contentsOf: interesting[Int(rng.next() % UInt64(interesting.count))], at: position)
            case 3: bytes.removeSubrange(position..<(position + length))
            case 4: bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
            default:
                // Replace a number with a limit value: where digits are, the decoders convert.
                if let start = bytes[position...].firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                    let end = bytes[start...].firstIndex { !($0 >= 0x30 && $0 <= 0x39 || $0 == 0x2E) } ?? bytes.endIndex
                    bytes.replaceSubrange(start..<end, with: interesting[Int(rng.next() % 6)])
                }
            }
        }
        return bytes
    }

    @Test func corpusIsTheFixtures() {
        #expect(Self.corpus.count >= 60)
    }

    @Test("the fixtures themselves break no property")
    func fixturesKeepEveryProperty() {
        for input in Self.corpus {
            let violations = DecoderFuzzTarget.violations(input)
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test("2,000 seeded mutations break no property (and trap nowhere)")
    func seededMutations() {
        var rng = SplitMix64(state: 0x7058_5741_5443_4831)
        var failures: [String] = []
        for iteration in 0..<2_000 {
            let input = Self.mutate(Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))], &rng)
            let violations = DecoderFuzzTarget.violations(input)
            if !violations.isEmpty, failures.count < 5 { failures.append("mutation \(iteration): \(violations)") }
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
