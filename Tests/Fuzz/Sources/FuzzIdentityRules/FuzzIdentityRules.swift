// Fuzz target: the identity rules (IDCARules) and the name rules and application screening that
// build on them (IDCACore).
//
// The first input byte picks what the rest is fed to; seeds use the letters below, and any other
// byte picks a mode by its value modulo the number of modes.
//
//   R  resident ID number          C  credit code               O  organization code
//   P  person name                 N  organization name
//   S  screening of an individual: resident ID, LF, name
//   T  screening of an organization: credit code, LF, organization code, LF, name, LF, legal
//      representative, LF, operator name, LF, operator resident ID (an empty code means "not given")
//   U  the helpers: check characters, the 15-digit upgrade, masking
//   I  random identifiers (app_…, site_…) and base32
//   D  calendar days: the text as `YYYY-MM-DD` (the auditors' report windows parse their `from`
//      and `to` parameters with it), and its first 8 bytes as a day count and an instant
//
// Besides not crashing: every verdict equals the one of the plain re-implementation in
// FuzzSupport/ReferenceRules.swift; the byte and string entry points agree; an accepted number
// re-validates to the same value and its parts are the bytes it came from; the name rules' output
// obeys the rules it promises; screening reports the first failing field.

import Foundation
import FuzzSupport
import IDCACore
import IDCARules

private let referenceToday = (year: 2026, month: 11, day: 29)
private let contexts: [(ValidationContext, (year: Int, month: Int, day: Int))] = [
    (ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!), referenceToday),
    // A leap day, so that "born today" and "born tomorrow" sit on month and year edges too.
    (ValidationContext(today: CivilDate(year: 2000, month: 2, day: 29)!), (2000, 2, 29)),
]
private let regions = RegionTable.standard

private func digits(_ bytes: some Collection<UInt8>) -> Int {
    bytes.reduce(0) { $0 * 10 + Int($1 &- UInt8(ascii: "0")) }
}

private func withBuffer<R>(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    bytes.withUnsafeBufferPointer(body)
}

// MARK: - Numbers

private func fuzzResidentID(_ bytes: [UInt8]) {
    for (context, today) in contexts {
        let violation = withBuffer(bytes) { ResidentIDNumber.violation(in: $0, context: context) }
        let expected = ReferenceRules.residentID(bytes, today: today, regions: regions)
        check(violation?.rawValue == expected,
              "resident ID \"\(escaped(bytes))\" (today \(context.today)): rules say \(violation?.rawValue ?? "valid"), reference says \(expected ?? "valid")")
        guard let text = String(validating: bytes, as: UTF8.self) else { continue }
        check(ResidentIDNumber.violation(in: text, context: context) == violation, "string and byte entry points disagree on \"\(escaped(bytes))\"")
        check(ResidentIDNumber.violation(in: text[...], context: context) == violation, "substring entry point disagrees on \"\(escaped(bytes))\"")
        do {
            let number = try ResidentIDNumber(validating: text, context: context)
            check(violation == nil, "init(validating:) accepted \"\(escaped(bytes))\" that violation(in:) refuses as \(violation!.rawValue)")
            check(Array(number.canonical.utf8) == bytes, "canonical differs from the input")
            check(number.region.code == digits(bytes[0..<6]), "region \(number.region.code) is not the address code")
            check(regions.region(code: number.region.code) == number.region, "region not from the table")
            check(number.province == regions.province(containing: number.region.code), "province lookup differs")
            if let province = number.province { check(province.code == number.region.code / 10_000 * 10_000, "province is not the xx0000 code") }
            check(number.birthDate.year == digits(bytes[6..<10]) && number.birthDate.month == digits(bytes[10..<12])
                      && number.birthDate.day == digits(bytes[12..<14]), "birth date is not characters 7–14")
            check(number.birthDate <= context.today && number.birthDate >= CivilDate.earliestBirthDate, "birth date out of range accepted")
            check(number.sequence == digits(bytes[14..<17]), "sequence is not characters 15–17")
            check(number.sex == (number.sequence % 2 == 1 ? .male : .female), "sex is not the sequence's parity")
            let masked = String(decoding: bytes[0..<6], as: UTF8.self) + "********" + String(decoding: bytes[14..<18], as: UTF8.self)
            check(number.masked == masked && number.description == masked && ResidentIDNumber.mask(text) == masked, "masking differs")
            check(!number.debugDescription.contains(String(decoding: bytes[6..<14], as: UTF8.self)), "debugDescription shows the birth date")
            let again = try ResidentIDNumber(validating: number.canonical, context: context)
            check(again == number && again.hashValue == number.hashValue, "re-validating the canonical form gives another value")
        } catch {
            check(error == violation, "init(validating:) threw \(error.rawValue), violation(in:) says \(violation?.rawValue ?? "valid")")
        }
    }
}

