/// The delimiters an HL7 v2 message declares in MSH-1 and MSH-2.
package struct HL7Delimiters: Sendable, Hashable {
    package var field: UInt8
    package var component: UInt8
    package var repetition: UInt8?
    package var escape: UInt8?
    package var subcomponent: UInt8?
    /// v2.7 truncation character; recognised so it is not taken for data in MSH-2, otherwise unused.
    package var truncation: UInt8?

    /// `|^~\&`
    package static let standard = HL7Delimiters(
        field: UInt8(ascii: "|"),
        component: UInt8(ascii: "^"),
        repetition: UInt8(ascii: "~"),
        escape: UInt8(ascii: "\\"),
        subcomponent: UInt8(ascii: "&"),
        truncation: nil
    )
}

/// How large an HL7 v2 message may be: bounds checked while parsing, so that one message cannot
/// hold a partition for long (parsing is linear in the message's size; these bound the size).
package struct HL7Limits: Sendable, Hashable {
    /// Segments in one message (an ORU with monitor data has hundreds).
    package var maxSegments: Int
    /// Repetitions of one field (PID-3 lists a few identifiers, OBX-5 a few codes).
    package var maxRepetitions: Int
    /// Bytes of one field, all repetitions included (reports and embedded documents are long).
    package var maxFieldBytes: Int

    package init(maxSegments: Int = 10_000, maxRepetitions: Int = 1_000, maxFieldBytes: Int = 262_144) {
        self.maxSegments = maxSegments
        self.maxRepetitions = maxRepetitions
        self.maxFieldBytes = maxFieldBytes
    }
}

/// A parsed HL7 v2 message in ER7 ("pipe") encoding.
///
/// Parsing honours the delimiters declared in MSH-1/MSH-2, accepts `\r`, `\n` or `\r\n` segment
/// endings, checks every segment identifier and the ``HL7Limits``, and splits each field into its
/// repetitions once. Components and subcomponents are split, and values unescaped
/// (`\F\ \S\ \T\ \R\ \E\ \Xhh…\`, formatting escapes dropped), only when read, so a bad escape in
/// a segment nobody reads does not reject the message. Every step is linear in the message's size.
package struct HL7Message: Sendable {
    package let delimiters: HL7Delimiters
    package let segments: [HL7Segment]
    /// MSH-18 says ISO 8859-1; text is then decoded as Latin-1 instead of UTF-8.
    let latin1: Bool

    /// Parses one message (MLLP framing bytes and surrounding whitespace are ignored).
    ///
    /// - Throws: ``EventDecodingError/malformedHL7(segment:segmentID:field:problem:)`` naming the
    ///   segment and field, also for a message over one of `limits`.
    package init(parsing input: some Collection<UInt8>, limits: HL7Limits = .init()) throws(EventDecodingError) {
        var bytes = ArraySlice(input)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while let first = bytes.first, first == 0x0B || isHL7Whitespace(first) { bytes.removeFirst() }
        while let last = bytes.last, last == 0x1C || isHL7Whitespace(last) { bytes.removeLast() }
        guard bytes.starts(with: Array("MSH".utf8)), bytes.count > 4 else {
            throw .malformedHL7(
                segment: 1,
                segmentID: printableID(bytes.prefix(3)),
                field: nil,
                problem: "a message must start with an MSH segment"
            )
        }
        let base = bytes.startIndex
        let fieldSeparator = bytes[base + 3]
        guard isDelimiterCandidate(fieldSeparator) else {
            throw .malformedHL7(
                segment: 1,
                segmentID: "MSH",
                field: 1,
                problem: "the field separator must be a printable, non-alphanumeric ASCII character"
            )
        }
        var encoding: [UInt8] = []
        var index = base + 4
        while index < bytes.endIndex, bytes[index] != fieldSeparator, !isSegmentTerminator(bytes[index]) {
            encoding.append(bytes[index])
            index += 1
        }
        guard (1...5).contains(encoding.count) else {
            throw .malformedHL7(
                segment: 1,
                segmentID: "MSH",
                field: 2,
                problem: "expected 1 to 5 encoding characters (e.g. ^~\\&), found \(encoding.count)"
            )
        }
        guard encoding.allSatisfy(isDelimiterCandidate), !encoding.contains(fieldSeparator),
            Set(encoding).count == encoding.count
        else {
            throw .malformedHL7(
                segment: 1,
                segmentID: "MSH",
                field: 2,
                problem:
                    "encoding characters must be distinct printable non-alphanumeric ASCII characters, different from the field separator"
            )
        }
        func encodingCharacter(_ i: Int) -> UInt8? { i < encoding.count ? encoding[i] : nil }
        let delimiters = HL7Delimiters(
            field: fieldSeparator,
            component: encoding[0],
            repetition: encodingCharacter(1),
            escape: encodingCharacter(2),
            subcomponent: encodingCharacter(3),
            truncation: encodingCharacter(4)
        )
        self.delimiters = delimiters

        var segments: [HL7Segment] = []
        var lineStart = bytes.startIndex
        var position = 0
        func addSegment(_ line: ArraySlice<UInt8>) throws(EventDecodingError) {
            guard line.contains(where: { !isHL7Whitespace($0) }) else { return }
            position += 1
            guard position <= limits.maxSegments else {
                throw .malformedHL7(
                    segment: position,
                    segmentID: "",
                    field: nil,
                    problem: "the message has more than \(limits.maxSegments) segments (the limit)"
                )
            }
            let segment = try HL7Segment(line: line, position: position, delimiters: delimiters, limits: limits)
            if position > 1, segment.id == "MSH" {
                throw .malformedHL7(
                    segment: position,
                    segmentID: "MSH",
                    field: nil,
                    problem: "a second MSH inside one message (split the stream into messages first)"
                )
            }
            segments.append(segment)
        }
        for i in bytes.indices where isSegmentTerminator(bytes[i]) {
            try addSegment(bytes[lineStart..<i])
            lineStart = i + 1
        }
        try addSegment(bytes[lineStart..<bytes.endIndex])
        let charset = segments.first.map { String(decoding: $0.raw(18), as: UTF8.self) } ?? ""
        let latin1 = charset.uppercased().hasPrefix("8859/1")
        for i in segments.indices { segments[i].latin1 = latin1 }
        self.latin1 = latin1
        self.segments = segments
    }

    /// The MSH segment (parsing guarantees it is first).
    package var header: HL7Segment { segments[0] }
}

