import ArgumentParser
import IDCACore
import IDCAServices

/// `idca certifications …`: withdrawing certifications (Docs/LIFECYCLE.md).
struct CertificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certifications", abstract: "Withdraw certifications.", subcommands: [Revoke.self])

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke every certification a resident or an organization holds now.",
            discussion: """
                Unredeemed tokens stop verifying (certification_revoked), and every site that redeemed one learns it from \
                GET /v1/sites/me/revocations. A certification the subject obtains later is a new one. Exits 1 when the \
                subject holds no certification (nothing is recorded).
                """)

        @OptionGroup var storage: StorageOptions
        @Option(help: "The resident's ID number (GB 11643).") var residentID: String?
        @Option(help: "The organization code (GB 11714) or credit code (GB 32100).") var organizationCode: String?
        @Option(help: "One of: \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", ")).") var reason: String
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (residentID == nil) != (organizationCode == nil) else {
                throw ValidationError("Give exactly one of --resident-id and --organization-code.")
            }
            guard RevocationReason(rawValue: reason) != nil else {
                throw ValidationError("--reason must be one of: \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }

        func run() async throws {
            let subject: RevocationService.Subject = residentID.map { .resident($0) } ?? .organization(organizationCode ?? "")
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let revocation = try await wiring.revocationService.revoke(subject, reason: RevocationReason(rawValue: reason)!,
                                                                       by: commandLineOperator)
            if json {
                printJSON(revocation.map { revocation in
                    ["revoked": true, "revocation": revocation.sequence, "reason": reason,
                     "revoked_at": RFC3339.string(fromUnixSeconds: revocation.request.revokedAt)] as [String: Any]
                } ?? ["revoked": false])
            } else if let revocation {
                print("Revoked (revocation \(revocation.sequence), \(reason)). Unredeemed tokens no longer verify; sites that redeemed one are told.")
            } else {
                print("Nothing to revoke: no certification has been issued to this subject since its last revocation.")
            }
            if revocation == nil { throw ExitCode(1) }
        }
    }
}