private func fuzzCreditCode(_ bytes: [UInt8]) {
    let context = contexts[0].0
    let violation = withBuffer(bytes) { CreditCode.violation(in: $0, context: context) }
    let expected = ReferenceRules.creditCode(bytes, regions: regions)
    check(violation?.rawValue == expected,
          "credit code \"\(escaped(bytes))\": rules say \(violation?.rawValue ?? "valid"), reference says \(expected ?? "valid")")
    guard let text = String(validating: bytes, as: UTF8.self) else { return }
    check(CreditCode.violation(in: text, context: context) == violation, "string and byte entry points disagree on \"\(escaped(bytes))\"")
    do {
        let code = try CreditCode(validating: text, context: context)
        check(violation == nil, "init(validating:) accepted a refused credit code \"\(escaped(bytes))\"")
        check(Array(code.canonical.utf8) == bytes && code.description == text, "canonical differs from the input")
        check(code.division.code == digits(bytes[2..<8]), "division is not characters 3–8")
        check(code.province == regions.province(containing: code.division.code), "province lookup differs")
        check(Array(code.organizationCode.canonical.utf8) == Array(bytes[8..<17]), "embedded organization code is not characters 9–17")
        check(code.registrationAuthority == Character(Unicode.Scalar(bytes[0])), "registration authority is not character 1")
        check(code.organizationCategory == Character(Unicode.Scalar(bytes[1])), "organization category is not character 2")
        // GB 32100 does not apply the reserved range to the embedded code; every other GB 11714 rule holds.
        let embedded = OrganizationCode.violation(in: code.organizationCode.canonical, context: context)
        check(embedded == nil || embedded == .reservedCustomRange, "embedded organization code fails \(embedded!.rawValue)")
        check(CreditCode.checkCharacter(forFirst17: text.prefix(17)) == text.last, "checkCharacter(forFirst17:) disagrees with a valid code")
        let again = try CreditCode(validating: code.canonical, context: context)
        check(again == code, "re-validating gives another value")
    } catch {
        check(error == violation, "init(validating:) threw \(error.rawValue), violation(in:) says \(violation?.rawValue ?? "valid")")
    }
}

private func fuzzOrganizationCode(_ bytes: [UInt8]) {
    let context = contexts[0].0
    let violation = withBuffer(bytes) { OrganizationCode.violation(in: $0, context: context) }
    let expected = ReferenceRules.organizationCode(bytes)
    check(violation?.rawValue == expected,
          "organization code \"\(escaped(bytes))\": rules say \(violation?.rawValue ?? "valid"), reference says \(expected ?? "valid")")
    guard let text = String(validating: bytes, as: UTF8.self) else { return }
    check(OrganizationCode.violation(in: text, context: context) == violation, "string and byte entry points disagree on \"\(escaped(bytes))\"")
    do {
        let code = try OrganizationCode(validating: text, context: context)
        check(violation == nil, "init(validating:) accepted a refused organization code \"\(escaped(bytes))\"")
        check(code.canonical == text && code.description == text, "canonical differs from the input")
        check(code.display == String(text.prefix(8)) + "-" + String(text.suffix(1)), "display is not XXXXXXXX-X")
        check(OrganizationCode.checkCharacter(forBody: text.prefix(8)) == text.last, "checkCharacter(forBody:) disagrees with a valid code")
        let again = try OrganizationCode(validating: code.canonical, context: context)
        check(again == code, "re-validating gives another value")
    } catch {
        check(error == violation, "init(validating:) threw \(error.rawValue), violation(in:) says \(violation?.rawValue ?? "valid")")
    }
}

