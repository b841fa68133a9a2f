package import Foundation
package import ToxicityRules

/// A ``ClinicalEvent`` as a compact binary record, and back: the form a patient's course is held
/// in (``CompactCourse``) and written to the changelog in.
///
/// A record is a fixed-width header followed by the event's fields in declaration order:
///
/// | bytes | what |
/// |---|---|
/// | 0 | kind (``CompactEventKind``) |
/// | 1 | flags: bit 0 = the event's patient id is the course's, and left out |
/// | 2–3 | presence bits (little-endian): bit n = the struct's n-th optional field is present; a `Bool` field's value is a bit too |
/// | 4–11 | `occurredAt`: the bit pattern of its seconds since 2001-01-01 |
///
/// Then: the event id and (unless left out) the patient id as strings, and each present field.
/// Doubles and dates are their bit patterns (a decoded event is `==` to the encoded one), integers
/// zigzag varints, strings and arrays a varint length then their UTF-8 bytes or elements, enum
/// values one byte from ``CompactCodes``. Decoding rejects every byte sequence no encoder writes
/// (unknown kinds, flags, presence bits or codes; truncation; invalid UTF-8).
package enum CompactEventCodec {
    /// The size of a record's fixed-width header.
    package static let headerSize = 12

    private static let patientIdOmitted: UInt8 = 1

    /// Appends the record of `event` to `bytes`; `coursePatientId` is the id the record leaves out
    /// when the event carries it.
    package static func append(_ event: ClinicalEvent, coursePatientId: String, to bytes: inout [UInt8]) {
        var writer = CompactRecordWriter(bytes: bytes)
        bytes = []  // the writer's copy is the only one: appending does not copy the course
        defer { bytes = writer.bytes }
        let omitsPatientId = event.patientId == coursePatientId
        let start = writer.bytes.count
        writer.byte(kind(of: event).rawValue)
        writer.byte(omitsPatientId ? patientIdOmitted : 0)
        writer.uint16(0)
        writer.date(event.occurredAt)
        writer.string(event.eventId)
        if !omitsPatientId { writer.string(event.patientId) }
        let presence: UInt16
        switch event {
        case .patient(let e): presence = writePayload(e, into: &writer)
        case .vitals(let e): presence = writePayload(e, into: &writer)
        case .neuro(let e): presence = writePayload(e, into: &writer)
        case .lab(let e): presence = writePayload(e, into: &writer)
        case .finding(let e): presence = writePayload(e, into: &writer)
        case .medication(let e): presence = writePayload(e, into: &writer)
        }
        writer.bytes[start + 2] = UInt8(truncatingIfNeeded: presence)
        writer.bytes[start + 3] = UInt8(truncatingIfNeeded: presence >> 8)
    }

    /// The record of `event` alone.
    package static func encode(_ event: ClinicalEvent, coursePatientId: String) -> [UInt8] {
        var bytes: [UInt8] = []
        append(event, coursePatientId: coursePatientId, to: &bytes)
        return bytes
    }

    /// Decodes the record that starts at `offset`.
    /// - Returns: the event and the offset just after its record.
    package static func decode(_ bytes: [UInt8], at offset: Int, coursePatientId: String)
        throws(CompactDecodingError) -> (event: ClinicalEvent, end: Int)
    {
        var reader = CompactRecordReader(bytes: bytes, position: offset)
        let kindCode = try reader.byte()
        guard let kind = CompactEventKind(rawValue: kindCode) else { throw .unknownCode(kindCode) }
        let flags = try reader.byte()
        guard flags & ~patientIdOmitted == 0 else { throw .unknownCode(flags) }
        let presence = try reader.uint16()
        let occurredAt = try reader.date()
        let eventId = try reader.string()
        let patientId = flags & patientIdOmitted != 0 ? coursePatientId : try reader.string()
        let head = EventHead(eventId: eventId, patientId: patientId, occurredAt: occurredAt, presence: presence)
        let event: ClinicalEvent
        switch kind {
        case .patient: event = .patient(try readPatient(head, from: &reader))
        case .vitals: event = .vitals(try readVitals(head, from: &reader))
        case .neuro: event = .neuro(try readNeuro(head, from: &reader))
        case .lab: event = .lab(try readLab(head, from: &reader))
        case .finding: event = .finding(try readFinding(head, from: &reader))
        case .medication: event = .medication(try readMedication(head, from: &reader))
        }
        return (event, reader.position)
    }

    /// Decodes a buffer that holds exactly one record.
    package static func decode(_ bytes: [UInt8], coursePatientId: String) throws(CompactDecodingError) -> ClinicalEvent
    {
        let (event, end) = try decode(bytes, at: 0, coursePatientId: coursePatientId)
        guard end == bytes.count else { throw .malformedNumber }
        return event
    }

    /// The kind in the header of the record at `offset` (of a record already validated).
    package static func kind(in bytes: [UInt8], at offset: Int) -> CompactEventKind? {
        CompactEventKind(rawValue: bytes[offset])
    }

    /// The `occurredAt` in the header of the record at `offset` (of a record already validated).
    package static func occurredAt(in bytes: [UInt8], at offset: Int) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(bitPattern: CompactRecordReader.uint64(bytes, at: offset + 4)))
    }

    /// The range of the event id's UTF-8 bytes in the record at `offset` (of a record already
    /// validated), read without decoding the event.
    package static func eventIdRange(in bytes: [UInt8], at offset: Int) -> Range<Int>? {
        var reader = CompactRecordReader(bytes: bytes, position: offset + headerSize)
        return try? reader.stringRange()
    }

    static func kind(of event: ClinicalEvent) -> CompactEventKind {
        switch event {
        case .patient: .patient
        case .vitals: .vitals
        case .neuro: .neuro
        case .lab: .lab
        case .finding: .finding
        case .medication: .medication
        }
    }
}

/// What every record's header and first fields give: the common fields and the presence bits.
struct EventHead {
    var eventId: String
    var patientId: String
    var occurredAt: Date
    var presence: UInt16

    func has(_ bit: Int) -> Bool { presence & (1 << UInt16(bit)) != 0 }

    /// Rejects presence bits beyond the `count` a kind uses.
    func check(bits count: Int) throws(CompactDecodingError) {
        guard presence >> UInt16(count) == 0 else { throw .unknownCode(UInt8(truncatingIfNeeded: presence >> 8)) }
    }
}
