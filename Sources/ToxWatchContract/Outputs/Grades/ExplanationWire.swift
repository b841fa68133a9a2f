package import Foundation
package import ToxicityRules

// The wire form of the explanation vocabulary (clinical-spec A11): reasons with their observed
// values and thresholds, and alerts with their derived message. Codes, rule ids, sources and field
// names travel as plain strings.

/// An ``ObservedValue`` on the wire.
package struct ObservedValueWire: Codable, Hashable, Sendable {
    package var field: String
    package var value: Double?
    package var category: String?
    package var unit: String?
    package var eventId: String
    package var observedAt: Date

    package init(_ observed: ObservedValue) {
        field = observed.field.rawValue
        value = observed.value
        category = observed.category
        unit = observed.unit
        eventId = observed.eventId
        observedAt = observed.observedAt
    }

    /// The rules value.
    package var observedValue: ObservedValue {
        ObservedValue(
            field: FieldName(rawValue: field), value: value, category: category, unit: unit, eventId: eventId,
            observedAt: observedAt)
    }
}

/// A ``Threshold`` on the wire.
package struct ThresholdWire: Codable, Hashable, Sendable {
    package var field: String
    package var comparator: ComparatorWire
    package var value: Double
    package var unit: String?
    package var source: String?

    package init(_ threshold: Threshold) {
        field = threshold.field.rawValue
        comparator = ComparatorWire(threshold.comparator)
        value = threshold.value
        unit = threshold.unit
        source = threshold.source?.rawValue
    }

    /// The rules value.
    package var threshold: Threshold {
        Threshold(
            field: FieldName(rawValue: field), comparator: comparator.comparator, value: value, unit: unit,
            source: source.map(EvidenceSource.init(rawValue:)))
    }
}

/// A ``Comparator`` on the wire (`<`, `<=`, `>`, `>=`, `==`).
package enum ComparatorWire: String, Codable, Hashable, Sendable {
    case lessThan = "<"
    case lessThanOrEqual = "<="
    case greaterThan = ">"
    case greaterThanOrEqual = ">="
    case equal = "=="

    package init(_ comparator: ToxicityRules.Comparator) {
        switch comparator {
        case .lessThan: self = .lessThan
        case .lessThanOrEqual: self = .lessThanOrEqual
        case .greaterThan: self = .greaterThan
        case .greaterThanOrEqual: self = .greaterThanOrEqual
        case .equal: self = .equal
        }
    }

    /// The rules value.
    package var comparator: ToxicityRules.Comparator {
        switch self {
        case .lessThan: .lessThan
        case .lessThanOrEqual: .lessThanOrEqual
        case .greaterThan: .greaterThan
        case .greaterThanOrEqual: .greaterThanOrEqual
        case .equal: .equal
        }
    }
}
/// A ``Reason`` on the wire.
package struct ReasonWire: Codable, Hashable, Sendable {
    package var code: String
    package var rule: String
    package var source: String
    package var grade: Int?
    package var decisive: Bool
    package var observed: [ObservedValueWire]
    package var thresholds: [ThresholdWire]

    package init(_ reason: Reason) {
        code = reason.code.rawValue
        rule = reason.rule.rawValue
        source = reason.source.rawValue
        grade = reason.grade
        decisive = reason.decisive
        observed = reason.observed.map(ObservedValueWire.init)
        thresholds = reason.thresholds.map(ThresholdWire.init)
    }

    /// The rules value.
    package var reason: Reason {
        Reason(
            code: ReasonCode(rawValue: code), rule: RuleID(rawValue: rule), source: EvidenceSource(rawValue: source),
            grade: grade, decisive: decisive, observed: CompactList(observed.map(\.observedValue)),
            thresholds: CompactList(thresholds.map(\.threshold)))
    }
}