// MARK: - Names

private let forbiddenCategories: Set<Unicode.GeneralCategory> = [
    .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse,
]

private func obeysNameRules(_ name: String) -> Bool {
    !name.isEmpty && name.count <= NameRules.maximumLength
        && !name.unicodeScalars.contains { forbiddenCategories.contains($0.properties.generalCategory) }
}

private func fuzzPersonName(_ bytes: [UInt8]) {
    let raw = String(decoding: bytes, as: UTF8.self)
    // The normalized name is hashed as bytes (the registry's name hash): canonically equivalent
    // spellings of a name — what one keyboard composes and another does not — must give the same
    // bytes, or the same person stops matching the registry.
    let decomposed = raw.decomposedStringWithCanonicalMapping
    let fromDecomposed = try? NameRules.normalizedPersonName(decomposed)
    guard let name = try? NameRules.normalizedPersonName(raw) else {
        check(fromDecomposed == nil, "\"\(escaped(raw))\" is refused, its NFD form \"\(escaped(decomposed))\" accepted")
        return
    }
    check(fromDecomposed.map { Array($0.utf8) } == Array(name.utf8),
          "canonically equivalent spellings normalize to different bytes: \"\(escaped(raw))\" → \"\(escaped(name))\", NFD → \(fromDecomposed.map { "\"\(escaped($0))\"" } ?? "refused")")
    check(obeysNameRules(name), "accepted person name \"\(escaped(name))\" breaks the name rules")
    check(name.trimmingCharacters(in: .whitespacesAndNewlines).utf8.elementsEqual(name.utf8), "accepted person name \"\(escaped(name))\" has surrounding whitespace")
    check(!name.contains(where: { ["\u{2022}", "\u{2027}", "\u{30FB}", "\u{FF65}"].contains($0) }), "a middle-dot variant survived in \"\(escaped(name))\"")
    let again = try? NameRules.normalizedPersonName(name)
    check(again.map { $0.utf8.elementsEqual(name.utf8) } ?? false,
          "normalizedPersonName is not idempotent: \"\(escaped(raw))\" → \"\(escaped(name))\" → \(again.map { "\"\(escaped($0))\"" } ?? "refused")")
}

private func fuzzOrganizationName(_ bytes: [UInt8]) {
    let raw = String(decoding: bytes, as: UTF8.self)
    guard let name = try? NameRules.normalizedOrganizationName(raw) else { return }
    check(obeysNameRules(name), "accepted organization name \"\(escaped(name))\" breaks the name rules")
    check(!name.unicodeScalars.contains { $0.properties.isWhitespace }, "whitespace survived in \"\(escaped(name))\"")
    let again = try? NameRules.normalizedOrganizationName(name)
    // Found here once (Tests/IDCACoreTests/FuzzFindingsTests.swift): whitespace removed after NFKC left
    // a letter and its combining mark apart, and the next normalization composed them.
    check(again.map { $0.utf8.elementsEqual(name.utf8) } ?? false,
          "normalizedOrganizationName is not idempotent: \"\(escaped(raw))\" → \"\(escaped(name))\" → \(again.map { "\"\(escaped($0))\"" } ?? "refused")")
}

// MARK: - Screening

