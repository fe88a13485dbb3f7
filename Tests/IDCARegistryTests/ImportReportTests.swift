import IDCARegistry
import Testing

@Suite("Import reports")
struct ImportReportTests {
    @Test func rejectedRowsCarryLineReasonAndColumn() {
        let row = RejectedRow(line: 7, reason: "checksum", column: "resident_id")
        let report = ImportReport(imported: 3, rejected: [row])
        #expect(report.rejected.first?.line == 7)
        #expect(report.imported == 3)
    }
}
