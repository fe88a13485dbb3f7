import IDCARules
import Testing

@Suite("Calendar days")
struct CivilDateTests {
    @Test func todayInShanghaiTurnsOverAt1600UTC() {
        // 2026-11-29T15:59:59Z is 23:59:59 in Shanghai; one second later it is the 30th there.
        let lastSecond: Int64 = 1_795_967_999
        #expect(CivilDate(shanghaiDayOf: lastSecond) == CivilDate(year: 2026, month: 11, day: 29))
        #expect(CivilDate(shanghaiDayOf: lastSecond + 1) == CivilDate(year: 2026, month: 11, day: 30))
        #expect(CivilDate(shanghaiDayOf: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate(shanghaiDayOf: -8 * 3600 - 1) == CivilDate(year: 1969, month: 12, day: 31))
    }

    @Test func dayNumbersRoundTrip() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 97) {
            #expect(CivilDate(daysSinceUnixEpoch: days).daysSinceUnixEpoch == days)
        }
        #expect(CivilDate(year: 2000, month: 3, day: 1)!.previous == CivilDate(year: 2000, month: 2, day: 29))
        #expect(CivilDate(year: 1900, month: 3, day: 1)!.previous == CivilDate(year: 1900, month: 2, day: 28))
    }

    @Test(arguments: [
        ("2026-11-29", true), ("2024-02-29", true), ("2023-02-29", false), ("2026-13-01", false),
        ("2026-00-10", false), ("2026-01-00", false), ("2026-01-32", false), ("2026-1-01", false),
        ("２026-01-01", false), ("2026/01/01", false), ("", false),
    ])
    func parsesISODates(text: String, isValid: Bool) {
        let date = CivilDate(iso8601: text)
        #expect((date != nil) == isValid)
        if let date { #expect(date.description == text) }
    }
}
