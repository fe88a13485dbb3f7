import Foundation
import IDCATokens
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a child process produced.
struct ToolRun: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: [UInt8]
    let stderr: String

    var output: String { String(decoding: stdout, as: UTF8.self) }
    var description: String { "\(arguments.joined(separator: " ")) → status \(status), stderr: \(stderr.prefix(2000))" }
}

/// Runs external tools (openssl, python3) found on PATH.
enum Tool {
    /// Runs `arguments` through `/usr/bin/env`, with `stdin` as standard input. Output goes to
    /// files rather than pipes, so a chatty child can never deadlock against a full pipe.
    static func run(_ arguments: [String], stdin: [UInt8] = [], in directory: URL? = nil) throws -> ToolRun {
        let scratch = try TemporaryDirectory()
        let inputURL = scratch.url.appendingPathComponent("stdin")
        let outputURL = scratch.url.appendingPathComponent("stdout")
        let errorURL = scratch.url.appendingPathComponent("stderr")
        try Data(stdin).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let input = try FileHandle(forReadingFrom: inputURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        defer {
            try? input.close()
            try? output.close()
            try? error.close()
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        return ToolRun(
            arguments: arguments,
            status: process.terminationStatus,
            stdout: Array(try Data(contentsOf: outputURL)),
            stderr: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
        )
    }

    /// Whether `openssl` can be run at all (checked once).
    static let hasOpenSSL: Bool = (try? run(["openssl", "version"]).status == 0) ?? false

    /// Whether `python3` with `joserfc` can be run (checked once).
    static let hasJoserfc: Bool = (try? run(["python3", "-c", "import joserfc"]).status == 0) ?? false

    /// Tests/Interop/verify_token.py, found from this source file's location.
    static let interopScript: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/verify_token.py").path
}

/// A private directory that is removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/idca-tokens-XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        url = URL(fileURLWithPath: String(cString: created))
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Permission bits of a file, as `stat` reports them.
func fileMode(_ path: String) -> UInt32 {
    var status = stat()
    guard stat(path, &status) == 0 else { return 0xFFFF_FFFF }
    return UInt32(status.st_mode) & 0o7777
}

/// Fixed inputs shared by the token tests.
enum Fixture {
    static let issuer = "https://idca.test"
    static let site = "site_a"
    static let now: Int64 = 1_700_000_000
    static let signingKey = TokenSigningKey.generate()
    static let otherKey = TokenSigningKey.generate()
    static let verifier = TokenVerifier(keys: [signingKey.publicKey], issuer: issuer)

    static func claims(audience: String? = nil, notBefore: Int64 = now, expiresAt: Int64 = now + 3600) -> CertificationClaims {
        CertificationClaims(
            issuer: issuer, tokenID: CertificationClaims.newTokenID(), issuedAt: now, notBefore: notBefore,
            expiresAt: expiresAt, subjectType: "individual", assurance: "registry", audience: audience
        )
    }

    static var header: String { #"{"alg":"EdDSA","typ":"idca-cert+jwt","kid":"\#(signingKey.keyID)"}"# }

    /// The claim set as the issuer writes it; `replacing` swaps in raw JSON text for a member,
    /// `adding` appends members, and a `nil` replacement removes the member.
    static func payload(replacing replacements: [String: String?] = [:], adding extra: String = "") -> String {
        let members: [(String, String)] = [
            ("iss", "\"\(issuer)\""), ("jti", "\"AAAAAAAAAAAAAAAAAAAAAA\""), ("iat", "\(now)"), ("nbf", "\(now)"),
            ("exp", "\(now + 3600)"), ("sub_type", "\"individual\""), ("acr", "\"registry\""),
        ]
        var parts: [String] = []
        for (name, value) in members {
            if let replacement = replacements[name] {
                if let replacement { parts.append("\"\(name)\":\(replacement)") }
            } else {
                parts.append("\"\(name)\":\(value)")
            }
        }
        return "{" + parts.joined(separator: ",") + extra + "}"
    }

    /// A compact JWS over arbitrary header and payload text, correctly signed by `key`, so that a
    /// test isolates the one property it is about.
    static func token(header: String = header, payload: String = payload(), key: TokenSigningKey = signingKey) -> String {
        let signingInput = b64(header) + "." + b64(payload)
        return signingInput + "." + Base64URL.encode(key.sign(Array(signingInput.utf8)))
    }

    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }
}
