import Foundation
import ToxWatchContract

// The changelog record's byte writer: the bytes ``PatientStateRecord/encoder`` gives (sorted keys,
// slashes escaped, dates as seconds since 2001-01-01), written without Foundation's `JSONEncoder`.

extension PatientStateRecord {
    /// The record's JSON, format 2: the same bytes as encoding `PatientStateRecord(state)` with
    /// ``encoder``, the course's compact records written as base64url straight from the state. Empty
    /// if a value cannot be written (a non-finite number).
    package static func encode(_ state: PatientState) -> [UInt8] {
        let course = Base64.encode(state.course.bytes)
        var writer = JSONByteWriter(escapingSlashes: true, capacity: course.count + 512)
        do {
            writer.beginObject()
            writer.key("appliedOffsets")
            try writer.writeSorted(state.appliedOffsets) { writer, offset in writer.int64(offset) }
            writer.key("course")
            writer.unescapedString(course)
            try writeFields(of: state, into: &writer)
            writer.endObject()
        } catch {
            return []
        }
        return writer.bytes
    }

    /// Every member after `course`, in key order.
    private static func writeFields(of state: PatientState, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.member("formatVersion", formatVersion)
        if !state.issuedOutputs.isEmpty {
            writer.key("issuedOutputs")
            try writer.writeSorted(state.issuedOutputs) { writer, issued in
                writer.beginObject()
                writer.member("instantMilliseconds", issued.instantMilliseconds)
                writer.member("revision", issued.revision)
                writer.endObject()
            }
        }
        if let lastEvaluatedAt = state.lastEvaluatedAt {
            writer.key("lastEvaluatedAt")
            try writer.referenceSeconds(lastEvaluatedAt)
        }
        if let nextDecisionAt = state.nextDecisionAt {
            writer.key("nextDecisionAt")
            try writer.referenceSeconds(nextDecisionAt)
        }
        writer.member("patientId", state.patientId)
        writer.key("published")
        try state.published.encode(into: &writer)
        try writer.member("recommendations", state.recommendations, PriorRecommendationWire.encode(_:into:))
    }
}

extension PublishedSummary {
    /// Writes the summary as its `Codable` form encodes it in the changelog record.
    func encode(into writer: inout JSONByteWriter) throws(JSONByteWriter.Unwritable) {
        writer.beginObject()
        if let alternativeDrugs { writer.member("alternativeDrugs", alternativeDrugs) }
        writer.memberIfPresent("alternatives", alternatives)
        writer.memberIfPresent("grades", grades?.description)
        writer.memberIfPresent("recommendation", recommendation?.description)
        if let shortageAdvice {
            writer.key("shortageAdvice")
            try writer.writeSorted(shortageAdvice) { writer, advice throws(JSONByteWriter.Unwritable) in
                writer.beginObject()
                writer.key("neededAt")
                try writer.referenceSeconds(advice.neededAt)
                writer.member("summary", advice.storedSummary)
                writer.endObject()
            }
        }
        writer.endObject()
    }
}
