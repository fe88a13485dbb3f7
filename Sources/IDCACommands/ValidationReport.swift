import IDCARules

/// How `idca validate` prints a verdict: the details of a valid number, one JSON field at a time.
protocol ValidationReportable: IdentityNumber {
    /// Appends this number's detail fields (each as `,"name":value`) after `"valid":true`.
    func appendDetails(to output: inout OutputBuffer)
}

extension ResidentIDNumber: ValidationReportable {
    func appendDetails(to output: inout OutputBuffer) {
        output.appendJSONField("canonical", canonical)
        output.appendJSONField("masked", masked)
        output.appendJSONField("region_code", region.codeString)
        output.appendJSONField("region_name", region.name)
        output.appendJSONField("region_status", region.status.rawValue)
        output.appendJSONField("province", province?.name)
        output.appendJSONField("birth_date", birthDate.description)
        output.appendJSONField("sex", sex.rawValue)
    }
}

extension OrganizationCode: ValidationReportable {
    func appendDetails(to output: inout OutputBuffer) {
        output.appendJSONField("canonical", canonical)
        output.appendJSONField("display", display)
    }
}

extension CreditCode: ValidationReportable {
    func appendDetails(to output: inout OutputBuffer) {
        output.appendJSONField("canonical", canonical)
        output.appendJSONField("registration_authority", String(registrationAuthority))
        output.appendJSONField("organization_category", String(organizationCategory))
        output.appendJSONField("division_code", division.codeString)
        output.appendJSONField("division_name", division.name)
        output.appendJSONField("division_status", division.status.rawValue)
        output.appendJSONField("province", province?.name)
        output.appendJSONField("organization_code", organizationCode.canonical)
    }
}

/// Validates candidates of one kind and prints one verdict line for each.
///
/// Generic over the kind so that the hot loop is specialized: in text mode a valid line costs one
/// call to the allocation-free `violation(in:context:)` and one append of `VALID\n`.
struct ValidationReport<Number: ValidationReportable> {
    let context: ValidationContext
    var output: OutputBuffer
    let json: Bool
    /// Convert 15-digit first-generation resident IDs before validating, and print the number.
    let upgradesLegacyNumbers: Bool
    private(set) var invalidCount = 0

    init(context: ValidationContext, output: OutputBuffer, json: Bool, upgradesLegacyNumbers: Bool) {
        self.context = context
        self.output = output
        self.json = json
        self.upgradesLegacyNumbers = upgradesLegacyNumbers
    }

    mutating func report(_ line: InputLine) throws {
        switch line {
        case .bytes(let bytes):
            report(bytes)
        case .oversized(let flags):
            // Longer than the line buffer, hence than any number: the verdict is the first common
            // rule broken, or the kind's length rule.
            let violation = flags.firstViolation.map(Number.Violation.init) ?? .length
            reportInvalid(violation)
        }
        try output.flushIfFull()
    }

    mutating func report(_ bytes: UnsafeBufferPointer<UInt8>) {
        if upgradesLegacyNumbers, let upgraded = ResidentIDNumber.upgrading(legacy: bytes) {
            var upgraded = upgraded
            upgraded.withUTF8 { reportOne($0, upgraded: true) }
        } else {
            reportOne(bytes, upgraded: false)
        }
    }

    private mutating func reportOne(_ bytes: UnsafeBufferPointer<UInt8>, upgraded: Bool) {
        if let violation = Number.violation(in: bytes, context: context) {
            reportInvalid(violation, upgraded: upgraded)
            return
        }
        if !json && !upgradesLegacyNumbers {
            output.append("VALID\n")
            return
        }
        let number = Number(uncheckedValidBytes: bytes, context: context)
        if json {
            output.append("{\"valid\":true")
            number.appendDetails(to: &output)
            if upgradesLegacyNumbers { output.append(upgraded ? ",\"upgraded\":true" : ",\"upgraded\":false") }
            output.append("}\n")
        } else {
            output.append("VALID ")
            output.append(number.canonical)
            output.append("\n")
        }
    }

    private mutating func reportInvalid(_ violation: Number.Violation, upgraded: Bool = false) {
        invalidCount += 1
        if json {
            output.append("{\"valid\":false")
            output.appendJSONField("reason", violation.rawValue)
            output.appendJSONField("message", violation.message)
            // Tells a consumer whether the reason is about the converted 18-digit form.
            if upgradesLegacyNumbers { output.append(upgraded ? ",\"upgraded\":true" : ",\"upgraded\":false") }
            output.append("}\n")
        } else {
            output.append("INVALID:")
            output.append(violation.rawValue)
            output.append("\n")
        }
    }
}

extension ResidentIDNumber {
    /// `upgrading(legacy:)` for raw bytes, cheap to reject: only 15-digit lines build a string.
    static func upgrading(legacy bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 15 else { return nil }
        return upgrading(legacy: String(decoding: bytes, as: UTF8.self))
    }
}
