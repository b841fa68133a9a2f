import Foundation

/// Finds a key that appears twice in one JSON object, at any depth, and names a number too large
/// for a 64-bit float (which Foundation reports only as "not valid JSON").
///
/// Foundation's `JSONDecoder` and `JSONSerialization` keep one of the two values silently (the
/// first), while other readers (Python's `json`, `jsonschema`) keep the other (the last): the same
/// record `{"patientId":"A",…,"patientId":"B"}` would be two patients to two readers. The contract
/// refuses such a record (`malformed-json`, naming the key).
///
/// One pass over the bytes, linear in their number: strings are skipped by their quotes, and each
/// object's keys go into a set. Keys are compared as Foundation compares them (unescaped, as
/// Swift strings), so every pair Foundation would merge is found. Bytes that are not well-formed
/// JSON are left to the decoder, which says what is wrong.
enum JSONDuplicateKeys {
    /// Nesting deeper than this is not scanned (the decoders refuse it anyway).
    static let maximumDepth = 1024

    /// The JSON path of the first duplicated key (`oxygen.device`, `entry[2].resource.id`), or `nil`.
    static func firstDuplicate(in json: Data) -> String? {
        json.withUnsafeBytes { firstDuplicate(in: $0) }
    }

    static func firstDuplicate(in json: UnsafeRawBufferPointer) -> String? {
        scan(json, numbers: false)
    }

    /// The JSON path of the first number whose magnitude no 64-bit float holds (`1e400`), or `nil`.
    static func firstNumberPastDouble(in json: Data) -> String? {
        json.withUnsafeBytes { firstNumberPastDouble(in: $0) }
    }

    static func firstNumberPastDouble(in json: UnsafeRawBufferPointer) -> String? {
        scan(json, numbers: true)
    }

    /// A key's text as this scan compares keys (unescaped when `escaped`), or `nil` when it is
    /// not UTF-8 or has a malformed escape.
    static func keyText(_ raw: UnsafeRawBufferPointer, escaped: Bool) -> String? {
        escaped ? unescape(raw) : String(validating: raw, as: UTF8.self)
    }

    private struct Frame {
        var isObject: Bool
        var keys: Set<String> = []
        var key = ""
        var index = 0
        var expectingKey = true
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// Keys are checked for duplicates; with `numbers`, number tokens are read instead.
    private static func scan(_ bytes: UnsafeRawBufferPointer, numbers: Bool) -> String? {
        var stack: [Frame] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case quote:
                let start = i + 1
                var end = start
                var escaped = false
                while end < bytes.count, bytes[end] != quote {
                    if bytes[end] == backslash {
                        escaped = true
                        end += 1
                    }
                    end += 1
                }
                guard end < bytes.count else { return nil }
                if !numbers, let last = stack.indices.last, stack[last].isObject, stack[last].expectingKey {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    guard let key = keyText(raw, escaped: escaped) else { return nil }
                    stack[last].key = key
                    stack[last].expectingKey = false
                    if !stack[last].keys.insert(key).inserted { return path(stack) }
                } else if numbers, let last = stack.indices.last, stack[last].isObject, stack[last].expectingKey {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    stack[last].key = keyText(raw, escaped: escaped) ?? ""
                    stack[last].expectingKey = false
                }
                i = end + 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < maximumDepth else { return nil }
                stack.append(Frame(isObject: bytes[i] == UInt8(ascii: "{")))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
            case UInt8(ascii: ","):
                if let last = stack.indices.last {
                    if stack[last].isObject { stack[last].expectingKey = true } else { stack[last].index += 1 }
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard numbers else { break }
                var end = i + 1
                while end < bytes.count, isNumberByte(bytes[end]) { end += 1 }
                let token = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)
                if let value = Double(token), !value.isFinite { return path(stack) }
                i = end
                continue
            default:
                break
            }
            i += 1
        }
        return nil
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }

    /// `a.b[2].c`; a key that is not a plain name is given by its length and digest.
    private static func path(_ stack: [Frame]) -> String {
        var path = ""
        for frame in stack {
            if frame.isObject {
                let plain =
                    !frame.key.isEmpty && frame.key.utf8.count <= 64
                    && frame.key.utf8.allSatisfy { b in
                        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
                            || b == 0x2D || b == 0x24 || b == 0x40
                    }
                let name = plain ? frame.key : "<key of \(ValueDigest(frame.key))>"
                path += path.isEmpty ? name : "." + name
            } else {
                path += "[\(frame.index)]"
            }
        }
        return path
    }

    /// The text of a JSON string body with escapes (`\n`, `\u00e9`, surrogate pairs); `nil` when
    /// it is malformed (left to the decoder).
    private static func unescape(_ raw: UnsafeRawBufferPointer) -> String? {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        func flush() -> Bool {
            guard !utf8.isEmpty else { return true }
            guard let text = String(validating: utf8, as: UTF8.self) else { return false }
            scalars.append(contentsOf: text.unicodeScalars)
            utf8.removeAll(keepingCapacity: true)
            return true
        }
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for b in raw[at..<(at + 4)] {
                guard isHexDigit(b) else { return nil }
                value = value << 4 | UInt32(hexValue(b))
            }
            return value
        }
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == backslash else {
                utf8.append(b)
                i += 1
                continue
            }
            guard i + 1 < raw.count, flush() else { return nil }
            let kind = raw[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "\""), backslash, UInt8(ascii: "/"): scalars.append(Unicode.Scalar(kind))
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard var code = hex4(i) else { return nil }
                i += 4
                if (0xD800...0xDBFF).contains(code), i + 6 <= raw.count, raw[i] == backslash,
                    raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low)
                {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                return nil
            }
        }
        guard flush() else { return nil }
        return String(scalars)
    }
}