private func split(_ bytes: [UInt8], parts: Int) -> [String] {
    var fields = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: parts - 1, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while fields.count < parts { fields.append("") }
    return fields
}

/// What screening an individual must answer, from the parts it is built on.
private func expectedPerson(_ claim: PersonClaim, context: ValidationContext, idField: ApplicationField,
                            nameField: ApplicationField) -> (reason: String, field: ApplicationField?)? {
    if let violation = ResidentIDNumber.violation(in: claim.residentID, context: context) { return (violation.rawValue, idField) }
    if (try? NameRules.normalizedPersonName(claim.name)) == nil { return (DecisionReason.nameInvalid.rawValue, nameField) }
    return nil
}

private func fuzzScreenPerson(_ bytes: [UInt8]) {
    let fields = split(bytes, parts: 2)
    let claim = PersonClaim(name: fields[1], residentID: fields[0])
    let context = contexts[0].0
    let expected = expectedPerson(claim, context: context, idField: .residentID, nameField: .name)
    switch ApplicationScreening.screen(claim, context: context) {
    case .success(let person):
        check(expected == nil, "screening accepted \"\(escaped(bytes))\", expected \(expected!.reason)")
        check(person.residentID.canonical == claim.residentID, "screened resident ID differs")
        check(person.normalizedName == (try? NameRules.normalizedPersonName(claim.name)), "screened name differs")
    case .failure(let rejection):
        check(expected.map { $0.reason == rejection.reason && $0.field == rejection.field } ?? false,
              "screening \"\(escaped(bytes))\" refused with \(rejection.reason) (\(rejection.field?.rawValue ?? "-")), expected \(expected.map { "\($0.reason) (\($0.field?.rawValue ?? "-"))" } ?? "acceptance")")
    }
}

private func fuzzScreenOrganization(_ bytes: [UInt8]) {
    let fields = split(bytes, parts: 6)
    let claim = OrganizationClaim(
        organizationName: fields[2], creditCode: fields[0].isEmpty ? nil : fields[0],
        organizationCode: fields[1].isEmpty ? nil : fields[1], legalRepresentative: fields[3],
        operatorPerson: PersonClaim(name: fields[4], residentID: fields[5]))
    let context = contexts[0].0

    var expected: (reason: String, field: ApplicationField?)?
    var embedded: String?
    if let text = claim.creditCode {
        if let violation = CreditCode.violation(in: text, context: context) {
            expected = (violation.rawValue, .creditCode)
        } else {
            embedded = String(decoding: Array(text.utf8.dropFirst(8).prefix(9)), as: UTF8.self)
        }
    }
    if expected == nil, let text = claim.organizationCode {
        if let violation = OrganizationCode.violation(in: text, context: context) {
            expected = (violation.rawValue, .organizationCode)
        } else if let embedded, embedded != text {
            expected = (DecisionReason.organizationCodeMismatch.rawValue, .organizationCode)
        }
    }
    if expected == nil && claim.creditCode == nil && claim.organizationCode == nil { expected = ("empty", .organizationCode) }
    if expected == nil && (try? NameRules.normalizedOrganizationName(claim.organizationName)) == nil {
        expected = (DecisionReason.nameInvalid.rawValue, .organizationName)
    }
    if expected == nil && (try? NameRules.normalizedPersonName(claim.legalRepresentative)) == nil {
        expected = (DecisionReason.nameInvalid.rawValue, .legalRepresentative)
    }
    if expected == nil {
        expected = expectedPerson(claim.operatorPerson, context: context, idField: .operatorResidentID, nameField: .operatorName)
    }

    switch ApplicationScreening.screen(claim, context: context) {
    case .success(let organization):
        check(expected == nil, "organization screening accepted \"\(escaped(bytes))\", expected \(expected!.reason)")
        check(organization.key.organizationCode == (embedded ?? claim.organizationCode!), "organization key differs")
        if claim.creditCode != nil {
            check(organization.key.divisionCode == digits(claim.creditCode!.utf8.dropFirst(2).prefix(6)), "division differs")
        } else {
            check(organization.key.divisionCode == nil, "a division without a credit code")
        }
        check(organization.operatorPerson.residentID.canonical == claim.operatorPerson.residentID, "operator differs")
    case .failure(let rejection):
        check(expected.map { $0.reason == rejection.reason && $0.field == rejection.field } ?? false,
              "organization screening \"\(escaped(bytes))\" refused with \(rejection.reason) (\(rejection.field?.rawValue ?? "-")), expected \(expected.map { "\($0.reason) (\($0.field?.rawValue ?? "-"))" } ?? "acceptance")")
    }
}

