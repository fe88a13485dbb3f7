/// A reason an identity number was refused.
///
/// Raw values are a frozen public contract: they appear in API responses, audit entries and
/// statistics exports. Never rename or reuse one (Docs/REASON-CODES.md lists them).
public protocol IdentityViolation: Error, RawRepresentable<String>, CaseIterable, Sendable, Hashable {
    static var empty: Self { get }
    static var whitespace: Self { get }
    static var nonASCII: Self { get }
    static var separator: Self { get }
    /// The kind-specific length rule; every candidate longer than any valid number breaks it.
    static var length: Self { get }
    /// A plain-language explanation for the applicant, in English.
    var message: String { get }
}

extension IdentityViolation {
    /// The kind's violation for a common rule.
    @inlinable
    public init(_ common: CommonViolation) {
        switch common {
        case .empty: self = .empty
        case .whitespace: self = .whitespace
        case .nonASCII: self = .nonASCII
        case .separator: self = .separator
        }
    }
}

/// What the rules need besides the candidate itself, injected so that results are reproducible.
public struct ValidationContext: Sendable {
    /// Today in Asia/Shanghai; a birth date after it is refused.
    public var today: CivilDate
    /// The division codes address and division fields must come from.
    public var regions: RegionTable

    public init(today: CivilDate, regions: RegionTable = .standard) {
        self.today = today
        self.regions = regions
    }
}

/// A number that exists only once it has passed every rule of its standard ("parse, don't validate").
public protocol IdentityNumber: Sendable, Hashable, CustomStringConvertible {
    associatedtype Violation: IdentityViolation

    /// The longest candidate that can be valid; anything longer breaks a common rule or `length`.
    static var maximumLength: Int { get }

    /// The first rule `bytes` breaks, or `nil` if they form a valid number. Allocates nothing.
    static func violation(in bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) -> Violation?

    /// Builds the value from bytes that `violation(in:context:)` accepted.
    init(uncheckedValidBytes bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext)

    /// The number exactly as the standard writes it.
    var canonical: String { get }
}

extension IdentityNumber {
    /// Parses a candidate, throwing the first rule it breaks.
    @inlinable
    public init(validating text: some StringProtocol, context: ValidationContext) throws(Violation) {
        let result: Result<Self, Violation> = withUTF8Bytes(of: text) { bytes in
            if let violation = Self.violation(in: bytes, context: context) { return .failure(violation) }
            return .success(Self(uncheckedValidBytes: bytes, context: context))
        }
        self = try result.get()
    }

    /// The first rule `text` breaks, or `nil` if it is valid.
    @inlinable
    public static func violation(in text: some StringProtocol, context: ValidationContext) -> Violation? {
        withUTF8Bytes(of: text) { violation(in: $0, context: context) }
    }
}
