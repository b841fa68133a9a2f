package import Foundation
package import ToxicityRules

// The wire form of the grades (DESIGN.md §3, §4, `Schemas/toxicity-grades.schema.json`): CRS and
// ICANS assessments, the IEC-HS assessment and the `grades` object of `toxctl evaluate`.

/// A ``LastGraded`` on the wire.
package struct LastGradedWire: Codable, Hashable, Sendable {
    package var grade: Int
    package var at: Date

    package init(_ lastGraded: LastGraded) {
        grade = lastGraded.grade
        at = lastGraded.at
    }

    /// The rules value.
    package var lastGraded: LastGraded { LastGraded(grade: grade, at: at) }
}

/// An ``EpisodeSummary`` on the wire.
package struct EpisodeSummaryWire: Codable, Hashable, Sendable {
    package var startedAt: Date
    package var startEventId: String
    package var closedAt: Date?
    package var feverWaivedAt: Date?
    package var maxGrade: Int
    package var isOpen: Bool

    package init(_ episode: EpisodeSummary) {
        startedAt = episode.startedAt
        startEventId = episode.startEventId
        closedAt = episode.closedAt
        feverWaivedAt = episode.feverWaivedAt
        maxGrade = episode.maxGrade
        isOpen = episode.isOpen
    }

    /// The rules value.
    package var episode: EpisodeSummary {
        EpisodeSummary(
            startedAt: startedAt, startEventId: startEventId, closedAt: closedAt, feverWaivedAt: feverWaivedAt,
            maxGrade: maxGrade, isOpen: isOpen)
    }
}

/// A CRS or ICANS ``GradeAssessment`` on the wire. `grade` is always written (`null` when the
/// syndrome cannot be graded, §A13.12), flags as their kebab-case names, and
/// `requiresClinicianVerification: true`.
package struct GradeAssessmentWire: Codable, Hashable, Sendable {
    package var assessment: GradeAssessment

    package init(_ assessment: GradeAssessment) { self.assessment = assessment }

    private enum CodingKeys: String, CodingKey {
        case grade, maxGrade, lastGraded, reasons, flags, episode, requiresClinicianVerification
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assessment = GradeAssessment(
            grade: try container.decodeIfPresent(Int.self, forKey: .grade),
            maxGrade: try container.decode(Int.self, forKey: .maxGrade),
            reasons: try container.decode([ReasonWire].self, forKey: .reasons).map(\.reason),
            flags: GradeFlags(names: try container.decode([String].self, forKey: .flags)),
            episode: try container.decodeIfPresent(EpisodeSummaryWire.self, forKey: .episode)?.episode,
            lastGraded: try container.decodeIfPresent(LastGradedWire.self, forKey: .lastGraded)?.lastGraded)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let grade = assessment.grade {
            try container.encode(grade, forKey: .grade)
        } else {
            try container.encodeNil(forKey: .grade)
        }
        try container.encode(assessment.maxGrade, forKey: .maxGrade)
        try container.encodeIfPresent(assessment.lastGraded.map(LastGradedWire.init), forKey: .lastGraded)
        try container.encode(assessment.reasons.map(ReasonWire.init), forKey: .reasons)
        try container.encode(assessment.flags.names, forKey: .flags)
        try container.encodeIfPresent(assessment.episode.map(EpisodeSummaryWire.init), forKey: .episode)
        try container.encode(true, forKey: .requiresClinicianVerification)
    }
}

/// An ``IECHSAssessment`` on the wire (with `requiresClinicianVerification: true`).
package struct IECHSAssessmentWire: Codable, Hashable, Sendable {
    package var assessment: IECHSAssessment

    package init(_ assessment: IECHSAssessment) { self.assessment = assessment }

    private enum CodingKeys: String, CodingKey {
        case present, provisional, criteria, grade, maxGrade, reasons, flags, episode, requiresClinicianVerification
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assessment = IECHSAssessment(
            present: try container.decode(Bool.self, forKey: .present),
            provisional: try container.decode(Bool.self, forKey: .provisional),
            criteria: try container.decodeRaw(IECHSCriteriaSet.self, forKey: .criteria),
            grade: try container.decode(Int.self, forKey: .grade),
            maxGrade: try container.decode(Int.self, forKey: .maxGrade),
            reasons: try container.decode([ReasonWire].self, forKey: .reasons).map(\.reason),
            flags: GradeFlags(names: try container.decodeIfPresent([String].self, forKey: .flags) ?? []),
            episode: try container.decodeIfPresent(EpisodeSummaryWire.self, forKey: .episode)?.episode)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(assessment.present, forKey: .present)
        try container.encode(assessment.provisional, forKey: .provisional)
        try container.encode(assessment.criteria.rawValue, forKey: .criteria)
        try container.encode(assessment.grade, forKey: .grade)
        try container.encode(assessment.maxGrade, forKey: .maxGrade)
        try container.encode(assessment.reasons.map(ReasonWire.init), forKey: .reasons)
        try container.encode(assessment.flags.names, forKey: .flags)
        try container.encodeIfPresent(assessment.episode.map(EpisodeSummaryWire.init), forKey: .episode)
        try container.encode(true, forKey: .requiresClinicianVerification)
    }
}

