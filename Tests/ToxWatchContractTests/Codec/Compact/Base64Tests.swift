import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract

/// The changelog's base64url (``Base64``): Foundation's base64 text with `-` and `_` for `+` and
/// `/`, and back; anything else rejected.
@Suite("Base64")
struct Base64Tests {
    @Test("random bytes: the same text as Foundation's base64 in the URL alphabet, and decoded back")
    func randomBytes() throws {
        var rng = SplitMix64(state: 0xB64)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = Base64.encode(bytes)
            let foundation = Data(bytes).base64EncodedString()
            #expect(
                String(decoding: text, as: UTF8.self)
                    == foundation.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
            #expect(try Base64.decode(text) == bytes)
        }
    }

    @Test(
        "text that is not canonical padded base64 is rejected",
        arguments: ["A", "AB=", "A===", "AB!C", "AB C", "AB+C", "AB/C", "AB=C", "AR==", "ABD=", "====", "\u{e9}AAA"])
    func rejected(text: String) {
        #expect(throws: CompactDecodingError.invalidBase64) { try Base64.decode(text.utf8) }
    }
}
