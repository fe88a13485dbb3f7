import ArgumentParser
import Foundation
import IDCACore
import IDCARules

/// `idca demo …`: a working CA to try out, with invented data.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Set up a demonstration CA with a synthetic registry.", subcommands: [Seed.self, Traffic.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seed a reproducible synthetic registry (if the registry is empty), register a demo site, and write sample applications.",
            discussion: "Everything it writes is invented: valid numbers over real division codes, made-up names. The registry is loaded through the same import path as `idca registry import`.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "Residents to generate.") var residents = 100_000
        @Option(help: "Organizations to generate.") var organizations = 10_000
        @Option(help: "Random seed: the same seed gives the same registry.") var seed: UInt64 = 2011
        @Option(help: "Where to write the CSV extracts, the demo site's key and sample applications.") var output = "var/demo"
        @Option(help: "Demonstration applications to send over the last 60 days when the registry is first seeded (0 for none).")
        var traffic = 3000
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (10...10_000_000).contains(residents), (10...1_000_000).contains(organizations) else {
                throw ValidationError("--residents must be 10…10,000,000 and --organizations 10…1,000,000.")
            }
            guard (0...1_000_000).contains(traffic) else { throw ValidationError("--traffic must be 0…1,000,000.") }
        }

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage)
            try FileManager.default.createDirectory(atPath: output + "/applications", withIntermediateDirectories: true)
            let today = CivilDate(shanghaiDayOf: wiring.clock.now())
            let data = DemoData(residents: residents, organizations: organizations, seed: seed, today: today)

            var seeded = false
            if try await wiring.registry.residentCount() == 0 {
                try data.residentsCSV().write(toFile: output + "/residents.csv", atomically: true, encoding: .utf8)
                try data.organizationsCSV().write(toFile: output + "/organizations.csv", atomically: true, encoding: .utf8)
                let importer = RegistryImporter(wiring: wiring, showsProgress: !json && standardErrorIsTerminal())
                _ = try await importer.run(.residents, path: output + "/residents.csv")
                _ = try await importer.run(.organizations, path: output + "/organizations.csv")
                seeded = true
            }

            // The demo site's key is kept beside the demo data (mode 0600): idca itself stores only its hash.
            let sitePath = output + "/site.json"
            var site = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sitePath)))) as? [String: String]
            if let known = site?["site_id"], try await wiring.sites.sites().contains(where: { $0.id.rawValue == known }) == false {
                site = nil
            }
            if site == nil {
                // A generous account limit, so that the README walk-through can be repeated with the same
                // sample person; real sites get the default of 3.
                let (created, apiKey) = try await wiring.siteService.add(name: "示例微博 Demo Weibo", licence: "京ICP证000000号", maxAccounts: 1000,
                                                                                    by: commandLineOperator)
                site = ["site_id": created.id.rawValue, "api_key": apiKey]
                let body = try JSONSerialization.data(withJSONObject: site!, options: [.sortedKeys, .prettyPrinted])
                guard FileManager.default.createFile(atPath: sitePath, contents: body, attributes: [.posixPermissions: 0o600]) else {
                    throw CommandFailure("cannot write \(sitePath)")
                }
            }
            for sample in data.sampleApplications(site: nil) {
                let body = try JSONSerialization.data(withJSONObject: sample.body, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
                try body.write(to: URL(fileURLWithPath: output + "/applications/" + sample.file))
            }

            // A new demo CA gets some history, so that statistics and the HTML report show something.
            var sent: DemoTraffic.Summary?
            if seeded, traffic > 0 {
                let knownSite = try await wiring.sites.site(id: SiteID(uncheckedRawValue: site!["site_id"]!))
                sent = try await DemoTraffic(wiring: wiring, dataDirectory: output)
                    .run(count: traffic, days: 60, seed: seed, site: knownSite, issuer: demoIssuer)
            }

            let residentCount = try await wiring.registry.residentCount()
            let organizationCount = try await wiring.registry.organizationCount()
            if json {
                printJSON(["seeded": seeded, "residents": residentCount, "organizations": organizationCount,
                           "site_id": site!["site_id"]!, "api_key": site!["api_key"]!, "applications": output + "/applications",
                           "traffic": sent?.applications ?? 0])
            } else {
                print(seeded ? "Seeded the registry: \(residentCount) residents, \(organizationCount) organizations (seed \(seed))."
                             : "The registry already holds \(residentCount) residents and \(organizationCount) organizations; nothing seeded.")
                print("Demo site: \(site!["site_id"]!)")
                print("Demo site API key: \(site!["api_key"]!)")
                print("Sample applications: \(output)/applications/*.json")
                if let sent { print("Demo traffic: " + sent.line) }
            }
        }
    }

    struct Traffic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send demonstration applications through the real certification service, with realistic failures.",
            discussion: """
                Reads the demo registry (`idca demo seed` writes it to var/demo) and sends applications decided at times spread \
                over the last --days days: organizations fail at about 38 % (mistyped codes, stale registry names, impersonation, \
                deregistered organizations, borrowed operator identities), individuals at about 11 %. The demo site verifies about \
                70 % of the tokens issued. Every decision is recorded, audited and counted exactly as if it had come over HTTP. \
                The same seed and registry give the same mix of applications; their times follow the moment of the run.
                """)

        @OptionGroup var storage: StorageOptions
        @Option(help: "How many applications to send.") var applications: Int
        @Option(help: "Spread them over this many days before now.") var days = 30
        @Option(help: "Random seed: the same seed and registry give the same mix of applications.") var seed: UInt64 = 2012
        @Option(help: "Where `idca demo seed` wrote the demo registry and site.json.") var data = "var/demo"
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (1...10_000_000).contains(applications) else { throw ValidationError("--applications must be 1…10,000,000.") }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be 1…3650.") }
        }

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let siteFile = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/site.json"))) as? [String: String]
            var site: Site?
            if let id = siteFile?["site_id"].flatMap(SiteID.init(rawValue:)) { site = try await wiring.sites.site(id: id) }
            let summary = try await DemoTraffic(wiring: wiring, dataDirectory: data)
                .run(count: applications, days: days, seed: seed, site: site, issuer: demoIssuer)
            if json {
                printJSON(["applications": summary.applications, "approved": summary.approved, "rejected": summary.rejected,
                           "abandoned": summary.abandoned, "locked": summary.locked,
                           "organizations": summary.organizations, "organizations_rejected": summary.organizationsRejected,
                           "verifications": summary.verifications, "reasons": summary.reasons])
            } else {
                print(summary.line)
                for (reason, count) in summary.reasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                    print("  \(reason): \(count)")
                }
            }
        }
    }
}

/// The `iss` of demo tokens: the server's issuer as `make run` starts it, so that they look like its own.
private var demoIssuer: String { Environment.value("IDCA_ISSUER") ?? "http://127.0.0.1:8080" }

extension DemoTraffic.Summary {
    var line: String {
        func percent(_ part: Int, _ whole: Int) -> String { whole == 0 ? "0 %" : "\((part * 1000 / whole + 5) / 10) %" }
        return "\(applications) applications, \(approved) approved, \(rejected) rejected, \(abandoned) left waiting for their code, \(locked) refused as locked (organizations: \(organizationsRejected) of "
            + "\(organizations) rejected, \(percent(organizationsRejected, organizations))); \(verifications) verify calls by the demo site."
    }
}

