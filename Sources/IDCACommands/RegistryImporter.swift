import Foundation
import IDCACore
import IDCARegistry
import IDCARules
import IDCAServices
import IDCATokens
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Imports registry extracts through the one path both `idca registry import` and `idca demo seed` use.
struct RegistryImporter {
    enum Kind: String, CaseIterable, ExpressibleByArgumentKind {
        case residents
        case organizations
    }

    let wiring: Wiring
    /// Draw a live progress bar on standard error (only when it is a terminal).
    let showsProgress: Bool

    /// Reads, checks and imports the file in one transaction; writes `<file>.rejects.csv` beside it
    /// when rows were refused. Throws — and leaves the registry untouched — if the file cannot be
    /// read or its header is wrong.
    ///
    /// Once the import has committed, the certifications of every imported entry the registry now
    /// marks inactive (a deceased or cancelled resident, a revoked or cancelled organization) are
    /// revoked, in one more transaction; `revoked` counts the subjects that held one.
    func run(_ kind: Kind, path: String) async throws -> (report: ImportReport, revoked: Int) {
        let reader: CSVReader
        do { reader = try CSVReader(path: path) } catch { throw CommandFailure("cannot read \(path): \(error)") }
        let context = ValidationContext(today: CivilDate(shanghaiDayOf: wiring.clock.now()))
        let started = ContinuousClock.now
        let progress: ((ImportProgress) -> Void)? = showsProgress ? { progress in
            let line = ProgressBar.render(progress, elapsed: ContinuousClock.now - started, width: 30)
            printToStandardError("\r\(line)" + (progress.isFinished ? "\n" : ""), newline: false)
        } : nil

        let report: ImportReport
        let inactive = InactiveSubjects()
        do {
            switch kind {
            case .residents:
                let hasher = wiring.identityHasher
                let sealer = DataSealer(key: wiring.keys.data)
                let parser = ResidentRowParser(context: context) { number, name, status, phone in
                    let reference = hasher.residentReference(number)
                    // Ciphertexts are bound to their row and purpose: one copied elsewhere fails to open.
                    let sealed = phone.map { sealer.seal(Array($0.utf8), associatedData: Array(("phone:" + reference).utf8)) }
                    let identity = sealer.seal(Array((number.canonical + "\n" + name).utf8),
                                               associatedData: Array(("identity:" + reference).utf8))
                    return ResidentRecord(residentIDHash: reference, nameHash: hasher.nameHash(name), status: status,
                                          regionCode: number.region.code, sealedPhone: sealed, sealedIdentity: identity)
                }
                let rows = try parser.rows(from: reader, onProgress: progress)
                let imported = try await wiring.registry.importResidents({ write in
                    for record in rows {
                        try write(record)
                        if record.status != .active { inactive.add(record.residentIDHash, .individual) }
                    }
                    if let error = rows.readError { throw CommandFailure("reading \(path) failed midway: \(error); nothing was imported") }
                }, audit: { imported in importEvent(kind, imported: imported, rejected: rows.report.rejected.count) })
                report = ImportReport(imported: imported, rejected: rows.report.rejected)
            case .organizations:
                let rows = try OrganizationRowParser(context: context).rows(from: reader, onProgress: progress)
                let hasher = wiring.identityHasher
                let imported = try await wiring.registry.importOrganizations({ write in
                    for record in rows {
                        try write(record)
                        if record.status != .active { inactive.add(hasher.organizationReference(record.organizationCode), .organization) }
                    }
                    if let error = rows.readError { throw CommandFailure("reading \(path) failed midway: \(error); nothing was imported") }
                }, audit: { imported in importEvent(kind, imported: imported, rejected: rows.report.rejected.count) })
                report = ImportReport(imported: imported, rejected: rows.report.rejected)
            }
        } catch let error as RegistryImportError {
            throw CommandFailure("\(path): \(error); nothing was imported")
        }
        let now = wiring.clock.now()
        let revoked = try await wiring.revocationService.revoke(inactive.subjects.map { subject in
            RevocationRequest(subjectReference: subject.reference, subjectType: subject.type, reason: .registryInactive, revokedAt: now,
                              actor: commandLineOperator)
        })
        if report.rejected.isEmpty {
            // A rejects file from an earlier import would read as this import's result.
            try? FileManager.default.removeItem(atPath: rejectsPath(forInput: path))
        } else {
            try? writeRejects(report.rejected, to: rejectsPath(forInput: path))
        }
        return (report, revoked.count)
    }

    /// The import's audit entry: counts only (the file's rows are personal data).
    private func importEvent(_ kind: Kind, imported: Int, rejected: Int) -> AuditEvent {
        AuditEvent(.registryImported, time: wiring.clock.now(), actor: commandLineOperator, outcome: "imported", object: kind.rawValue,
                   details: [("imported", String(imported)), ("rejected", String(rejected))])
    }
}

/// The inactive entries an import wrote, gathered on whichever thread produces the records.
private final class InactiveSubjects: Sendable {
    private let list = Mutex<[(reference: String, type: SubjectType)]>([])

    func add(_ reference: String, _ type: SubjectType) { list.withLock { $0.append((reference, type)) } }
    var subjects: [(reference: String, type: SubjectType)] { list.withLock { $0 } }
}

/// Marks the kinds as command-line values without importing ArgumentParser into the importer's API.
protocol ExpressibleByArgumentKind: RawRepresentable<String> {}

func standardErrorIsTerminal() -> Bool { isatty(2) == 1 }
