/// Whether a scalar must not reach a terminal as it is: C0 controls (line breaks and escapes
/// included), DEL, C1 controls (`U+009B` is a CSI on some terminals), line and paragraph
/// separators, and the bidirectional overrides and isolates that reorder what is shown.
func isUnprintableControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
}

/// `text` with every control character written as an escape (`\x1B`, `\n` as `\x0A`, `\u{202E}`),
/// so that a listing shows what a record holds without a terminal acting on it.
package func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isUnprintableControl) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        guard isUnprintableControl(scalar) else {
            out.unicodeScalars.append(scalar)
            continue
        }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
    }
    return out
}

/// A JSON text with the control characters JSON allows raw (DEL, C1, separators, bidi controls)
/// written as `\uXXXX` escapes: the same JSON value, safe on a terminal. They can only occur in
/// strings, where the escape means the same character.
package func escapingControlCharacters(inJSON json: String) -> String {
    guard json.unicodeScalars.contains(where: isUnprintableControl) else { return json }
    var out = ""
    for scalar in json.unicodeScalars {
        guard isUnprintableControl(scalar) else {
            out.unicodeScalars.append(scalar)
            continue
        }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
    return out
}
