/// A day in the proleptic Gregorian calendar, with no time zone and no time of day.
///
/// Identity numbers carry birth dates as bare calendar days, and the rules compare them with
/// "today in Asia/Shanghai". Keeping this a plain value (no Foundation `Date`, no `Calendar`) makes
/// the comparison exact, allocation-free and independent of the machine's time zone settings.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The earliest birth date the resident ID rules accept.
    public static let earliestBirthDate = CivilDate(uncheckedYear: 1900, month: 1, day: 1)

    /// Creates a date, or returns `nil` if it is not a real calendar day (month 13, 30 February…).
    public init?(year: Int, month: Int, day: Int) {
        guard CivilDate.isValid(year: year, month: month, day: day) else { return nil }
        self.init(uncheckedYear: year, month: month, day: day)
    }

    init(uncheckedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` (exactly that shape, ASCII digits only).
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte &- UInt8(ascii: "0") < 10 else { return nil }
                value = value * 10 + Int(byte &- UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The calendar day in Asia/Shanghai at the given instant (seconds since 1970-01-01T00:00:00Z).
    ///
    /// China has used UTC+8 all year since 1991 (daylight saving ran 1986–1991), so for any instant
    /// this code will be asked about, "today in Shanghai" is the UTC day of `instant + 8 h`.
    public init(shanghaiDayOf unixSeconds: Int64) {
        let shifted = unixSeconds + 8 * 3600
        // Floor division, so instants before 1970 land on the right day too.
        let days = shifted >= 0 ? shifted / 86_400 : (shifted - 86_399) / 86_400
        self = CivilDate(daysSinceUnixEpoch: days)
    }

    /// The date `days` days after 1970-01-01 (negative for earlier dates).
    public init(daysSinceUnixEpoch days: Int64) {
        // Howard Hinnant's civil_from_days: exact for the whole proleptic Gregorian calendar.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(uncheckedYear: Int(year), month: Int(month), day: Int(day))
    }

    /// Days since 1970-01-01 (the inverse of `init(daysSinceUnixEpoch:)`).
    public var daysSinceUnixEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The next calendar day.
    public var next: CivilDate { CivilDate(daysSinceUnixEpoch: daysSinceUnixEpoch + 1) }
    /// The previous calendar day.
    public var previous: CivilDate { CivilDate(daysSinceUnixEpoch: daysSinceUnixEpoch - 1) }

    /// `YYYYMMDD` as one integer: ordered like the dates themselves, so comparisons are one `<`.
    @inlinable
    public var ordinal: Int { year * 10_000 + month * 100 + day }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.ordinal < rhs.ordinal }

    /// `YYYY-MM-DD`.
    public var description: String {
        var text = zeroPaddedDigits(year, width: 4)
        text += "-"
        text += zeroPaddedDigits(month, width: 2)
        text += "-"
        text += zeroPaddedDigits(day, width: 2)
        return text
    }

    /// Whether the year has 29 February (Gregorian rule: every 4th year, except centuries not divisible by 400).
    @inlinable
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Whether `year-month-day` names a real day.
    @inlinable
    public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard month >= 1, month <= 12, day >= 1 else { return false }
        return day <= daysIn(month: month, year: year)
    }

    /// The number of days in a month (1–12) of a year.
    @inlinable
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// `value` in decimal, left-padded with zeros to `width` digits (negative values are not expected).
public func zeroPaddedDigits(_ value: Int, width: Int) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
        var remaining = value
        var count = 0
        repeat {
            buffer[19 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            count += 1
        } while remaining > 0 || count < width
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[(20 - count)...]), as: UTF8.self)
    }
}