/// One segment: its identifier, 1-based position in the message and raw fields.
package struct HL7Segment: Sendable {
    package let id: String
    /// 1-based position of the segment in its message (for error messages).
    package let position: Int
    /// Raw field bytes indexed by HL7 field number; index 0 holds the identifier. For MSH, index 1
    /// is the field separator and index 2 the encoding characters, as HL7 numbers them.
    let fields: [ArraySlice<UInt8>]
    /// The repetitions of each field (indexed as ``fields``), split once when the segment is parsed:
    /// reading repetition n never splits the field again.
    private let fieldRepetitions: [[ArraySlice<UInt8>]]
    let delimiters: HL7Delimiters
    var latin1 = false

    init(
        line: ArraySlice<UInt8>, position: Int, delimiters: HL7Delimiters, limits: HL7Limits = .init()
    ) throws(EventDecodingError) {
        var parts = line.split(separator: delimiters.field, omittingEmptySubsequences: false)
        let rawID = parts.first ?? []
        guard rawID.count == 3, let first = rawID.first, isUpperLetter(first),
            rawID.allSatisfy({ isUpperLetter($0) || isDigit($0) })
        else {
            throw .malformedHL7(
                segment: position,
                segmentID: "",
                field: nil,
                problem: "the segment does not start with an identifier (three upper-case letters or digits)"
            )
        }
        let id = String(decoding: rawID, as: UTF8.self)
        if id == "MSH" {
            // MSH-1 is the separator itself: insert it so that field numbers match HL7's.
            parts.insert(ArraySlice([delimiters.field]), at: 1)
        }
        var repetitions: [[ArraySlice<UInt8>]] = []
        repetitions.reserveCapacity(parts.count)
        for (number, field) in parts.enumerated() {
            guard field.count <= limits.maxFieldBytes else {
                throw .malformedHL7(
                    segment: position,
                    segmentID: id,
                    field: number,
                    problem: "the field is longer than \(limits.maxFieldBytes) bytes (the limit)"
                )
            }
            guard let separator = delimiters.repetition, !(id == "MSH" && number <= 2), field.contains(separator)
            else {
                repetitions.append([field])
                continue
            }
            let split = field.split(separator: separator, omittingEmptySubsequences: false)
            guard split.count <= limits.maxRepetitions else {
                throw .malformedHL7(
                    segment: position,
                    segmentID: id,
                    field: number,
                    problem: "the field has more than \(limits.maxRepetitions) repetitions (the limit)"
                )
            }
            repetitions.append(split)
        }
        self.id = id
        fields = parts
        fieldRepetitions = repetitions
        self.position = position
        self.delimiters = delimiters
    }

    /// The raw bytes of field `number` (empty when absent).
    func raw(_ number: Int) -> ArraySlice<UInt8> {
        number >= 0 && number < fields.count ? fields[number] : []
    }

    /// The repetitions of field `number` (MSH-1 and MSH-2 are never split).
    func repetitions(_ number: Int) -> [ArraySlice<UInt8>] {
        number >= 0 && number < fieldRepetitions.count ? fieldRepetitions[number] : [[]]
    }

    /// Number of repetitions of field `number` (0 when empty).
    package func repetitionCount(_ number: Int) -> Int {
        raw(number).isEmpty ? 0 : repetitions(number).count
    }

    /// The text of one subcomponent of one component of one repetition (all 1-based), unescaped;
    /// `nil` when empty or the HL7 null `""`.
    ///
    /// - Throws: ``EventDecodingError/malformedHL7(segment:segmentID:field:problem:)`` for a bad escape.
    package func text(
        _ number: Int,
        component: Int = 1,
        subcomponent: Int = 1,
        repetition: Int = 1
    ) throws(EventDecodingError) -> String? {
        let reps = repetitions(number)
        guard repetition >= 1, repetition <= reps.count else { return nil }
        let value = reps[repetition - 1]
        if id == "MSH" && number <= 2 {
            // MSH-1 and MSH-2 are the delimiters themselves: never split nor unescaped.
            return component == 1 && subcomponent == 1 && !value.isEmpty ? decode(value) : nil
        }
        return try self.value(nth(value, separator: delimiters.component, component), subcomponent, field: number)
    }

    /// All components (1-based positions preserved; empty ones are `nil`) of one repetition,
    /// taking the first subcomponent of each (the repetition is split once).
    package func components(_ number: Int, repetition: Int = 1) throws(EventDecodingError) -> [String?] {
        let reps = repetitions(number)
        guard repetition >= 1, repetition <= reps.count else { return [] }
        if id == "MSH" && number <= 2 { return [try text(number, repetition: repetition)] }
        var result: [String?] = []
        for part in reps[repetition - 1].split(separator: delimiters.component, omittingEmptySubsequences: false) {
            result.append(try value(part, 1, field: number))
        }
        return result.isEmpty ? [nil] : result
    }

    /// Subcomponent `subcomponent` of one component, unescaped and trimmed; `nil` when empty or `""`.
    private func value(_ component: ArraySlice<UInt8>, _ subcomponent: Int, field: Int) throws(EventDecodingError)
        -> String?
    {
        var value = component
        if let sub = delimiters.subcomponent {
            value = nth(value, separator: sub, subcomponent)
        } else if subcomponent != 1 {
            return nil
        }
        guard !value.isEmpty, !(value.count == 2 && value.allSatisfy { $0 == UInt8(ascii: "\"") }) else { return nil }
        // Padding around values carries no meaning in HL7; a blank value is an empty one.
        let text = try unescape(value, field: field).trimmingWhitespace()
        return text.isEmpty ? nil : text
    }

    private func nth(_ bytes: ArraySlice<UInt8>, separator: UInt8, _ n: Int) -> ArraySlice<UInt8> {
        guard n >= 1 else { return [] }
        var index = 1
        var start = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == separator {
                if index == n { return bytes[start..<i] }
                index += 1
                start = i + 1
            }
            i += 1
        }
        return index == n ? bytes[start..<bytes.endIndex] : []
    }

    /// Replaces escape sequences; formatting escapes (\H\ \N\ \.sp\ …) and charset escapes are
    /// dropped, `\.br\` becomes a line break.
    func unescape(_ bytes: ArraySlice<UInt8>, field: Int) throws(EventDecodingError) -> String {
        guard let escape = delimiters.escape, bytes.contains(escape) else { return decode(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            guard b == escape else {
                out.append(b)
                i += 1
                continue
            }
            guard let end = bytes[(i + 1)...].firstIndex(of: escape) else {
                throw .malformedHL7(
                    segment: position,
                    segmentID: id,
                    field: field,
                    problem: "unterminated escape sequence"
                )
            }
            let sequence = bytes[(i + 1)..<end]
            switch Array(sequence) {
            case [UInt8(ascii: "F")]: out.append(delimiters.field)
            case [UInt8(ascii: "S")]: out.append(delimiters.component)
            case [UInt8(ascii: "T")]: out.append(delimiters.subcomponent ?? UInt8(ascii: "&"))
            case [UInt8(ascii: "R")]: out.append(delimiters.repetition ?? UInt8(ascii: "~"))
            case [UInt8(ascii: "E")]: out.append(escape)
            case [UInt8(ascii: "H")], [UInt8(ascii: "N")]: break
            case Array(".br".utf8): out.append(UInt8(ascii: "\n"))
            default:
                guard let kind = sequence.first else {
                    throw .malformedHL7(
                        segment: position,
                        segmentID: id,
                        field: field,
                        problem: "empty escape sequence"
                    )
                }
                switch kind {
                case UInt8(ascii: "X"):
                    let hex = sequence.dropFirst()
                    guard !hex.isEmpty, hex.count % 2 == 0, hex.allSatisfy(isHexDigit) else {
                        throw .malformedHL7(
                            segment: position,
                            segmentID: id,
                            field: field,
                            problem: "invalid hexadecimal escape \\X…\\"
                        )
                    }
                    var j = hex.startIndex
                    while j < hex.endIndex {
                        out.append(hexValue(hex[j]) << 4 | hexValue(hex[j + 1]))
                        j += 2
                    }
                case UInt8(ascii: "."), UInt8(ascii: "C"), UInt8(ascii: "M"), UInt8(ascii: "Z"):
                    break  // formatting commands, character-set switches, locally defined escapes
                default:
                    throw .malformedHL7(
                        segment: position,
                        segmentID: id,
                        field: field,
                        problem:
                            "unknown escape sequence (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\X…\\ and formatting escapes are known)"
                    )
                }
            }
            i = end + 1
        }
        return decode(out[...])
    }

    func decode(_ bytes: ArraySlice<UInt8>) -> String {
        latin1
            ? String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
            : String(decoding: bytes, as: UTF8.self)
    }
}

