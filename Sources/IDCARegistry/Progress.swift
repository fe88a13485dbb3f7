/// How far an import has got, as handed to a progress callback.
public struct ImportProgress: Sendable, Hashable {
    /// Data rows read so far (the header and blank lines not counted), imported or rejected.
    public var rows: Int
    /// Input bytes parsed so far.
    public var bytesRead: Int
    /// The input's size, when it is a regular file.
    public var totalBytes: Int?
    /// Whether the input has been read to the end (the last callback of an import).
    public var isFinished: Bool

    public init(rows: Int, bytesRead: Int, totalBytes: Int?, isFinished: Bool) {
        self.rows = rows
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.isFinished = isFinished
    }

    /// The share of the input read, 0…1, when the size is known.
    public var fraction: Double? {
        guard let totalBytes, totalBytes > 0 else { return isFinished ? 1 : nil }
        return min(1, Double(bytesRead) / Double(totalBytes))
    }
}

/// When the progress callback runs: once `rowInterval` rows or `timeInterval` have passed since the
/// last call, whichever comes first, and once more at the end of the input.
///
/// The clock is injected (STYLE: inject time), so tests drive it by hand. It is read at most once
/// every 1,024 rows, which keeps the check out of the per-row cost.
public struct ProgressSchedule: Sendable {
    /// Rows between calls, at most.
    public var rowInterval: Int
    /// Time between calls, at most (checked every 1,024 rows, or every `rowInterval` if smaller).
    public var timeInterval: Duration
    /// Monotonic time since any fixed origin.
    public var now: @Sendable () -> Duration

    public init(rowInterval: Int = 100_000, timeInterval: Duration = .milliseconds(200), now: @escaping @Sendable () -> Duration) {
        precondition(rowInterval > 0)
        self.rowInterval = rowInterval
        self.timeInterval = timeInterval
        self.now = now
    }

    /// Every 100,000 rows or 0.2 s on the system's monotonic clock.
    public static var standard: ProgressSchedule {
        let origin = ContinuousClock.now
        return ProgressSchedule(now: { origin.duration(to: .now) })
    }
}

/// Calls the progress callback on its schedule; owned by the row sequences.
struct ProgressMeter {
    let schedule: ProgressSchedule
    let report: (ImportProgress) -> Void
    private var lastRows = 0
    private var lastTime: Duration
    private var nextCheck: Int
    private let checkInterval: Int

    init(schedule: ProgressSchedule, report: @escaping (ImportProgress) -> Void) {
        self.schedule = schedule
        self.report = report
        lastTime = schedule.now()
        checkInterval = min(1024, schedule.rowInterval)
        nextCheck = checkInterval
    }

    /// Called after every row; cheap unless a check is due.
    @inline(__always)
    mutating func rowRead(rows: Int, reader: CSVReader) {
        guard rows >= nextCheck else { return }
        check(rows: rows, reader: reader)
    }

    private mutating func check(rows: Int, reader: CSVReader) {
        nextCheck = rows + checkInterval
        let now = schedule.now()
        guard rows - lastRows >= schedule.rowInterval || now - lastTime >= schedule.timeInterval else { return }
        lastRows = rows
        lastTime = now
        report(ImportProgress(rows: rows, bytesRead: reader.bytesConsumed, totalBytes: reader.totalBytes, isFinished: false))
    }

    mutating func finished(rows: Int, reader: CSVReader) {
        report(ImportProgress(rows: rows, bytesRead: reader.bytesConsumed, totalBytes: reader.totalBytes, isFinished: true))
    }
}

/// A one-line text progress bar, for the CLI to draw on a terminal (it decides whether stdout is one).
public enum ProgressBar {
    /// Renders `[#####-----]  42%  1.23M rows/s  ETA 0:07` in at most `width` columns (ASCII only,
    /// so characters are columns). The bar takes whatever room the figures leave and is dropped
    /// when less than 10 columns remain; then the figures are cut to fit.
    ///
    /// - Parameters:
    ///   - done: work done, in any unit (the CLI uses bytes read).
    ///   - total: work in all, in the same unit; 0 or less when unknown (no bar, no percentage).
    ///   - rate: rows per second.
    ///   - eta: time left, `nil` when unknown.
    ///   - width: terminal columns available.
    public static func render(done: Int, total: Int, rate: Double, eta: Duration?, width: Int) -> String {
        var figures: [String] = []
        let fraction: Double? = total > 0 ? min(1, max(0, Double(done) / Double(total))) : nil
        if let fraction {
            let percent = Int((fraction * 100).rounded(.down))
            figures.append(String(repeating: " ", count: 3 - String(percent).count) + "\(percent)%")
        }
        figures.append("\(formatRate(rate)) rows/s")
        figures.append("ETA \(eta.map(formatDuration) ?? "--:--")")
        let suffix = figures.joined(separator: "  ")
        guard width > 0 else { return "" }
        let barWidth = width - suffix.count - 3
        guard let fraction, barWidth >= 10 else { return String(suffix.prefix(width)) }
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "] " + suffix
    }

    /// Renders a progress report: the rate is rows over `elapsed`, the ETA the time left at the
    /// pace so far (by bytes, since the row count of the rest is unknown).
    public static func render(_ progress: ImportProgress, elapsed: Duration, width: Int) -> String {
        let seconds = elapsed / .seconds(1)
        let rate = seconds > 0 ? Double(progress.rows) / seconds : 0
        var eta: Duration?
        if let fraction = progress.fraction {
            if fraction >= 1 {
                eta = .zero
            } else if fraction > 0 && seconds > 0 {
                eta = .milliseconds(Int64((seconds * (1 - fraction) / fraction * 1000).rounded()))
            }
        }
        return render(done: progress.bytesRead, total: progress.totalBytes ?? 0, rate: rate, eta: eta, width: width)
    }

    /// `950`, `12.3k`, `1.23M`.
    static func formatRate(_ rate: Double) -> String {
        guard rate.isFinite, rate >= 0 else { return "0" }
        if rate < 1_000 { return String(Int(rate.rounded())) }
        if rate < 1_000_000 { return fixed(rate / 1_000, digits: rate < 100_000 ? 1 : 0) + "k" }
        return fixed(rate / 1_000_000, digits: 2) + "M"
    }

    /// `0:07`, `12:34`, `1:02:03`.
    static func formatDuration(_ duration: Duration) -> String {
        let total = max(0, duration.components.seconds + (duration.components.attoseconds > 0 ? 1 : 0))
        let hours = total / 3600, minutes = total / 60 % 60, seconds = total % 60
        let paddedSeconds = seconds < 10 ? "0\(seconds)" : "\(seconds)"
        if hours > 0 { return "\(hours):\(minutes < 10 ? "0" : "")\(minutes):\(paddedSeconds)" }
        return "\(minutes):\(paddedSeconds)"
    }

    /// `value` with exactly `digits` decimals, without Foundation's `String(format:)`.
    private static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        guard digits > 0 else { return String(whole) }
        let fraction = String(scaled % Int(scale))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