/// An ``Alert`` on the wire: its code, the message derived from it, the fields and the events.
/// Reading ignores the message (it is derived) and takes absent lists as empty.
package struct AlertWire: Codable, Hashable, Sendable {
    package var alert: Alert

    package init(_ alert: Alert) { self.alert = alert }

    private enum CodingKeys: String, CodingKey { case code, message, fields, eventIds }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alert = Alert(
            code: AlertCode(rawValue: try container.decode(String.self, forKey: .code)),
            fields: CompactList(
                (try container.decodeIfPresent([String].self, forKey: .fields) ?? []).map(FieldName.init(rawValue:))),
            eventIds: CompactList(try container.decodeIfPresent([String].self, forKey: .eventIds) ?? []))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alert.code.rawValue, forKey: .code)
        try container.encode(alert.message, forKey: .message)
        try container.encode(alert.fields.map(\.rawValue), forKey: .fields)
        try container.encode(Array(alert.eventIds), forKey: .eventIds)
    }
}

extension [Alert] {
    /// The alerts on the wire.
    package var wire: [AlertWire] { map(AlertWire.init) }
}

extension [AlertWire] {
    /// The rules values.
    package var alerts: [Alert] { map(\.alert) }
}

// The byte writers of the explanation vocabulary: the same members as the `Codable` forms above,
// in `.sortedKeys` order, dates as `.iso8601` (the output records' encoding, ``OutputCoding``).

extension ObservedValueWire {
    /// Writes `observed` as its wire form encodes it.
    package static func encode(_ observed: ObservedValue, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.memberIfPresent("category", observed.category)
        writer.member("eventId", observed.eventId)
        writer.member("field", observed.field.rawValue)
        writer.member("observedAt", iso8601: observed.observedAt)
        writer.memberIfPresent("unit", observed.unit)
        try writer.memberIfPresent("value", observed.value)
        writer.endObject()
    }
}

extension ThresholdWire {
    /// Writes `threshold` as its wire form encodes it.
    package static func encode(_ threshold: Threshold, into writer: inout JSONByteWriter)
        throws(JSONByteWriter.Unwritable)
    {
        writer.beginObject()
        writer.member("comparator", threshold.comparator.rawValue)
        writer.member("field", threshold.field.rawValue)
        writer.memberIfPresent("source", threshold.source?.rawValue)
        writer.memberIfPresent("unit", threshold.unit)
        try writer.member("value", threshold.value)
        writer.endObject()
    }
}

extension ReasonWire {
    /// Writes `reason` as its wire form encodes it.
    package static func encode(_ reason: Reason, into writer: inout JSONByteWriter) throws(JSONByteWriter.Unwritable) {
        writer.beginObject()
        writer.member("code", reason.code.rawValue)
        writer.member("decisive", reason.decisive)
        writer.memberIfPresent("grade", reason.grade)
        try writer.member("observed", reason.observed, ObservedValueWire.encode(_:into:))
        writer.member("rule", reason.rule.rawValue)
        writer.member("source", reason.source.rawValue)
        try writer.member("thresholds", reason.thresholds, ThresholdWire.encode(_:into:))
        writer.endObject()
    }
}

extension AlertWire {
    /// Writes `alert` as its wire form encodes it (with its derived message).
    package static func encode(_ alert: Alert, into writer: inout JSONByteWriter) {
        writer.beginObject()
        writer.member("code", alert.code.rawValue)
        writer.member("eventIds", alert.eventIds)
        writer.key("fields")
        writer.beginArray()
        for field in alert.fields { writer.string(field.rawValue) }
        writer.endArray()
        writer.member("message", alert.message)
        writer.endObject()
    }
}

extension JSONByteWriter {
    /// A member holding reasons.
    package mutating func member(_ key: StaticString, reasons: [Reason]) throws(Unwritable) {
        try member(key, reasons, ReasonWire.encode(_:into:))
    }

    /// A member holding alerts.
    package mutating func member(_ key: StaticString, alerts: [Alert]) {
        self.key(key)
        beginArray()
        for alert in alerts { AlertWire.encode(alert, into: &self) }
        endArray()
    }
}
