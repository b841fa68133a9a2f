import Foundation

/// HL7 v2 DTM/TS values: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
package enum HL7Timestamp {
    /// A parsed DTM: the local civil time, its offset when given, and how precise it is.
    package struct Value: Sendable, Hashable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int
        /// Seconds east of UTC, when the value carries an offset.
        package var offsetSeconds: Int?
        /// Whether at least hours and minutes are present.
        package var hasTimeOfDay: Bool

        /// The instant, using `fallbackOffset` when the value has no offset of its own.
        func date(fallbackOffset: Int?) -> Date? {
            guard let offset = offsetSeconds ?? fallbackOffset,
                let local = CivilTime.epochSeconds(
                    year: year,
                    month: month,
                    day: day,
                    hour: hour,
                    minute: minute,
                    second: second
                )
            else { return nil }
            return CivilTime.date(epochSeconds: local - Int64(offset), nanoseconds: nanos)
        }

        /// The calendar day at midnight UTC (birth dates are days, not instants).
        var day0: Date? {
            CivilTime.epochSeconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0).map {
                CivilTime.date(epochSeconds: $0, nanoseconds: 0)
            }
        }
    }

    package static func parse(_ text: String) -> Value? {
        var bytes = Array(text.utf8)[...]
        guard let year = takeDigits(&bytes, 4) else { return nil }
        var value = Value(
            year: year,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offsetSeconds: nil,
            hasTimeOfDay: false
        )
        if let month = takeDigits(&bytes, 2) {
            value.month = month
            if let day = takeDigits(&bytes, 2) {
                value.day = day
                if let hour = takeDigits(&bytes, 2) {
                    value.hour = hour
                    if let minute = takeDigits(&bytes, 2) {
                        value.minute = minute
                        value.hasTimeOfDay = true
                        if let second = takeDigits(&bytes, 2) {
                            value.second = second
                            if take(&bytes, UInt8(ascii: ".")) {
                                var digits = 0
                                while let b = bytes.first, isDigit(b) {
                                    if digits < 9 { value.nanos = value.nanos * 10 + Int(b - 48) }
                                    digits += 1
                                    bytes.removeFirst()
                                }
                                guard (1...4).contains(digits) else { return nil }
                                for _ in digits..<9 { value.nanos *= 10 }
                            }
                        }
                    }
                }
            }
        }
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            bytes.removeFirst()
            guard let hh = takeDigits(&bytes, 2), let mm = takeDigits(&bytes, 2), hh <= 23, mm <= 59 else { return nil }
            value.offsetSeconds = (sign == UInt8(ascii: "+") ? 1 : -1) * (hh * 3600 + mm * 60)
        }
        guard bytes.isEmpty,
            CivilTime.epochSeconds(
                year: value.year,
                month: value.month,
                day: value.day,
                hour: value.hour,
                minute: value.minute,
                second: value.second
            ) != nil
        else { return nil }
        return value
    }
}