/// The `grades` object of `toxctl evaluate` (a ``GradeSet``): the three assessments and the input
/// event ids they used.
package struct GradeSetWire: Codable, Hashable, Sendable {
    package var crs: GradeAssessmentWire
    package var icans: GradeAssessmentWire
    package var iecHs: IECHSAssessmentWire
    package var eventIds: [String]

    package init(_ grades: GradeSet) {
        crs = GradeAssessmentWire(grades.crs)
        icans = GradeAssessmentWire(grades.icans)
        iecHs = IECHSAssessmentWire(grades.iecHs)
        eventIds = grades.eventIds
    }

    /// The rules value.
    package var grades: GradeSet {
        GradeSet(crs: crs.assessment, icans: icans.assessment, iecHs: iecHs.assessment, eventIds: eventIds)
    }
}

// The byte writers of the grades: the same members as the `Codable` forms above, in `.sortedKeys`
// order, dates as `.iso8601` (``OutputCoding``).

extension LastGradedWire {
    /// Writes `lastGraded` as its wire form encodes it.
    package static func encode(_ lastGraded: LastGraded, into writer: inout JSONByteWriter) {
        writer.beginObject()
        writer.member("at", iso8601: lastGraded.at)
        writer.member("grade", lastGraded.grade)
        writer.endObject()
    }
}

extension EpisodeSummaryWire {
    /// Writes `episode` as its wire form encodes it.
    package static func encode(_ episode: EpisodeSummary, into writer: inout JSONByteWriter) {
        writer.beginObject()
        if let closedAt = episode.closedAt { writer.member("closedAt", iso8601: closedAt) }
        if let feverWaivedAt = episode.feverWaivedAt { writer.member("feverWaivedAt", iso8601: feverWaivedAt) }
        writer.member("isOpen", episode.isOpen)
        writer.member("maxGrade", episode.maxGrade)
        writer.member("startEventId", episode.startEventId)
        writer.member("startedAt", iso8601: episode.startedAt)
        writer.endObject()
    }
}

extension GradeAssessmentWire {
    /// Writes `assessment` as its wire form encodes it.
    package static func encode(_ assessment: GradeAssessment, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        if let episode = assessment.episode {
            writer.key("episode")
            EpisodeSummaryWire.encode(episode, into: &writer)
        }
        writer.member("flags", assessment.flags.names)
        writer.memberOrNull("grade", assessment.grade)
        if let lastGraded = assessment.lastGraded {
            writer.key("lastGraded")
            LastGradedWire.encode(lastGraded, into: &writer)
        }
        writer.member("maxGrade", assessment.maxGrade)
        try writer.member("reasons", reasons: assessment.reasons)
        writer.member("requiresClinicianVerification", true)
        writer.endObject()
    }
}

extension IECHSAssessmentWire {
    /// Writes `assessment` as its wire form encodes it.
    package static func encode(_ assessment: IECHSAssessment, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.member("criteria", assessment.criteria.rawValue)
        if let episode = assessment.episode {
            writer.key("episode")
            EpisodeSummaryWire.encode(episode, into: &writer)
        }
        writer.member("flags", assessment.flags.names)
        writer.member("grade", assessment.grade)
        writer.member("maxGrade", assessment.maxGrade)
        writer.member("present", assessment.present)
        writer.member("provisional", assessment.provisional)
        try writer.member("reasons", reasons: assessment.reasons)
        writer.member("requiresClinicianVerification", true)
        writer.endObject()
    }
}
