import ArgumentParser
import Foundation
import IDCARules

/// `idca demo …`: a working CA to try out, with invented data.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Set up a demonstration CA with a synthetic registry.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seed a reproducible synthetic registry (if the registry is empty), register a demo site, and write sample applications.",
            discussion: "Everything it writes is invented: valid numbers over real division codes, made-up names. The registry is loaded through the same import path as `idca registry import`.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "Residents to generate.") var residents = 100_000
        @Option(help: "Organizations to generate.") var organizations = 10_000
        @Option(help: "Random seed: the same seed gives the same registry.") var seed: UInt64 = 2011
        @Option(help: "Where to write the CSV extracts, the demo site's key and sample applications.") var output = "var/demo"
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard (10...10_000_000).contains(residents), (10...1_000_000).contains(organizations) else {
                throw ValidationError("--residents must be 10…10,000,000 and --organizations 10…1,000,000.")
            }
        }

        func run() async throws {
            let wiring = try Wiring(storage: storage)
            try FileManager.default.createDirectory(atPath: output + "/applications", withIntermediateDirectories: true)
            let today = CivilDate(shanghaiDayOf: wiring.clock.now())
            let data = DemoData(residents: residents, organizations: organizations, seed: seed, today: today)

            var seeded = false
            if try await wiring.registry.residentCount() == 0 {
                try data.residentsCSV().write(toFile: output + "/residents.csv", atomically: true, encoding: .utf8)
                try data.organizationsCSV().write(toFile: output + "/organizations.csv", atomically: true, encoding: .utf8)
                let importer = RegistryImporter(wiring: wiring, showsProgress: !json && standardErrorIsTerminal())
                _ = try importer.run(.residents, path: output + "/residents.csv")
                _ = try importer.run(.organizations, path: output + "/organizations.csv")
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
                let (created, apiKey) = try await wiring.siteService.add(name: "示例微博 Demo Weibo", licence: "京ICP证000000号", maxAccounts: 1000)
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

            let residentCount = try await wiring.registry.residentCount()
            let organizationCount = try await wiring.registry.organizationCount()
            if json {
                printJSON(["seeded": seeded, "residents": residentCount, "organizations": organizationCount,
                           "site_id": site!["site_id"]!, "api_key": site!["api_key"]!, "applications": output + "/applications"])
            } else {
                print(seeded ? "Seeded the registry: \(residentCount) residents, \(organizationCount) organizations (seed \(seed))."
                             : "The registry already holds \(residentCount) residents and \(organizationCount) organizations; nothing seeded.")
                print("Demo site: \(site!["site_id"]!)")
                print("Demo site API key: \(site!["api_key"]!)")
                print("Sample applications: \(output)/applications/*.json")
            }
        }
    }
}
