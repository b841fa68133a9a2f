package import Foundation

/// The event contract's reader over bytes: one Kafka record value (UTF-8 JSON, one event) to an
/// ``EventEnvelope``, without Foundation's `JSONDecoder`.
///
/// It reads exactly what the reference path (``EventEnvelope/decodeWithFoundation(_:)``, Foundation's
/// `JSONDecoder` through the same field checks) reads, and refuses what it refuses with the same
/// ``EventDecodingError``: the document's structure is scanned once into a ``JSONTape``, then the
/// event's fields are looked up on it (``JSONObjectReader``) by the checks both paths share
/// (``ContractFieldReader``). Parsing cost is linear in the input's size. The property tests in
/// `Tests/ToxWatchContractTests/Codec` compare both paths on random valid and mutated events.
package enum EventCodec {
    /// Decodes one event.
    ///
    /// - Throws: ``EventDecodingError`` naming the field, the value and what is allowed.
    package static func decode(_ bytes: UnsafeRawBufferPointer) throws(EventDecodingError) -> EventEnvelope {
        try read(bytes) { root in try EventEnvelope(reading: root) }
    }

    /// Decodes one event without building its envelope (its `source` is read and checked all
    /// the same), so the event is not copied out of one.
    @inline(__always)
    package static func decodeEvent(_ bytes: UnsafeRawBufferPointer) throws(EventDecodingError) -> InputEvent {
        try read(bytes) { root in
            // The source is checked first, so that the event is read straight into the result;
            // when the source is refused, the event is read first, as the envelope reads them,
            // and its own error comes before the source's.
            do {
                _ = try EventEnvelope.source(reading: root)
            } catch {
                _ = try EventEnvelope.event(reading: root)
                throw error
            }
            return try EventEnvelope.event(reading: root)
        }
    }

    /// What `body` reads from the document's top-level object, with the errors of the reference
    /// path.
    @inline(__always)
    private static func read<Value>(
        _ bytes: UnsafeRawBufferPointer,
        _ body: (JSONObjectReader) throws -> Value
    ) throws(EventDecodingError) -> Value {
        try JSONTape.scan(bytes) { tape throws(EventDecodingError) in
            guard let tape else { throw unreadableDocument(bytes) }
            if tape.hasEqualKeys, let path = JSONDuplicateKeys.firstDuplicate(in: tape.bytes) {
                throw .duplicateKey(path)
            }
            let root = try JSONObjectReader.root(of: tape)
            do {
                return try body(root)
            } catch is JSONObjectReader.UnreadableValue {
                throw .unreadableJSON(tape.bytes)
            } catch {
                throw EventDecodingError(decoding: error)
            }
        }
    }

    // The arrays lend their bytes through `withUnsafeBufferPointer`, which passes a typed error
    // on (no `Result` around the event, which would copy it once more).
    package static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> EventEnvelope {
        try bytes.withUnsafeBufferPointer { buffer throws(EventDecodingError) in
            try decode(UnsafeRawBufferPointer(buffer))
        }
    }

    package static func decode(_ bytes: ArraySlice<UInt8>) throws(EventDecodingError) -> EventEnvelope {
        try bytes.withUnsafeBufferPointer { buffer throws(EventDecodingError) in
            try decode(UnsafeRawBufferPointer(buffer))
        }
    }

    package static func decode(_ data: Data) throws(EventDecodingError) -> EventEnvelope {
        try data.withUnsafeBytes { raw in Result { () throws(EventDecodingError) in try decode(raw) } }.get()
    }

    @inline(__always)
    package static func decodeEvent(_ bytes: [UInt8]) throws(EventDecodingError) -> InputEvent {
        try bytes.withUnsafeBufferPointer { buffer throws(EventDecodingError) in
            try decodeEvent(UnsafeRawBufferPointer(buffer))
        }
    }

    package static func decodeEvent(_ data: Data) throws(EventDecodingError) -> InputEvent {
        try data.withUnsafeBytes { raw in Result { () throws(EventDecodingError) in try decodeEvent(raw) } }.get()
    }

    /// Why bytes that are not a JSON document Foundation reads were refused, as the reference path
    /// says it: a duplicated key first (checked before parsing), then bytes that are not UTF-8,
    /// then a number past a 64-bit float, else not JSON.
    static func unreadableDocument(_ bytes: UnsafeRawBufferPointer) -> EventDecodingError {
        if let path = JSONDuplicateKeys.firstDuplicate(in: bytes) { return .duplicateKey(path) }
        return .unreadableJSON(bytes)
    }
}

extension EventDecodingError {
    /// `malformed-json` naming a key that appears twice in one object.
    static func duplicateKey(_ path: String) -> EventDecodingError {
        .malformedJSON(path: path, problem: "duplicate key (a key may appear once per object)")
    }

    /// Bytes no JSON reader reads: not UTF-8, a number past what a 64-bit float holds, or not JSON.
    static func unreadableJSON(_ bytes: UnsafeRawBufferPointer) -> EventDecodingError {
        unreadableJSONCause(bytes)
            ?? .malformedJSON(path: "", problem: "not valid JSON (or a number past what a 64-bit float holds)")
    }

    /// Why bytes are not JSON when the reason can be named: not UTF-8, or a number past what a
    /// 64-bit float holds (naming it).
    static func unreadableJSONCause(_ bytes: UnsafeRawBufferPointer) -> EventDecodingError? {
        if String(validating: bytes, as: UTF8.self) == nil {
            return .malformedJSON(path: "", problem: "not valid UTF-8")
        }
        if let number = JSONDuplicateKeys.firstNumberPastDouble(in: bytes) {
            return .outOfRange(path: number, value: .infinity, range: .finiteNumber)
        }
        return nil
    }
}
