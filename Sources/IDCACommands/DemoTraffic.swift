import Foundation
import IDCACore
import IDCARegistry
import IDCARules
import IDCAServices
import IDCASynthetic
import Synchronization

/// Demonstration traffic: applications with the mistakes real applicants make, sent through the
/// real certification service (rules, registry, ledger, audit log, statistics), and verify calls
/// from the demo site for most of the tokens issued.
///
/// The mix follows the programme's experience: organization applications fail at about 38 %
/// (mistyped codes, registry names out of date, impersonation, deregistered organizations, an
/// operator who is not who they say), individuals at about 11 %.
struct DemoTraffic {
    let wiring: Wiring
    /// The demo registry's CSV extracts, as `idca demo seed` wrote them.
    let people: [DemoData.Person]
    let organizations: [DemoData.Organization]

    /// What was sent and how it ended.
    struct Summary {
        var applications = 0
        var approved = 0
        var rejected = 0
        /// Sent a code and never entered it.
        var abandoned = 0
        /// Refused with 429: the resident ID or organization was locked after failed matches.
        var locked = 0
        var organizations = 0
        var organizationsRejected = 0
        var verifications = 0
        var reasons: [String: Int] = [:]
    }

    init(wiring: Wiring, dataDirectory: String) throws {
        self.wiring = wiring
        people = try Self.rows(dataDirectory + "/residents.csv", columns: 4).map {
            DemoData.Person(name: $0[1], residentID: $0[0], status: $0[2], phone: $0[3].isEmpty ? nil : $0[3])
        }
        organizations = try Self.rows(dataDirectory + "/organizations.csv", columns: 5).map {
            DemoData.Organization(organizationCode: $0[0], creditCode: $0[1].isEmpty ? nil : $0[1], name: $0[2], legalRepresentative: $0[3],
                                  status: $0[4])
        }
        guard people.count >= 10, organizations.count >= 10 else {
            throw CommandFailure("the demo registry in \(dataDirectory) is too small; run `idca demo seed` first.")
        }
    }

    private static func rows(_ path: String, columns: Int) throws -> [[String]] {
        let reader: CSVReader
        do { reader = try CSVReader(path: path) } catch {
            throw CommandFailure("cannot read \(path): \(error). Demo traffic uses the demo registry; run `idca demo seed` first.")
        }
        var rows: [[String]] = []
        var isHeader = true
        while let item = try reader.next() {
            guard case .record(let record) = item, record.count == columns else { continue }
            if isHeader { isHeader = false; continue }
            rows.append(record.strings)
        }
        return rows
    }

    /// Sends `count` applications at times spread over the `days` days before now (weekdays busier
    /// than weekends), `concurrency` at a time, and has the demo site verify most approved tokens.
    func run(count: Int, days: Int, seed: UInt64, site: Site?, issuer: String, concurrency: Int = 16) async throws -> Summary {
        var random = SeededGenerator(seed: seed)
        let end = wiring.clock.now()
        let start = end - Int64(days) * 86_400
        var times: [Int64] = []
        while times.count < count {
            let time = Int64.random(in: start..<end, using: &random)
            let weekday = ((CivilDate(shanghaiDayOf: time).daysSinceUnixEpoch + 3) % 7 + 7) % 7  // 0 = Monday
            if weekday >= 5 && Int.random(in: 0..<10, using: &random) < 4 { continue }
            times.append(time)
        }
        times.sort()
        let plans = times.map { time in (time: time, request: makeRequest(site: site, using: &random),
                                         verify: Int.random(in: 0..<10, using: &random) < 7, replay: Int.random(in: 0..<20, using: &random) == 0,
                                         answers: Int.random(in: 0..<20, using: &random) != 0) }
        let handset = DemoHandset()

        var summary = Summary()
        var next = 0
        try await withThrowingTaskGroup(of: (ApplicationRequest, ApplicationResult?, Int).self) { group in
            func submit(_ plan: (time: Int64, request: ApplicationRequest, verify: Bool, replay: Bool, answers: Bool)) {
                let certification = wiring.certificationService(settings: .init(issuerURL: issuer), notifier: handset,
                                                                clock: FixedClock(time: plan.time))
                // Applicants with a phone on file read the code and enter it 40 s later; one in twenty never does.
                let confirmation = wiring.certificationService(settings: .init(issuerURL: issuer), notifier: handset,
                                                                 clock: FixedClock(time: plan.time + 40))
                let verification = wiring.verificationService(issuerURL: issuer, clock: FixedClock(time: plan.time + 120))
                group.addTask {
                    var result: ApplicationResult
                    do {
                        result = try await certification.apply(plan.request)
                    } catch let error as IDCAError where error.kind == .tooManyRequests {
                        // The simulated crowd retries one person's number often enough to lock it now and then.
                        return (plan.request, nil, 0)
                    }
                    if result.status == .pendingPossession, plan.answers, let code = handset.code(for: result.applicationID) {
                        result = try await confirmation.confirm(result.applicationID, code: code)
                    }
                    var verifications = 0
                    if let token = result.token, let site, plan.verify {
                        _ = try await verification.verify(token, for: site)
                        verifications += 1
                        if plan.replay {
                            _ = try await verification.verify(token, for: site)
                            verifications += 1
                        }
                    }
                    return (plan.request, result, verifications)
                }
            }
            while next < min(concurrency, plans.count) { submit(plans[next]); next += 1 }
            while let (request, result, verifications) = try await group.next() {
                summary.applications += 1
                summary.verifications += verifications
                if request.subjectType == .organization { summary.organizations += 1 }
                guard let result else {
                    summary.locked += 1
                    if next < plans.count { submit(plans[next]); next += 1 }
                    continue
                }
                if result.status == .pendingPossession {
                    summary.abandoned += 1
                } else if let rejection = result.rejection {
                    summary.rejected += 1
                    if request.subjectType == .organization { summary.organizationsRejected += 1 }
                    summary.reasons[rejection.internalReason, default: 0] += 1
                } else {
                    summary.approved += 1
                }
                if next < plans.count { submit(plans[next]); next += 1 }
            }
        }
        return summary
    }

