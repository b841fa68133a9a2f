import ToxWatchContract

/// How a dead letter refers to bytes it does not carry: their size and SHA-256, in hexadecimal
/// (`sha256sum` prints the same), e.g. `10485760 bytes, sha256 3b1f…`.
package struct RecordDigest: Sendable, Hashable, Codable, CustomStringConvertible {
    package var byteCount: Int
    /// The full SHA-256, 64 hexadecimal digits.
    package var sha256: String

    package init(_ bytes: [UInt8]) {
        byteCount = bytes.count
        sha256 = SHA256.hash(bytes).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    package var description: String { "\(byteCount) bytes, sha256 \(sha256)" }
}