// MARK: - Helpers and identifiers

private func fuzzHelpers(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let isDigits = bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }

    let residentCheck = ResidentIDNumber.checkCharacter(forFirst17: text)
    check((residentCheck != nil) == (bytes.count == 17 && isDigits), "checkCharacter(forFirst17:) answers for \"\(escaped(bytes))\"")
    if let residentCheck {
        let full = bytes + Array(String(residentCheck).utf8)
        check(ReferenceRules.residentID(full, today: (9999, 12, 31), regions: regions).map { $0 != "checksum" } ?? true,
              "resident check character \(residentCheck) for \"\(escaped(bytes))\" fails the checksum")
    }

    let upgraded = ResidentIDNumber.upgrading(legacy: text)
    check((upgraded != nil) == (bytes.count == 15 && isDigits), "upgrading(legacy:) answers for \"\(escaped(bytes))\"")
    if let upgraded {
        let expected = Array(bytes[0..<6]) + Array("19".utf8) + Array(bytes[6..<15])
        check(Array(upgraded.utf8.prefix(17)) == expected && upgraded.utf8.count == 18, "upgrade of \"\(escaped(bytes))\" is \(upgraded)")
        check(ReferenceRules.residentID(Array(upgraded.utf8), today: (9999, 12, 31), regions: regions).map { $0 != "checksum" } ?? true,
              "upgrade of \"\(escaped(bytes))\" has a wrong check character")
    }

    let creditCheck = CreditCode.checkCharacter(forFirst17: text)
    let inCreditAlphabet = bytes.allSatisfy { ReferenceRules.creditAlphabet.contains($0) }
    check((creditCheck != nil) == (bytes.count == 17 && inCreditAlphabet), "CreditCode.checkCharacter answers for \"\(escaped(bytes))\"")
    if let creditCheck, bytes.first.map({ "123456789ANY".utf8.contains($0) }) == true, bytes[2..<8].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
        let verdict = ReferenceRules.creditCode(bytes + Array(String(creditCheck).utf8), regions: regions)
        check(verdict != "checksum", "credit check character \(creditCheck) for \"\(escaped(bytes))\" fails the checksum")
    }

    let organizationCheck = OrganizationCode.checkCharacter(forBody: text)
    let bodyValid = bytes.count == 8 && bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    check((organizationCheck != nil) == bodyValid, "OrganizationCode.checkCharacter answers for \"\(escaped(bytes))\"")
    if let organizationCheck {
        check(ReferenceRules.organizationCheck(bytes[...]) == UInt8(ascii: organizationCheck.unicodeScalars.first!),
              "organization check character for \"\(escaped(bytes))\" differs")
    }

    let masked = ResidentIDNumber.mask(text)
    if text.utf8.count == 18 && text.utf8.allSatisfy({ $0 < 0x80 }) {
        check(Array(masked.utf8) == Array(text.utf8.prefix(6)) + Array("********".utf8) + Array(text.utf8.suffix(4)), "mask of an 18-character text")
    } else {
        check(masked.allSatisfy { $0 == "*" } && masked.count == text.count, "mask of \"\(escaped(bytes))\" shows characters: \(masked)")
    }
}

