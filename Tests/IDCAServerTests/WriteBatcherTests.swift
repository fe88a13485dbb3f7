import Foundation
import IDCACore
import IDCARules
@testable import IDCASQLite
import Testing

/// Group commit: what one job leaves for the end of its batch counts only if the job succeeded.
@Suite("Write batcher")
struct WriteBatcherTests {
    struct Refused: Error {}

    @Test func onlyTheDecisionsOfJobsThatSucceedAreCounted() async throws {
        let directory = NSTemporaryDirectory() + "idca-batcher-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(path: directory + "/db.sqlite")
        defer { try? database.pool.close() }
        let day: Int64 = 1_795_900_000
        // Many concurrent jobs, so that batches hold several; every third one fails after counting.
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<300 {
                group.addTask {
                    let decision = DecisionRecord(
                        applicationID: .generate(using: SystemRandomSource()), subjectType: .individual, decidedAt: day, site: nil,
                        rejection: index % 2 == 0 ? nil : Rejection(.registryNameMismatch, field: nil), regionCode: 110105,
                        subjectReference: nil, token: nil)
                    do {
                        try await database.write { _, batch in
                            batch.count(decision)
                            if index % 3 == 0 { throw Refused() }
                        }
                        return true
                    } catch is Refused {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 200)
        let today = CivilDate(shanghaiDayOf: day)
        let counted = try await SQLiteStatistics(database: database).applicationCounts(StatisticsQuery(from: today, to: today, groupBy: []))
        // Of the 200 that succeeded (index not a multiple of 3), those with an even index were approved.
        let approved = (0..<300).filter { $0 % 3 != 0 && $0 % 2 == 0 }.count
        #expect(counted == [StatisticsCell(applications: 200, approved: approved, rejected: 200 - approved)])
    }
}