    private func makeRequest(site: Site?, using random: inout SeededGenerator) -> ApplicationRequest {
        let siteID = Int.random(in: 0..<10, using: &random) < 6 ? site?.id : nil
        if Int.random(in: 0..<10, using: &random) < 8 {
            return .individual(individualClaim(using: &random), site: siteID)
        }
        return .organization(organizationClaim(using: &random), site: siteID)
    }

    private func activePerson(using random: inout SeededGenerator) -> DemoData.Person {
        while true {
            let person = people.randomElement(using: &random)!
            if person.status == "active" { return person }
        }
    }

    private func individualClaim(using random: inout SeededGenerator) -> PersonClaim {
        let person = activePerson(using: &random)
        switch Int.random(in: 0..<100, using: &random) {
        case 89..<94:
            // A typing mistake: one character replaced or two swapped; the check character catches it.
            let corruption = Corruption.allCases.randomElement(using: &random)!
            let variants = corruption.allVariants(of: person.residentID, alphabet: "0123456789")
            return PersonClaim(name: person.name, residentID: variants.randomElement(using: &random) ?? person.residentID)
        case 94..<97:
            // Someone else's number with their own name: a borrowed identity.
            return PersonClaim(name: activePerson(using: &random).name, residentID: person.residentID)
        case 97:
            let inactive = people.first { $0.status != "active" && Int.random(in: 0..<20, using: &random) == 0 }
                ?? people.first { $0.status != "active" } ?? person
            return PersonClaim(name: inactive.name, residentID: inactive.residentID)
        case 98:
            // Pasted with a trailing space.
            return PersonClaim(name: person.name, residentID: person.residentID + " ")
        case 99:
            // A well-formed number the registry has never issued.
            let births = CivilDate(year: 1950, month: 1, day: 1)!...CivilDate(year: 2000, month: 12, day: 31)!
            return PersonClaim(name: person.name, residentID: SyntheticNumbers().residentID(bornIn: births, using: &random))
        default:
            return PersonClaim(name: person.name, residentID: person.residentID)
        }
    }

    private func organizationClaim(using random: inout SeededGenerator) -> OrganizationClaim {
        var organization = organizations.randomElement(using: &random)!
        while organization.status != "active" { organization = organizations.randomElement(using: &random)! }
        let operatorPerson = activePerson(using: &random)
        var claim = OrganizationClaim(
            organizationName: organization.name, creditCode: organization.creditCode,
            organizationCode: organization.creditCode == nil ? organization.organizationCode : nil,
            legalRepresentative: organization.legalRepresentative,
            operatorPerson: PersonClaim(name: operatorPerson.name, residentID: operatorPerson.residentID))
        switch Int.random(in: 0..<100, using: &random) {
        case 62..<74:
            // A mistyped code.
            let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
            if let credit = claim.creditCode {
                claim.creditCode = Corruption.allCases.randomElement(using: &random)!.allVariants(of: credit, alphabet: alphabet)
                    .randomElement(using: &random) ?? credit
            } else if let code = claim.organizationCode {
                claim.organizationCode = Corruption.allCases.randomElement(using: &random)!.allVariants(of: code, alphabet: alphabet)
                    .randomElement(using: &random) ?? code
            }
        case 74..<84:
            // The organization was renamed; the applicant uses the new name, the registry has the old one.
            claim.organizationName = "新" + organization.name
        case 84..<92:
            // Impersonation: someone else claims to act for the organization.
            claim.legalRepresentative = activePerson(using: &random).name
        case 92..<96:
            // A deregistered organization still applying.
            if let gone = organizations.filter({ $0.status != "active" }).randomElement(using: &random) {
                claim = OrganizationClaim(
                    organizationName: gone.name, creditCode: gone.creditCode, organizationCode: gone.creditCode == nil ? gone.organizationCode : nil,
                    legalRepresentative: gone.legalRepresentative, operatorPerson: claim.operatorPerson)
            }
        case 96..<100:
            // The operator gives a borrowed identity.
            claim.operatorPerson.name = activePerson(using: &random).name
        default:
            break
        }
        return claim
    }
}

/// A clock stopped at one instant: demo traffic decides each application at its simulated time.
struct FixedClock: IDCACore.Clock {
    let time: Int64
    func now() -> Int64 { time }
}

/// The simulated applicants' phones: demo traffic "receives" each code here and enters it.
private final class DemoHandset: Notifier {
    private let codes = Mutex<[ApplicationID: String]>([:])

    func send(_ message: PossessionMessage) async throws {
        codes.withLock { $0[message.applicationID] = message.code }
    }

    func code(for application: ApplicationID) -> String? {
        codes.withLock { $0.removeValue(forKey: application) }
    }
}
