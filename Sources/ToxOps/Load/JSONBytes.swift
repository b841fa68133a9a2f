/// Appends a JSON object to a byte buffer without Foundation: the load generator's fast path.
///
/// Numbers are written in Swift's shortest round-trip form (integral values without a fraction),
/// timestamps as UTC `YYYY-MM-DDTHH:MM:SSZ`; strings are escaped as JSON requires.
struct JSONBytes {
    var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends to an existing buffer (take it back from ``bytes``).
    init(appendingTo buffer: [UInt8]) {
        bytes = buffer
    }

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    private mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        appendString(value)
    }

    /// Raw bytes (any, e.g. a malformed message) as a JSON string.
    mutating func valueString(_ name: StaticString, _ value: [UInt8]) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        appendNumber(value)
    }

    mutating func integer(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func timestamp(_ name: StaticString, epochSeconds: Int64) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        appendTimestamp(epochSeconds)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func date(_ name: StaticString, epochSeconds: Int64) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        appendDate(days: floorDivide(epochSeconds, 86_400))
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendString(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func object(_ name: StaticString, _ body: (inout JSONBytes) -> Void) {
        key(name)
        open()
        body(&self)
        close()
    }

    /// A raw, already valid JSON value (used for deliberately malformed documents too).
    mutating func raw(_ name: StaticString, _ json: String) {
        key(name)
        bytes.append(contentsOf: json.utf8)
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends bytes escaped for the inside of a JSON string; runs that need no escape are copied at once.
    mutating func appendEscaped(_ source: String.UTF8View) {
        if let done: Void = source.withContiguousStorageIfAvailable({ appendEscaped($0) }) { return done }
        appendEscaped(Array(source))
    }

    mutating func appendEscaped(_ source: [UInt8]) {
        source.withUnsafeBufferPointer { appendEscaped($0) }
    }

    mutating func appendEscaped(_ source: UnsafeBufferPointer<UInt8>) {
        // First pass: the escaped length; second: write it in one go.
        var length = source.count
        for byte in source where Self.needsEscape(byte) { length += byte < 0x20 ? 5 : 1 }
        guard length != source.count else {
            bytes.append(contentsOf: source)
            return
        }
        let escaped = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            var out = 0
            for byte in source {
                if !Self.needsEscape(byte) {
                    buffer[out] = byte
                    out += 1
                } else if byte >= 0x20 {
                    buffer[out] = UInt8(ascii: "\\")
                    buffer[out + 1] = byte
                    out += 2
                } else {
                    buffer[out] = UInt8(ascii: "\\")
                    buffer[out + 1] = UInt8(ascii: "u")
                    buffer[out + 2] = UInt8(ascii: "0")
                    buffer[out + 3] = UInt8(ascii: "0")
                    buffer[out + 4] = Self.hexDigits[Int(byte >> 4)]
                    buffer[out + 5] = Self.hexDigits[Int(byte & 0xF)]
                    out += 6
                }
            }
            initialized = out
        }
        bytes.append(contentsOf: escaped)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func appendNumber(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    private mutating func appendTwo(_ value: Int) {
        bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    private mutating func appendDate(days: Int64) {
        // Howard Hinnant's civil-from-days.
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        appendTwo(year / 100)
        appendTwo(year % 100)
        bytes.append(UInt8(ascii: "-"))
        appendTwo(month)
        bytes.append(UInt8(ascii: "-"))
        appendTwo(day)
    }

    private mutating func appendTimestamp(_ epochSeconds: Int64) {
        appendDate(days: floorDivide(epochSeconds, 86_400))
        let second = Int(epochSeconds - floorDivide(epochSeconds, 86_400) * 86_400)
        bytes.append(UInt8(ascii: "T"))
        appendTwo(second / 3600)
        bytes.append(UInt8(ascii: ":"))
        appendTwo(second / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        appendTwo(second % 60)
        bytes.append(UInt8(ascii: "Z"))
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
