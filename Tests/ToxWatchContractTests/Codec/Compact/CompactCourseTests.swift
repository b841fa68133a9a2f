import Foundation
import Testing
import ToxTestSupport
import ToxicityRules

@testable import ToxWatchContract

/// ``CompactCourse`` against a plain array of events kept the way the worker kept its course.
@Suite("Compact course")
struct CompactCourseTests {
    /// Events at a few instants, so that many share one (ties keep arrival order).
    static func events(_ rng: inout SplitMix64, count: Int) -> [ClinicalEvent] {
        (0..<count).map { _ in
            var event = rng.clinicalEvent(patientId: "P1")
            let at = Date(timeIntervalSinceReferenceDate: Double(rng.next() % 8) * 3600)
            switch event {
            case .patient(var e):
                e.occurredAt = at
                event = .patient(e)
            case .vitals(var e):
                e.occurredAt = at
                event = .vitals(e)
            case .neuro(var e):
                e.occurredAt = at
                event = .neuro(e)
            case .lab(var e):
                e.occurredAt = at
                event = .lab(e)
            case .finding(var e):
                e.occurredAt = at
                event = .finding(e)
            case .medication(var e):
                e.occurredAt = at
                event = .medication(e)
            }
            return event
        }
    }

    /// The reference: insertion after every event at or before the new one's instant.
    static func inserted(_ events: [ClinicalEvent]) -> [ClinicalEvent] {
        var course: [ClinicalEvent] = []
        for event in events {
            let index = course.firstIndex { $0.occurredAt > event.occurredAt } ?? course.count
            course.insert(event, at: index)
        }
        return course
    }

    @Test("insertion in event time (ties in arrival order), headers, ids and decoding match the reference")
    func insertion() {
        var rng = SplitMix64(state: 0xC0_25E)
        for seed in 0..<200 {
            let arrivals = Self.events(&rng, count: Int(rng.next() % 40))
            var course = CompactCourse(patientId: "P1")
            for event in arrivals { course.insert(event) }
            let expected = Self.inserted(arrivals)
            #expect(course.events == expected, "seed \(seed)")
            #expect(course.count == expected.count)
            for (index, event) in expected.enumerated() {
                #expect(course.occurredAt(at: index) == event.occurredAt)
                #expect(course.kind(at: index) == CompactEventCodec.kind(of: event))
                #expect(course.eventId(at: index) == event.eventId)
                #expect(course.contains(eventId: event.eventId))
            }
            #expect(!course.contains(eventId: "not-an-id-\u{1}"))
        }
    }

    @Test("retain keeps the chosen events in order, as filtering the events does")
    func retain() {
        var rng = SplitMix64(state: 0x9E7A)
        for _ in 0..<100 {
            var course = CompactCourse(patientId: "P1")
            for event in Self.events(&rng, count: Int(rng.next() % 30)) { course.insert(event) }
            let cutoff = Date(timeIntervalSinceReferenceDate: Double(rng.next() % 8) * 3600)
            let expected = course.events.filter {
                $0.occurredAt >= cutoff || CompactEventCodec.kind(of: $0) == .patient
            }
            course.retain { at, kind in at >= cutoff || kind == .patient }
            #expect(course.events == expected)
            var appended = course
            appended.insert(Self.events(&rng, count: 1)[0])
            #expect(appended.count == expected.count + 1)
        }
    }

    @Test("a course read from its bytes equals it; records out of order are put in event time")
    func fromBytes() throws {
        var rng = SplitMix64(state: 0xB7E5)
        for _ in 0..<100 {
            let arrivals = Self.events(&rng, count: Int(rng.next() % 30))
            var course = CompactCourse(patientId: "P1")
            for event in arrivals { course.insert(event) }
            #expect(try CompactCourse(patientId: "P1", bytes: course.bytes) == course)
            let unordered = arrivals.flatMap { CompactEventCodec.encode($0, coursePatientId: "P1") }
            #expect(try CompactCourse(patientId: "P1", bytes: unordered) == course)
        }
    }

    @Test("truncated or corrupted course bytes are rejected or read, never trap")
    func corruptBytes() {
        var rng = SplitMix64(state: 0xC0BB)
        var read = 0
        for _ in 0..<50 {
            var course = CompactCourse(patientId: "P1")
            for event in Self.events(&rng, count: 1 + Int(rng.next() % 10)) { course.insert(event) }
            let last = course.bytes.count - 1
            #expect(throws: CompactDecodingError.self) {
                try CompactCourse(patientId: "P1", bytes: Array(course.bytes.prefix(last)))
            }
            var corrupt = course.bytes
            corrupt[Int(rng.next() % UInt64(corrupt.count))] = UInt8(truncatingIfNeeded: rng.next())
            if let course = try? CompactCourse(patientId: "P1", bytes: corrupt) {
                #expect(course.events.count == course.count)
                read += 1
            }
        }
        #expect(read < 50)
    }
}
