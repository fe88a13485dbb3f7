import IDCARules

/// The day the tables below are written against: 29 November 2026 in Asia/Shanghai.
let referenceToday = CivilDate(year: 2026, month: 11, day: 29)!
let context = ValidationContext(today: referenceToday)

/// `first17` followed by its correct MOD 11-2 check character.
func residentID(_ first17: String) -> String {
    first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
}

/// `body` followed by its correct GB 11714 check character.
func organizationCode(_ body: String) -> String {
    body + String(OrganizationCode.checkCharacter(forBody: body)!)
}

/// `first17` followed by its correct GB 32100 check character.
func creditCode(_ first17: String) -> String {
    first17 + String(CreditCode.checkCharacter(forFirst17: first17)!)
}

/// A check character other than the right one.
func wrongCheck(_ right: Character) -> Character { right == "0" ? "1" : "0" }
