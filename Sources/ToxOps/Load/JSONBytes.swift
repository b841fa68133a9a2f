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
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
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
