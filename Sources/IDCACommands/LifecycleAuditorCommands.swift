import ArgumentParser
import Foundation
import IDCACore
import IDCAServices

/// `idca reports …`: reports for auditors beyond the statistics.
struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Reports for auditors.", subcommands: [Impersonation.self])

    struct Impersonation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Organizations tried by several operators, resident IDs with repeated name mismatches or failed possession checks, and addresses with many refusals.",
            discussion: "The same document as GET /v1/reports/impersonation: keyed references, counts and times, no personal data. See Docs/LIFECYCLE.md.")

        @OptionGroup var storage: StorageOptions
        @Option(help: ArgumentHelp("First day, YYYY-MM-DD (default: 29 days before --to).", valueName: "date")) var from: String?
        @Option(help: ArgumentHelp("Last day, YYYY-MM-DD (default: today).", valueName: "date")) var to: String?
        @Option(help: ArgumentHelp("Smallest count a group needs to be listed (default 2).", valueName: "n")) var minCount: String?

        /// Checked as the API checks its parameters; a bad one is a usage error (exit 2) named by its flag.
        func validate() throws {
            do {
                _ = try ImpersonationReportService.parse(from: from, to: to, minimumCount: minCount, now: SystemTime().now())
            } catch let error as IDCAError {
                throw usageError(error)
            }
        }

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let report = try await wiring.impersonationReportService.report(from: from, to: to, minimumCount: minCount)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

/// `idca disclosure …`: lawful disclosure by two auditors (Docs/LIFECYCLE.md). Each command acts
/// as the auditor whose API key is in `IDCA_AUDITOR_KEY` (never on the command line, where other
/// users of the machine could read it).
struct DisclosureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclosure", abstract: "Reveal the person behind a site's pseudonym, with two auditors.",
        discussion: "Every subcommand acts as the auditor whose API key is in the environment variable IDCA_AUDITOR_KEY.",
        subcommands: [Request.self, Approve.self, Status.self, Show.self])

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask for the identity behind a pseudonym, for a case (a second auditor must approve).")
        @OptionGroup var storage: StorageOptions
        @Option(help: "The site id (site_…).") var site: String
        @Option(help: "The pseudonym the site knows the subject by.") var subject: String
        @Option(name: .customLong("case"), help: "The case reference, e.g. （2026）京0105刑初123号 (no spaces).") var caseReference: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let (wiring, auditor) = try await openAsAuditor(storage)
            let request = try await wiring.disclosureService.request(site: site, pseudonym: subject, caseReference: caseReference, by: auditor)
            printDisclosure(request, state: wiring.disclosureService.state(of: request), json: json)
            if !json { print("A second, different auditor must now run: idca disclosure approve \(request.id.rawValue)") }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve another auditor's request.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The request id (dis_…).") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let (wiring, auditor) = try await openAsAuditor(storage)
            let approved = try await wiring.disclosureService.approve(id, by: auditor)
            printDisclosure(approved, state: wiring.disclosureService.state(of: approved), json: json)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a request's state (never the identity).")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The request id (dis_…).") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let (wiring, _) = try await openAsAuditor(storage)
            let found = try await wiring.disclosureService.status(id)
            printDisclosure(found, state: wiring.disclosureService.state(of: found), json: json)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decrypt and print the identity of an approved request (its two auditors only).")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The request id (dis_…).") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let (wiring, auditor) = try await openAsAuditor(storage)
            let (request, identity) = try await wiring.disclosureService.show(id, by: auditor)
            if json {
                var object: [String: Any] = ["id": request.id.rawValue, "subject_type": identity.subjectType.rawValue]
                object["resident_id"] = identity.residentID
                object["name"] = identity.name
                object["organization_name"] = identity.organizationName
                printJSON(object)
            } else {
                if let organization = identity.organizationName { print("organization: \(organization)") }
                print("\(identity.subjectType == .organization ? "operator" : "name"): \(identity.name ?? "")")
                print("resident ID: \(identity.residentID ?? "")")
            }
        }
    }
}

/// Opens the database and authenticates the auditor of `IDCA_AUDITOR_KEY`.
private func openAsAuditor(_ storage: StorageOptions) async throws -> (Wiring, Auditor) {
    guard let key = Environment.value("IDCA_AUDITOR_KEY") else {
        throw CommandFailure("set IDCA_AUDITOR_KEY to your auditor API key (idca auditors add prints one).")
    }
    let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
    guard let auditor = try await wiring.auditorService.authenticate(apiKey: key) else {
        throw CommandFailure("IDCA_AUDITOR_KEY is not the key of an active auditor.")
    }
    return (wiring, auditor)
}

private func printDisclosure(_ request: DisclosureRequest, state: String, json: Bool) {
    if json {
        var object: [String: Any] = [
            "id": request.id.rawValue, "site": request.site.rawValue, "subject": request.pseudonym, "subject_type": request.subjectType.rawValue,
            "case": request.caseReference, "state": state, "requested_by": request.requestedBy.rawValue,
            "requested_at": RFC3339.string(fromUnixSeconds: request.requestedAt), "expires_at": RFC3339.string(fromUnixSeconds: request.expiresAt),
        ]
        object["approved_by"] = request.approvedBy?.rawValue
        object["approved_at"] = request.approvedAt.map(RFC3339.string(fromUnixSeconds:))
        printJSON(object)
    } else {
        print("\(request.id.rawValue)  \(state)  case \(request.caseReference)  requested by \(request.requestedBy.rawValue)"
              + (request.approvedBy.map { ", approved by \($0.rawValue)" } ?? "")
              + "  expires \(RFC3339.string(fromUnixSeconds: request.expiresAt))")
    }
}
