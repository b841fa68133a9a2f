import ToxTestSupport

/// Mutations of valid event documents, each a kind of input the contract must refuse (or, by
/// chance, still accept) the same way through both readers: on the document's tree (a key
/// duplicated, a value of the wrong type, a number past its range or past a double, a bad
/// timestamp, a field removed) and on its bytes (a byte flipped, the end cut off, invalid UTF-8,
/// a limit value spliced in).
enum EventMutations {
    enum Kind: CaseIterable {
        case duplicateKey, wrongType, numberLimit, badTimestamp, removeField, badString
        case flipByte, truncate, invalidUTF8, splice
    }

    static let numberLimits = [
        "1e400", "-1e400", "1e-400", "2e-324", "4.9e-324", "1.7976931348623159e308", "99999999999999999999", "-1",
        "01", "1.", "-", "1e", "+1", ".5", "0.1E+2", "1E400", "100000000000000000000000000000e-20", "-0.0",
        "3.0000000000000001", "45.00000000000001", "1e-7", "10.5", "32", "11",
    ]

    static let badTimestamps = [
        "2026-03-02T06:00:00", "2026-03-02T06:00Z", "2026-03-02", "2026-02-30T06:00:00Z", "2026-03-02T24:00:00Z",
        "2026-03-02T06:00:00+24:00", "2026-03-02T06:00:00.Z", "2026-03-02T06:00:00.1234567891Z",
        "2026-03-02 06:00:00Z", "20260302T060000Z", "2026-03-02T06:00:00+0100", "", " ", "2026-03-02T06:00:60Z",
    ]

    static let wrongTypes: [TestJSON] = [
        .string("38.5"), .number("38.5"), .bool(true), .null, .array([.string("a")]), .object([]),
        .array([.string("a"), .null]), .array([.number("1")]),
    ]

    static let badStrings: [[UInt8]] = [
        Array("\"\\q\"".utf8), Array("\"\\ud800\"".utf8), Array("\"\\udc00x\"".utf8), Array("\"\\u12G4\"".utf8),
        [0x22, 0x61, 0x01, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
        Array("\"\\uD834\\uDD1E\"".utf8), Array("\"\\u0000\"".utf8), Array("\"weight\u{212A}g\"".utf8),
        Array("\"\\u0074ype\"".utf8),
    ]

    static func mutate(_ document: TestJSON, _ kind: Kind, _ rng: inout SplitMix64) -> [UInt8] {
        guard case .object(var members) = document, !members.isEmpty else { return document.render(&rng) }
        let index = Int(rng.next() % UInt64(members.count))
        switch kind {
        case .duplicateKey:
            let (key, value) = members[index]
            let copy = RandomEventDocuments.chance(&rng, 2) ? value : .string("other")
            members.insert((key, copy), at: Int(rng.next() % UInt64(members.count + 1)))
            // Sometimes the duplicate is nested: inside an object value, when there is one.
            if RandomEventDocuments.chance(&rng, 3), case .object(var inner) = members[index].1, let first = inner.first
            {
                inner.append(first)
                members[index].1 = .object(inner)
            }
        case .wrongType:
            members[index].1 = RandomEventDocuments.pick(wrongTypes, &rng)
        case .numberLimit:
            let numbers = members.indices.filter { if case .number = members[$0].1 { true } else { false } }
            let target = numbers.isEmpty ? index : numbers[Int(rng.next() % UInt64(numbers.count))]
            members[target].1 = .number(RandomEventDocuments.pick(numberLimits, &rng))
        case .badTimestamp:
            let target = members.firstIndex { $0.0 == "occurredAt" } ?? index
            members[target].1 = .string(RandomEventDocuments.pick(badTimestamps, &rng))
        case .removeField:
            members.remove(at: index)
        case .badString, .flipByte, .truncate, .invalidUTF8, .splice:
            return mutateBytes(TestJSON.object(members).render(&rng), kind, &rng)
        }
        return TestJSON.object(members).render(&rng)
    }

    private static func mutateBytes(_ input: [UInt8], _ kind: Kind, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let position = Int(rng.next() % UInt64(bytes.count))
        switch kind {
        case .flipByte:
            for _ in 0...(rng.next() % 3) {
                bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
        case .truncate:
            bytes.removeSubrange(position...)
        case .invalidUTF8:
            let sequences: [[UInt8]] = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80]]
            let sequence = RandomEventDocuments.pick(sequences, &rng)
            // Inside a string when the position is in one; anywhere otherwise.
            bytes.insert(contentsOf: sequence, at: position)
        case .badString:
            // Replace a whole string token (a key or a value).
            let quotes = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") && ($0 == 0 || bytes[$0 - 1] != 0x5C) }
            guard quotes.count >= 2 else { break }
            let pair = Int(rng.next() % UInt64(quotes.count / 2)) * 2
            bytes.replaceSubrange(quotes[pair]...quotes[pair + 1], with: RandomEventDocuments.pick(badStrings, &rng))
        default:
            let pieces: [String] = [
                ",", "}", "]", ",}", "[", "{", ":", "\"", "\\", "null", "1e400", "tru", " ", "\u{0}",
            ]
            let piece = RandomEventDocuments.pick(pieces, &rng)
            bytes.insert(contentsOf: Array(piece.utf8), at: position)
        }
        return bytes
    }
}
