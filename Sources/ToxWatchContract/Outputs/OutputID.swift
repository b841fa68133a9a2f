package import Foundation

/// The id of an output record, made from what the record is about and never from how it was
/// computed (issue 12, issue 18 item 7): `type/patient/instant-ms`, then `/drug` for shortage
/// advice, then `/rN` when one instant needs an N-th further record of the same type (and drug).
///
/// `toxd` and `toxctl` both name outputs with it, so the same course gives the same ids whatever
/// batches, crashes or tool produced them. Kafka coordinates stay in the `toxwatch-source-*`
/// headers.
///
/// ```swift
/// OutputID(type: .toxicityGrades, patientId: "MRN1", instant: t).description
/// // "toxicity-grades/MRN1/1772611200000"
/// OutputID(type: .shortageAlternative, patientId: "MRN1", instant: t, drug: "tocilizumab", revision: 1).description
/// // "shortage-alternative/MRN1/1772611200000/tocilizumab/r1"
/// ```
package struct OutputID: Sendable, Hashable, CustomStringConvertible {
    package var type: OutputType
    package var patientId: String
    /// The evaluated instant, in whole milliseconds since 1970 (the precision of `assessedAt`).
    package var instantMilliseconds: Int64
    /// The short drug, for shortage advice (one record per drug).
    package var drug: String?
    /// 0 for the first record of its type (and drug) at the instant, then 1, 2, …
    package var revision: Int

    package init(type: OutputType, patientId: String, instant: Date, drug: String? = nil, revision: Int = 0) {
        self.type = type
        self.patientId = patientId
        self.instantMilliseconds = Self.milliseconds(instant)
        self.drug = drug
        self.revision = revision
    }

    /// What one revision counter is kept for: the type, and the drug for shortage advice.
    package var stream: String { drug.map { "\(type.rawValue)/\($0)" } ?? type.rawValue }

    package var description: String {
        var id = "\(type.rawValue)/\(patientId)/\(instantMilliseconds)"
        if let drug { id += "/\(drug)" }
        if revision > 0 { id += "/r\(revision)" }
        return id
    }

    /// Whole milliseconds since 1970, rounded down (an instant computed in fractions of a
    /// millisecond names the millisecond it falls in).
    package static func milliseconds(_ instant: Date) -> Int64 {
        Int64((instant.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

extension OutputID {
    /// Reads back an id ``description`` wrote, or `nil` for any other string (a dead letter's id,
    /// say). Read from the right (revision, drug, instant), so a patient id may contain slashes.
    package init?(parsing text: String) {
        guard let type = OutputType.allCases.first(where: { text.hasPrefix($0.rawValue + "/") }) else { return nil }
        var parts = text.dropFirst(type.rawValue.count + 1).split(separator: "/", omittingEmptySubsequences: false)
            .map(String.init)
        let hasDrug = type == .shortageAlternative
        var revision = 0
        if let last = parts.last, last.first == "r", let number = Int(last.dropFirst()), number > 0,
            parts.count >= (hasDrug ? 4 : 3)
        {
            revision = number
            parts.removeLast()
        }
        let drug = hasDrug && parts.count >= 3 ? parts.removeLast() : nil
        guard parts.count >= 2, let milliseconds = Int64(parts.removeLast()) else { return nil }
        self.init(
            type: type, patientId: parts.joined(separator: "/"), instant: Date(timeIntervalSince1970: 0), drug: drug,
            revision: revision)
        instantMilliseconds = milliseconds
        // Any other reading of the text (an ambiguous one) is refused.
        guard description == text else { return nil }
    }
}
