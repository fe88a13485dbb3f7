import Foundation
import IDCARegistry
import IDCARules
import IDCASynthetic

/// The reproducible synthetic registry `idca demo seed` builds: valid numbers over real division
/// codes, realistic names, about 2 % inactive. Every value is invented.
struct DemoData {
    struct Person {
        var name: String
        var residentID: String
        var status: String
        var phone: String?
    }

    struct Organization {
        var organizationCode: String
        var creditCode: String?
        var name: String
        var legalRepresentative: String
        var status: String
    }

    var people: [Person] = []
    var organizations: [Organization] = []

    init(residents: Int, organizations organizationCount: Int, seed: UInt64, today: CivilDate) {
        var random = SeededGenerator(seed: seed)
        let numbers = SyntheticNumbers()
        let names = SyntheticPeople()
        let births = CivilDate(year: 1940, month: 1, day: 1)!...CivilDate(year: today.year - 16, month: 1, day: 1)!
        var seenIDs = Set<String>()
        while people.count < residents {
            let id = numbers.residentID(bornIn: births, using: &random)
            guard seenIDs.insert(id).inserted else { continue }
            let draw = Int.random(in: 0..<100, using: &random)
            let status = draw == 0 ? "deceased" : draw == 1 ? "cancelled" : "active"
            let phone = Int.random(in: 0..<10, using: &random) < 3 ? names.phone(using: &random) : nil
            people.append(Person(name: names.name(using: &random), residentID: id, status: status, phone: phone))
        }
        var seenCodes = Set<String>()
        while organizations.count < organizationCount {
            let code = numbers.organizationCode(using: &random)
            guard seenCodes.insert(code).inserted else { continue }
            // Codes issued since 2015 come with a credit code; older organizations have none.
            let credit = Int.random(in: 0..<5, using: &random) == 0 || !code.allSatisfy({ CreditCode.alphabet.contains($0) })
                ? nil : numbers.creditCode(organizationCode: code, using: &random)
            let draw = Int.random(in: 0..<100, using: &random)
            let status = draw == 0 ? "revoked" : draw == 1 ? "cancelled" : "active"
            organizations.append(Organization(
                organizationCode: code, creditCode: credit, name: names.organizationName(using: &random) + "\(organizations.count + 1)号",
                legalRepresentative: names.name(using: &random), status: status))
        }
    }

    func residentsCSV() -> String {
        var text = "resident_id,name,status,phone\r\n"
        for person in people {
            text += "\(person.residentID),\(CSVWriter.encoded(person.name)),\(person.status),\(person.phone ?? "")\r\n"
        }
        return text
    }

    func organizationsCSV() -> String {
        var text = "organization_code,credit_code,name,legal_representative,status\r\n"
        for organization in organizations {
            text += "\(organization.organizationCode),\(organization.creditCode ?? ""),\(CSVWriter.encoded(organization.name)),\(CSVWriter.encoded(organization.legalRepresentative)),\(organization.status)\r\n"
        }
        return text
    }

    /// Sample applications a newcomer can send with curl: valid ones and the typical failures.
    func sampleApplications(site: String?) -> [(file: String, body: [String: Any])] {
        // The walk-through's people have no phone on file, so that they are approved at once; one
        // sample shows the possession check (its code lands in the development outbox).
        let active = people.filter { $0.status == "active" && $0.phone == nil }
        guard active.count >= 4, let company = organizations.first(where: { $0.status == "active" && $0.creditCode != nil }) else {
            return []
        }
        let person = active[0]
        let operatorPerson = active[1]
        let mistyped = String(person.residentID.dropLast()) + (person.residentID.hasSuffix("0") ? "1" : "0")
        func individual(_ name: String, _ id: String) -> [String: Any] {
            var body: [String: Any] = ["subject_type": "individual", "name": name, "resident_id": id]
            if let site { body["site"] = site }
            return body
        }
        func organization(name: String, legalRepresentative: String) -> [String: Any] {
            var body: [String: Any] = [
                "subject_type": "organization", "organization_name": name, "credit_code": company.creditCode!,
                "legal_representative": legalRepresentative, "operator": ["name": operatorPerson.name, "resident_id": operatorPerson.residentID],
            ]
            if let site { body["site"] = site }
            return body
        }
        var samples: [(file: String, body: [String: Any])] = [
            ("individual-valid.json", individual(person.name, person.residentID)),
            ("individual-typo-checksum.json", individual(person.name, mistyped)),
            ("individual-borrowed-name.json", individual(active[2].name == person.name ? "张冒名" : active[2].name, person.residentID)),
            ("organization-valid.json", organization(name: company.name, legalRepresentative: company.legalRepresentative)),
            ("organization-impersonation.json", organization(name: company.name, legalRepresentative: active[3].name)),
            ("organization-stale-name.json", organization(name: "新" + company.name,
                                                          legalRepresentative: company.legalRepresentative)),
        ]
        if let withX = active.first(where: { $0.residentID.hasSuffix("X") }) {
            samples.append(("individual-lowercase-x.json", individual(withX.name, String(withX.residentID.dropLast()) + "x")))
        }
        if let withPhone = people.first(where: { $0.status == "active" && $0.phone != nil }) {
            samples.append(("individual-with-phone.json", individual(withPhone.name, withPhone.residentID)))
        }
        if let inactive = people.first(where: { $0.status != "active" }) {
            samples.append(("individual-inactive.json", individual(inactive.name, inactive.residentID)))
        }
        return samples
    }
}
