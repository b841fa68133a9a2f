import Testing

@testable import ToxWatchContract

/// The checks on every decoded string answer ASCII from its bytes instead of the Unicode tables:
/// they must answer as the tables do, for every ASCII scalar and around the first non-ASCII one.
@Suite("Event codec: ASCII answered from bytes as the Unicode tables answer")
struct ASCIIFastPathTests {
    /// Scalars around the fast paths: every ASCII one, the Latin-1 white space and controls, and
    /// white space and controls past them.
    static let scalars: [Unicode.Scalar] =
        (0..<0x80).compactMap(Unicode.Scalar.init)
        + [0x80, 0x85, 0x9F, 0xA0, 0xA9, 0x1680, 0x2000, 0x200B, 0x2028, 0x202F, 0x3000, 0xFEFF, 0x1_D11E]
        .compactMap(Unicode.Scalar.init)

    /// Every string of one or two of ``scalars`` (with a letter, a blank or nothing around them).
    static func strings() -> [String] {
        var strings = [""]
        for first in scalars {
            strings.append(String(first))
            for second in ["a", " ", "\u{A0}", "\u{1}"] as [Unicode.Scalar] {
                strings.append(String(first) + String(second))
                strings.append(String(second) + String(first))
            }
        }
        return strings
    }

    @Test func blankAsTheTablesSay() {
        let strings = Self.strings()
        for text in strings {
            #expect(
                text.isBlank == text.unicodeScalars.allSatisfy(\.properties.isWhitespace), "\(text.debugDescription)")
        }
        // Cases run: 1 + 141 × 9 strings; some blank, most not.
        #expect(strings.count > 1000)
        #expect(strings.contains { $0.isBlank && !$0.isEmpty } && strings.contains { !$0.isBlank })
    }

    @Test func controlCharactersAsTheTablesSay() {
        let strings = Self.strings().filter { !$0.isEmpty }
        var refused = 0
        for text in strings {
            let hasControl = text.unicodeScalars.contains { $0.properties.generalCategory == .control }
            let problem = InputIdentifier.problem(text)
            if text.isBlank {
                #expect(problem == "is empty")
            } else {
                #expect((problem != nil) == hasControl, "\(text.debugDescription): \(problem ?? "accepted")")
            }
            if problem != nil { refused += 1 }
        }
        #expect(refused > 0 && refused < strings.count)
    }
}