/// Splits a byte stream (a file, a Kafka record) into HL7 messages: MLLP frames
/// (`0x0B … 0x1C 0x0D`), and messages one after another, each starting with an MSH segment.
/// Batch envelope segments (FHS, BHS, BTS, FTS) are dropped and counted.
package enum HL7Framing {
    package static func split(_ input: [UInt8]) -> (messages: [ArraySlice<UInt8>], batchSegments: Int) {
        var chunks: [ArraySlice<UInt8>] = []
        if input.contains(0x0B) || input.contains(0x1C) {
            var i = input.startIndex
            var outsideStart = i
            while i < input.endIndex {
                guard input[i] == 0x0B else {
                    i += 1
                    continue
                }
                chunks.append(input[outsideStart..<i])
                let start = i + 1
                var end = start
                while end < input.endIndex, input[end] != 0x1C, input[end] != 0x0B { end += 1 }
                chunks.append(input[start..<end])
                i = end < input.endIndex && input[end] == 0x1C ? end + 1 : end
                outsideStart = i
            }
            chunks.append(input[outsideStart..<input.endIndex])
        } else {
            chunks = [input[...]]
        }
        var messages: [ArraySlice<UInt8>] = []
        var batchSegments = 0
        for chunk in chunks {
            let (parts, batch) = splitAtMSH(chunk)
            messages += parts
            batchSegments += batch
        }
        return (messages, batchSegments)
    }

    /// Splits at every segment starting with MSH; drops batch envelope segments.
    private static func splitAtMSH(_ chunk: ArraySlice<UInt8>) -> ([ArraySlice<UInt8>], Int) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = chunk.startIndex
        for i in chunk.indices where isSegmentTerminator(chunk[i]) {
            lines.append(chunk[lineStart..<i])
            lineStart = i + 1
        }
        lines.append(chunk[lineStart..<chunk.endIndex])
        var messages: [ArraySlice<UInt8>] = []
        var current: [UInt8] = []
        var batch = 0
        let envelope = ["FHS", "BHS", "BTS", "FTS"].map { Array($0.utf8) }
        for line in lines {
            let trimmed = line.drop { isHL7Whitespace($0) || $0 == 0x1C }
            if trimmed.isEmpty { continue }
            if envelope.contains(where: { trimmed.starts(with: $0) }) {
                batch += 1
                continue
            }
            if trimmed.starts(with: Array("MSH".utf8)), current.contains(where: { !isHL7Whitespace($0) }) {
                messages.append(current[...])
                current = []
            }
            current += trimmed
            current.append(0x0D)
        }
        if current.contains(where: { !isHL7Whitespace($0) && $0 != 0x1C }) { messages.append(current[...]) }
        return (messages, batch)
    }
}

func isSegmentTerminator(_ b: UInt8) -> Bool { b == 0x0D || b == 0x0A }
func isHL7Whitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
func isUpperLetter(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102) }
func hexValue(_ b: UInt8) -> UInt8 { isDigit(b) ? b - 48 : (b >= 97 ? b - 87 : b - 55) }

/// A delimiter must be printable ASCII and neither a letter nor a digit.
func isDelimiterCandidate(_ b: UInt8) -> Bool {
    b >= 0x21 && b <= 0x7E && !isDigit(b) && !isUpperLetter(b) && !(b >= 97 && b <= 122)
}

/// Up to 8 printable ASCII characters of `bytes`, for error messages (never raw control bytes).
func printableID(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes.prefix(8).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
}
