import Foundation
import ToxTestSupport

@testable import ToxicityRules

/// What the grading tests run on a course.
extension CourseBuilder {
    func timeline(policy: GradingPolicy = .default) -> PatientTimeline {
        PatientTimeline(events: events, policy: policy)
    }

    func grade(at hours: Double, policy: GradingPolicy = .default) -> GradingResult {
        ToxicityEngine(policy: policy).grade(timeline(policy: policy), at: Self.at(hours))
    }
}

/// A birth date at midnight UTC, `days` days before `instant`'s UTC day.
func birthDate(daysBefore days: Int, _ instant: Date) -> Date {
    let day = (instant.timeIntervalSince1970 / 86400).rounded(.down)
    return Date(timeIntervalSince1970: (day - Double(days)) * 86400)
}

/// A birth date at midnight UTC, exactly `years` calendar years (plus `days`) before `instant`'s UTC day.
func birthDate(yearsBefore years: Int, plusDays days: Int = 0, _ instant: Date) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let midnight = calendar.startOfDay(for: instant)
    guard let birthday = calendar.date(byAdding: .year, value: -years, to: midnight),
        let date = calendar.date(byAdding: .day, value: -days, to: birthday)
    else { preconditionFailure("bad birth date") }
    return date
}

extension GradeAssessment {
    var codes: [ReasonCode] { reasons.map(\.code) }
    var decisiveCodes: [ReasonCode] { reasons.filter(\.decisive).map(\.code) }
}

extension IECHSAssessment {
    var codes: [ReasonCode] { reasons.map(\.code) }
}

extension GradingResult {
    var alertCodes: [AlertCode] { alerts.map(\.code) }
}