private func fuzzIdentifiers(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    for (prefix, parsed) in [("app_", ApplicationID(rawValue: text)?.rawValue), ("site_", SiteID(rawValue: text)?.rawValue)] {
        let body = Array(text.utf8.dropFirst(prefix.utf8.count))
        let shaped = text.utf8.starts(with: prefix.utf8) && body.count == 26 && body.allSatisfy { alphabet.contains($0) }
        check((parsed != nil) == shaped, "\(prefix) identifier \"\(escaped(bytes))\" \(parsed != nil ? "accepted" : "refused")")
        if let parsed { check(parsed == text, "identifier changed") }
    }
    let encoded = Base32.encode(bytes)
    check(Base32.isEncoding(encoded, ofByteCount: bytes.count), "Base32.encode output is not an encoding of its length")
    check(encoded.utf8.count == (bytes.count * 8 + 4) / 5, "Base32 length")
}

// MARK: - Calendar days

private func fuzzCivilDate(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = CivilDate(iso8601: text)
    let shaped = bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
        && [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
    let expected = shaped && ReferenceRules.isRealDate(year: digits(bytes[0..<4]), month: digits(bytes[5..<7]), day: digits(bytes[8..<10]))
    check((parsed != nil) == expected, "CivilDate(iso8601: \"\(escaped(bytes))\") is \(parsed.map { "\($0)" } ?? "nil")")
    if let parsed {
        check(parsed.description == text, "\(parsed) does not print as its text \"\(escaped(bytes))\"")
        check(CivilDate(daysSinceUnixEpoch: parsed.daysSinceUnixEpoch) == parsed, "\(parsed) does not survive its day count")
        check(parsed.next.previous == parsed && parsed < parsed.next && parsed.previous < parsed, "next/previous around \(parsed)")
    }
    guard bytes.count >= 8 else { return }
    let raw = bytes[0..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
    // Day counts for years −5,000,000 to +5,000,000: far beyond any date idca stores.
    let days = raw % 1_826_250_000
    let date = CivilDate(daysSinceUnixEpoch: days)
    check(date.daysSinceUnixEpoch == days, "day \(days) → \(date.year)-\(date.month)-\(date.day) → day \(date.daysSinceUnixEpoch)")
    check(CivilDate.isValid(year: date.year, month: date.month, day: date.day), "day \(days) is not a real date")
    let seconds = raw % (86_400 * 1_826_250_000)
    let day = CivilDate(shanghaiDayOf: seconds)
    let shifted = seconds + 8 * 3600
    let expectedDay = shifted >= 0 ? shifted / 86_400 : -((-shifted + 86_399) / 86_400)
    check(day.daysSinceUnixEpoch == expectedDay, "instant \(seconds) is Shanghai day \(day), expected day \(expectedDay)")
}

// MARK: - Entry points

nonisolated(unsafe) private let modes: [(UInt8, ([UInt8]) -> Void)] = [
    (UInt8(ascii: "R"), fuzzResidentID), (UInt8(ascii: "C"), fuzzCreditCode), (UInt8(ascii: "O"), fuzzOrganizationCode),
    (UInt8(ascii: "P"), fuzzPersonName), (UInt8(ascii: "N"), fuzzOrganizationName), (UInt8(ascii: "S"), fuzzScreenPerson),
    (UInt8(ascii: "T"), fuzzScreenOrganization), (UInt8(ascii: "U"), fuzzHelpers), (UInt8(ascii: "I"), fuzzIdentifiers),
    (UInt8(ascii: "D"), fuzzCivilDate),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentityRules(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let mode = modes.first { $0.0 == selector } ?? modes[Int(selector) % modes.count]
    mode.1(Array(input.dropFirst()))
    return 0
}

@_cdecl("FuzzIdentityRules_main")
public func fuzzIdentityRulesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzIdentityRules)
}
