import IDCACore
import IDCARegistry

/// The machine-readable renderings of a report. Both are deterministic: the same counters give
/// the same bytes, so exports can be diffed and checksummed.
public enum StatisticsFormat: String, Sendable, CaseIterable {
    case json
    case csv
    case html

    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8; header=present"
        case .html: "text/html; charset=utf-8"
        }
    }
}

extension StatisticsReport {
    /// The columns of the CSV and the members of each JSON row, in order: a display-name column
    /// follows `province` and `site`.
    var columns: [(name: String, key: Int, isLabel: Bool)] {
        var columns: [(name: String, key: Int, isLabel: Bool)] = []
        for (index, dimension) in query.groupBy.enumerated() {
            columns.append((dimension.rawValue, index, false))
            if dimension == .province || dimension == .site {
                columns.append((dimension.rawValue + "_name", index, true))
            }
        }
        return columns
    }

    /// RFC 4180 CSV in UTF-8 with a header row. A suppressed row shows `<k` (k = the minimum count)
    /// in each count column and leaves the rate empty. `excel` starts the file with a byte order
    /// mark, without which Excel reads UTF-8 as the local code page and garbles Chinese.
    public func csv(excel: Bool = false) -> [UInt8] {
        var writer = CSVWriter()
        let columns = self.columns
        writer.append(record: columns.map(\.name) + ["applications", "approved", "rejected", "rejection_rate"])
        for row in rows {
            var fields = columns.map { column in (column.isLabel ? row.labels[column.key] : row.keys[column.key]) ?? "" }
            if let counts = row.counts {
                fields += [String(counts.applications), String(counts.approved), String(counts.rejected), decimal(counts.rejectionRate)]
            } else {
                let hidden = "<\(minimumCount)"
                fields += [hidden, hidden, hidden, ""]
            }
            writer.append(record: fields)
        }
        return (excel ? [0xEF, 0xBB, 0xBF] : []) + writer.bytes
    }

    /// `{"from", "to", "period", "group_by", "min_count", "rows": […], "totals": {…}}`. A
    /// suppressed row has `null` counts and `"suppressed": true`.
    public func json() -> [UInt8] {
        var text = "{"
        text += "\"from\":" + jsonString(query.from.description)
        text += ",\"to\":" + jsonString(query.to.description)
        text += ",\"period\":" + jsonString(query.period.rawValue)
        text += ",\"group_by\":[" + query.groupBy.map { jsonString($0.rawValue) }.joined(separator: ",") + "]"
        text += ",\"min_count\":" + String(minimumCount)
        text += ",\"rows\":["
        let columns = self.columns
        for (index, row) in rows.enumerated() {
            if index > 0 { text += "," }
            text += "{"
            for column in columns {
                let value = column.isLabel ? row.labels[column.key] : row.keys[column.key]
                text += jsonString(column.name) + ":" + (value.map(jsonString) ?? "null") + ","
            }
            text += countsJSON(row.counts)
            text += ",\"suppressed\":" + (row.isSuppressed ? "true" : "false") + "}"
        }
        text += "],\"totals\":{" + countsJSON(totals) + "}}"
        return Array(text.utf8)
    }

    private func countsJSON(_ counts: Counts?) -> String {
        guard let counts else {
            return "\"applications\":null,\"approved\":null,\"rejected\":null,\"rejection_rate\":null"
        }
        return "\"applications\":\(counts.applications),\"approved\":\(counts.approved),\"rejected\":\(counts.rejected),"
            + "\"rejection_rate\":" + decimal(counts.rejectionRate)
    }
}

/// A rate with at most four decimals, written from integers so that no binary-float digits leak
/// into exports (0.3812, never 0.38119999999999998).
func decimal(_ rate: Double) -> String {
    let tenThousandths = Int((rate * 10_000).rounded())
    let whole = tenThousandths / 10_000
    var fraction = String(tenThousandths % 10_000)
    fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
    while fraction.count > 1, fraction.hasSuffix("0") { fraction.removeLast() }
    return "\(whole).\(fraction)"
}

/// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
func jsonString(_ value: String) -> String {
    var text = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": text += "\\\""
        case "\\": text += "\\\\"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: text.unicodeScalars.append(scalar)
        }
    }
    return text + "\""
}
