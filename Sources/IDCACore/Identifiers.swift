import IDCARules

/// Where idca gets randomness. Injected so that tests are reproducible; production uses the
/// system CSPRNG (`SystemRandomNumberGenerator`, getrandom(2) on Linux).
public protocol RandomSource: Sendable {
    /// `count` uniformly random bytes.
    func bytes(_ count: Int) -> [UInt8]
}

/// The system CSPRNG: the one place production randomness comes from.
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw: one getrandom(2) call per word rather than per byte (measured as a
        // visible share of application handling).
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

/// Where idca reads the time: seconds since 1970-01-01T00:00:00Z.
public protocol Clock: Sendable {
    func now() -> Int64
}

/// RFC 4648 base32, lower case, no padding: case-insensitive and safe in URLs and file names.
public enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int(buffer >> UInt32(bits) & 31)])
            }
        }
        if bits > 0 { output.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether `text` could be an encoding of `byteCount` bytes (right length, right alphabet).
    public static func isEncoding(_ text: String, ofByteCount byteCount: Int) -> Bool {
        text.utf8.count == (byteCount * 8 + 4) / 5 && text.utf8.allSatisfy { alphabet.contains($0) }
    }
}

/// An identifier made of a fixed prefix and 128 random bits (`app_…`, `site_…`): unguessable, so
/// that knowing one id tells nothing about any other.
public protocol RandomIdentifier: RawRepresentable<String>, Sendable, Hashable, CustomStringConvertible {
    static var prefix: String { get }
    init(uncheckedRawValue: String)
}

extension RandomIdentifier {
    /// 16 random bytes, base32: 26 characters after the prefix.
    public static var randomByteCount: Int { 16 }

    public static func generate(using random: some RandomSource) -> Self {
        Self(uncheckedRawValue: prefix + Base32.encode(random.bytes(randomByteCount)))
    }

    /// Accepts only the exact shape `generate` produces; anything else is not an id of this kind.
    public init?(rawValue: String) {
        guard rawValue.hasPrefix(Self.prefix),
              Base32.isEncoding(String(rawValue.dropFirst(Self.prefix.count)), ofByteCount: Self.randomByteCount)
        else { return nil }
        self.init(uncheckedRawValue: rawValue)
    }

    public var description: String { rawValue }
}

/// Identifies one application (`app_…`).
public struct ApplicationID: RandomIdentifier {
    public static let prefix = "app_"
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

/// Identifies one licensed site (`site_…`).
public struct SiteID: RandomIdentifier {
    public static let prefix = "site_"
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

/// RFC 3339 timestamps in UTC, the only time format idca's JSON uses.
public enum RFC3339 {
    /// `2026-11-29T08:30:00Z` for the given Unix time.
    public static func string(fromUnixSeconds seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSinceUnixEpoch: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
