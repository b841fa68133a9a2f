import Foundation

/// A patient's age at an instant, as the rules need it: completed years (PALS thresholds, ICE/CAPD
/// switch, E-5), completed days (neonatal band) and whether it is exact.
package struct PatientAge: Hashable, Sendable {
    /// Completed years (floor).
    package var completedYears: Int
    /// Completed days since birth.
    package var completedDays: Int
    /// Fractional years (days ÷ 365.2425), for display and non-boundary use.
    package var years: Double
    /// `true` when computed from a birth date; `false` when from an `ageYears` reported on a
    /// patient event (then taken as exact at that event).
    package var fromBirthDate: Bool
    /// `true` on the first day after a birthday (the patient turned `completedYears` less than one
    /// day ago), used for the age-12 boundary flag.
    package var onFirstDayOfYear: Bool
}

/// How the age of a patient is known: a birth date, or an age reported at an instant.
enum AgeSource: Hashable, Sendable {
    /// Days since 1970-01-01 of the birth date (UTC).
    case birthDate(day: Int)
    /// Instant of birth implied by `ageYears` reported at a patient event (seconds since the
    /// reference date).
    case reported(birthInstant: Double)

    static let secondsPerDay: Double = 86400
    static let daysPerYear: Double = 365.2425
    static let secondsPerYear: Double = daysPerYear * secondsPerDay
    /// `Date.timeIntervalSinceReferenceDate` of 1970-01-01T00:00:00Z.
    static let unixEpochReference: Double = -978_307_200

    init(birthDate: Date) {
        let unix = birthDate.timeIntervalSince1970
        self = .birthDate(day: Int((unix / Self.secondsPerDay).rounded(.down)))
    }

    init(ageYears: Double, reportedAt: Double) {
        self = .reported(birthInstant: reportedAt - ageYears * Self.secondsPerYear)
    }

    /// The age at `t` (seconds since the reference date), or `nil` before birth.
    func age(at t: Double) -> PatientAge? {
        switch self {
        case .birthDate(let birthDay):
            let unix = t - Self.unixEpochReference
            let seconds = unix - Double(birthDay) * Self.secondsPerDay
            guard seconds >= 0 else { return nil }
            let today = Int((unix / Self.secondsPerDay).rounded(.down))
            let birth = CivilDate(days: birthDay)
            let now = CivilDate(days: today)
            var years = now.year - birth.year
            if (now.month, now.day) < (birth.month, birth.day) { years -= 1 }
            let lastBirthday = CivilDate.days(year: birth.year + years, month: birth.month, day: birth.day)
            let days = today - birthDay
            return PatientAge(
                completedYears: years, completedDays: days, years: Double(days) / Self.daysPerYear,
                fromBirthDate: true, onFirstDayOfYear: today == lastBirthday
            )
        case .reported(let birthInstant):
            let seconds = t - birthInstant
            guard seconds >= 0 else { return nil }
            let years = Int((seconds / Self.secondsPerYear).rounded(.down))
            let intoYear = seconds - Double(years) * Self.secondsPerYear
            return PatientAge(
                completedYears: years, completedDays: Int((seconds / Self.secondsPerDay).rounded(.down)),
                years: seconds / Self.secondsPerYear, fromBirthDate: false,
                onFirstDayOfYear: intoYear < Self.secondsPerDay
            )
        }
    }

    /// Instants (seconds since the reference date) at which an age threshold the grading rules use
    /// changes: day 29 (neonate → infant), every birthday up to `maxYears`, and the day after the
    /// ICE birthday (the age-12 boundary flag ends).
    func thresholdInstants(maxYears: Int, boundaryYears: Int) -> [Double] {
        var instants: [Double] = []
        switch self {
        case .birthDate(let birthDay):
            let birth = CivilDate(days: birthDay)
            func instant(_ day: Int) -> Double { Double(day) * Self.secondsPerDay + Self.unixEpochReference }
            instants.append(instant(birthDay + 29))
            for k in 1...max(1, maxYears) {
                instants.append(instant(CivilDate.days(year: birth.year + k, month: birth.month, day: birth.day)))
            }
            instants.append(
                instant(CivilDate.days(year: birth.year + boundaryYears, month: birth.month, day: birth.day) + 1)
            )
        case .reported(let birthInstant):
            instants.append(birthInstant + 29 * Self.secondsPerDay)
            for k in 1...max(1, maxYears) { instants.append(birthInstant + Double(k) * Self.secondsPerYear) }
            instants.append(birthInstant + Double(boundaryYears) * Self.secondsPerYear + Self.secondsPerDay)
        }
        return instants
    }
}

/// Proleptic Gregorian civil dates from day counts since 1970-01-01 and back (H. Hinnant's
/// algorithms), so that ages need no `Calendar` on the evaluation path.
struct CivilDate: Hashable, Sendable {
    var year: Int
    var month: Int
    var day: Int

    init(days z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 of a civil date; 29 February of a common year maps to 1 March.
    static func days(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
