/// Why bytes are not a compact event record or course (``CompactEventCodec``, ``CompactCourse``):
/// a changelog value that fails with one of these is corrupt, never partly read.
package enum CompactDecodingError: Error, Equatable, Sendable {
    /// The bytes end inside a record.
    case truncated
    /// An event kind, enum code or flag no version writes.
    case unknownCode(UInt8)
    /// A length or count that does not fit the bytes, or a number that overflows.
    case malformedNumber
    /// A string that is not UTF-8.
    case invalidUTF8
    /// Base64 text that is not canonical base64.
    case invalidBase64
}
