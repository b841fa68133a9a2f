package import Foundation
package import ToxicityRules

/// A patient's course as compact event records (``CompactEventCodec``): one contiguous byte array
/// holding the records in event time (ties in arrival order), and the offset of each record. An
/// event's kind and time are read from its record's header; the event itself is decoded when asked
/// for.
package struct CompactCourse: Sendable, Equatable {
    /// The patient the course belongs to: records of events with this patient id leave it out.
    package let patientId: String
    /// The records, back to back, in event time: the course as the changelog holds it.
    package private(set) var bytes: [UInt8] = []
    /// The offset of each record in ``bytes``, in the same order (derived from the bytes).
    private var offsets: [UInt32] = []

    package init(patientId: String) {
        self.patientId = patientId
    }

    /// Reads a course from its ``bytes``, decoding every record once to validate it; records out of
    /// event time are put in order (ties keep their order in `bytes`).
    package init(patientId: String, bytes: [UInt8]) throws(CompactDecodingError) {
        self.patientId = patientId
        guard bytes.count <= Int(UInt32.max) else { throw .malformedNumber }
        var offsets: [UInt32] = []
        var position = 0
        var ordered = true
        var previous: Date?
        while position < bytes.count {
            let (event, end) = try CompactEventCodec.decode(bytes, at: position, coursePatientId: patientId)
            if let previous, previous > event.occurredAt { ordered = false }
            previous = event.occurredAt
            offsets.append(UInt32(position))
            position = end
        }
        if ordered {
            self.bytes = bytes
            self.offsets = offsets
        } else {
            for (index, start) in offsets.enumerated() {
                let end = index + 1 < offsets.count ? Int(offsets[index + 1]) : bytes.count
                insert(record: Array(bytes[Int(start)..<end]))
            }
        }
    }

    /// The number of events.
    package var count: Int { offsets.count }

    package var isEmpty: Bool { offsets.isEmpty }

    /// When the event at `index` occurred, read from its record's header.
    package func occurredAt(at index: Int) -> Date {
        CompactEventCodec.occurredAt(in: bytes, at: Int(offsets[index]))
    }

    /// The kind of the event at `index`, read from its record's header.
    package func kind(at index: Int) -> CompactEventKind {
        guard let kind = CompactEventCodec.kind(in: bytes, at: Int(offsets[index])) else {
            preconditionFailure("a course record no longer has a known kind")
        }
        return kind
    }

    /// The event at `index`, decoded.
    package func event(at index: Int) -> ClinicalEvent {
        do {
            return try CompactEventCodec.decode(bytes, at: Int(offsets[index]), coursePatientId: patientId).event
        } catch {
            preconditionFailure("a course record no longer decodes: \(error)")
        }
    }

    /// Every event, decoded, in event time.
    package var events: [ClinicalEvent] { (0..<count).map(event(at:)) }

    /// The index the next event at `time` goes to: after every event at or before it.
    package func insertionIndex(for time: Date) -> Int {
        guard let last = offsets.indices.last, occurredAt(at: last) > time else { return count }
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if occurredAt(at: middle) > time { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Inserts an event in event time; an event at the same instant as others goes after them.
    /// - Returns: the index of the inserted event.
    @discardableResult
    package mutating func insert(_ event: ClinicalEvent) -> Int {
        insert(record: CompactEventCodec.encode(event, coursePatientId: patientId))
    }

    @discardableResult
    private mutating func insert(record: [UInt8]) -> Int {
        let time = CompactEventCodec.occurredAt(in: record, at: 0)
        let index = insertionIndex(for: time)
        if index == count {
            offsets.append(UInt32(bytes.count))
            bytes.append(contentsOf: record)
        } else {
            let start = Int(offsets[index])
            bytes.insert(contentsOf: record, at: start)
            offsets.insert(UInt32(start), at: index)
            let shift = UInt32(record.count)
            for later in (index + 1)..<offsets.count { offsets[later] += shift }
        }
        return index
    }

    /// Keeps the events for which `keep` is true, given each one's time and kind, in their order.
    package mutating func retain(where keep: (_ occurredAt: Date, _ kind: CompactEventKind) -> Bool) {
        var kept: [UInt8] = []
        var keptOffsets: [UInt32] = []
        kept.reserveCapacity(bytes.count)
        for index in 0..<count where keep(occurredAt(at: index), kind(at: index)) {
            keptOffsets.append(UInt32(kept.count))
            kept.append(contentsOf: bytes[recordRange(at: index)])
        }
        bytes = kept
        offsets = keptOffsets
    }

    /// Whether an event of the course has this id (compared with the records' bytes, not decoded).
    package func contains(eventId: String) -> Bool {
        offsets.indices.contains { self.eventId(at: $0, equals: eventId) }
    }

    /// Whether the event at `index` has this id.
    package func eventId(at index: Int, equals eventId: String) -> Bool {
        guard let range = CompactEventCodec.eventIdRange(in: bytes, at: Int(offsets[index])) else { return false }
        return bytes[range].elementsEqual(eventId.utf8)
    }

    /// The id of the event at `index`, decoded from its record alone.
    package func eventId(at index: Int) -> String {
        guard let range = CompactEventCodec.eventIdRange(in: bytes, at: Int(offsets[index])) else { return "" }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    private func recordRange(at index: Int) -> Range<Int> {
        Int(offsets[index])..<(index + 1 < offsets.count ? Int(offsets[index + 1]) : bytes.count)
    }
}
