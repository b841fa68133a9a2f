/// The rule for identifiers read from Kafka (DESIGN.md §3, "Edges"): `eventId`, `patientId`,
/// `site`, `drug` and record keys, and what the HL7/FHIR adapters map to them (MSH-10, PID-3, FHIR
/// ids and references) are 1–128 bytes of UTF-8, not blank, without control characters.
///
/// An identifier keys a patient, a stock entry or an output; a NUL or an escape in one, or a
/// megabyte-long one, would reach keys, logs and every output built from it.
package enum InputIdentifier {
    /// The longest identifier, in bytes of UTF-8.
    package static let maxBytes = 128

    /// Why `value` is not an identifier (a phrase completing "`field` …"), or `nil` when it is one.
    package static func problem(_ value: String) -> String? {
        if value.isBlank { return "is empty" }
        if value.utf8.count > maxBytes {
            return "is longer than \(maxBytes) bytes (an identifier is 1–\(maxBytes) bytes of UTF-8)"
        }
        if hasControlCharacter(value) {
            return
                "contains a control character (an identifier is 1–\(maxBytes) bytes of UTF-8 without control characters)"
        }
        return nil
    }

    /// Whether `value` has a control character (general category Cc). ASCII is answered from its
    /// bytes, without the Unicode tables (a fifth of the event codec's time went to that lookup):
    /// its controls are U+0000–U+001F and U+007F.
    private static func hasControlCharacter(_ value: String) -> Bool {
        var text = value
        let ascii: Bool? = text.withUTF8 { utf8 in
            for byte in utf8 {
                guard byte < 0x80 else { return nil }
                if byte < 0x20 || byte == 0x7F { return true }
            }
            return false
        }
        return ascii ?? value.unicodeScalars.contains(where: isControl)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar.value < 0x20 || scalar.value == 0x7F : scalar.properties.generalCategory == .control
    }

    /// The text of a plain string's bytes (ASCII without control characters below U+0020, as
    /// ``JSONTape`` marks them) when they are an identifier, checked in one pass before the
    /// `String` is created; `nil` otherwise (``problem(_:)`` then says why, if it is not one).
    /// For such bytes a blank is only spaces and the one control character left is U+007F.
    static func text(ifIdentifier utf8: UnsafeRawBufferPointer) -> String? {
        guard utf8.count <= maxBytes else { return nil }
        var blank = true
        for byte in utf8 {
            if byte == 0x7F { return nil }
            if byte != UInt8(ascii: " ") { blank = false }
        }
        guard !blank else { return nil }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Throws `invalid-value` naming `path` when `value` is not an identifier.
    package static func check(_ value: String, path: String) throws(EventDecodingError) {
        if let problem = problem(value) { throw .invalidValue(path: path, value: value, problem: problem) }
    }
}
