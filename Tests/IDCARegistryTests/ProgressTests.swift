@testable import IDCARegistry
import Synchronization
import Testing

/// A clock the test moves by hand: each reading advances it by `step`.
final class ManualClock: Sendable {
    private let state: Mutex<(now: Duration, reads: Int)>
    let step: Duration

    init(step: Duration) {
        self.step = step
        state = Mutex((.zero, 0))
    }

    var reads: Int { state.withLock { $0.reads } }

    func read() -> Duration {
        state.withLock { state in
            state.reads += 1
            state.now += step
            return state.now
        }
    }

    func schedule(rowInterval: Int, timeInterval: Duration) -> ProgressSchedule {
        ProgressSchedule(rowInterval: rowInterval, timeInterval: timeInterval, now: { self.read() })
    }
}

@Suite("Progress")
struct ProgressTests {
    static func extract(rows: Int) -> [UInt8] {
        var text = "resident_id,name,status\n"
        // Invalid rows are fine here: progress counts every row read.
        for _ in 0..<rows { text += "x,y,z\n" }
        return Array(text.utf8)
    }

    @Test func reportsEveryRowIntervalWhenTheClockStandsStill() throws {
        let clock = ManualClock(step: .zero)
        var reports: [ImportProgress] = []
        let input = Self.extract(rows: 2_500)
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: input), progress: clock.schedule(rowInterval: 1_000, timeInterval: .seconds(1))) {
            reports.append($0)
        }
        #expect(Array(rows).isEmpty)
        #expect(reports.map(\.rows) == [1_000, 2_000, 2_500])
        #expect(reports.map(\.isFinished) == [false, false, true])
        #expect(reports.last?.bytesRead == input.count)
        #expect(reports.last?.totalBytes == input.count)
        #expect(reports.last?.fraction == 1)
        #expect(reports[0].bytesRead == 24 + 1_000 * 6)
    }

    @Test func reportsEveryTimeIntervalWhenRowsAreSlow() throws {
        // Each clock reading is 0.1 s later, and the clock is read every 1,024 rows: every other
        // check finds 0.2 s gone.
        let clock = ManualClock(step: .milliseconds(100))
        var reports: [Int] = []
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: Self.extract(rows: 10_000)),
                                                    progress: clock.schedule(rowInterval: 1_000_000, timeInterval: .milliseconds(200))) {
            reports.append($0.rows)
        }
        _ = Array(rows)
        #expect(reports == [2_048, 4_096, 6_144, 8_192, 10_000])
        // One reading at the start and one per 1,024 rows: never per row.
        #expect(clock.reads == 1 + 9)
    }

    @Test func withoutACallbackTheClockIsNeverRead() throws {
        let clock = ManualClock(step: .milliseconds(100))
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: Self.extract(rows: 3_000)),
                                                    progress: clock.schedule(rowInterval: 10, timeInterval: .zero))
        _ = Array(rows)
        #expect(clock.reads == 0)
        #expect(rows.rowsRead == 3_000)
    }

    @Test(arguments: [
        (50, 100, 12_345.0, Duration.seconds(7), 60, "[##############---------------]  50%  12.3k rows/s  ETA 0:07"),
        (0, 100, 0, nil, 40, "[------------]   0%  0 rows/s  ETA --:--"),
        (100, 100, 1_234_567, .zero, 45, "[##############] 100%  1.23M rows/s  ETA 0:00"),
        (1, 3, 950, .seconds(3_723), 50, "[######------------]  33%  950 rows/s  ETA 1:02:03"),
        (999, 1_000, 250_000, .milliseconds(1_500), 45, "[##############-]  99%  250k rows/s  ETA 0:02"),
    ] as [(Int, Int, Double, Duration?, Int, String)])
    func rendersABarThatFitsTheWidth(done: Int, total: Int, rate: Double, eta: Duration?, width: Int, expected: String) {
        let line = ProgressBar.render(done: done, total: total, rate: rate, eta: eta, width: width)
        #expect(line == expected)
        #expect(line.count == width)
    }

    @Test(arguments: [
        // Too narrow for a bar: the figures alone, cut to fit.
        (50, 100, 12_345.0, Duration.seconds(7), 30, " 50%  12.3k rows/s  ETA 0:07"),
        (50, 100, 12_345.0, Duration.seconds(7), 12, " 50%  12.3k "),
        (50, 100, 12_345.0, Duration.seconds(7), 0, ""),
        // Unknown total (a pipe): no bar, no percentage.
        (50, 0, 12_345.0, nil, 80, "12.3k rows/s  ETA --:--"),
    ] as [(Int, Int, Double, Duration?, Int, String)])
    func dropsTheBarWhenThereIsNoRoomOrNoTotal(done: Int, total: Int, rate: Double, eta: Duration?, width: Int, expected: String) {
        let line = ProgressBar.render(done: done, total: total, rate: rate, eta: eta, width: width)
        #expect(line == expected)
        #expect(line.count <= width)
    }

    @Test func rendersAReportFromElapsedTime() {
        let progress = ImportProgress(rows: 500_000, bytesRead: 25, totalBytes: 100, isFinished: false)
        // A quarter read in 1 s: 500k rows/s, 3 s to go.
        #expect(ProgressBar.render(progress, elapsed: .seconds(1), width: 40) == "[##--------]  25%  500k rows/s  ETA 0:03")
        let finished = ImportProgress(rows: 10, bytesRead: 0, totalBytes: 0, isFinished: true)
        #expect(ProgressBar.render(finished, elapsed: .zero, width: 30) == "0 rows/s  ETA 0:00")
    }
}
