/// A registry row that was not imported, with the reason an operator can act on.
public struct RejectedRow: Sendable, Hashable {
    /// The physical line where the row starts (the header is line 1).
    public var line: Int
    /// A reason code: an identity-rule code of the number's column, or one of the import's own
    /// (`unknown_status`, `name_invalid`, `column_count`, `malformed_csv`, …).
    public var reason: String
    /// The column the reason is about, when there is one.
    public var column: String?

    public init(line: Int, reason: String, column: String?) {
        self.line = line
        self.reason = reason
        self.column = column
    }
}

/// What an import did.
public struct ImportReport: Sendable, Hashable {
    public var imported: Int
    public var rejected: [RejectedRow]

    public init(imported: Int, rejected: [RejectedRow]) {
        self.imported = imported
        self.rejected = rejected
    }
}
