#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import IDCAHTTP

/// What one client connection may cost `idca serve` (Docs/RELIABILITY.md, Docs/CONFIGURATION.md).
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Client connections open at once; more wait until one closes, 16–1000000 (env IDCA_MAX_CONNECTIONS; default 4096).", valueName: "n"))
    var maxConnections: Int?
    @Option(help: ArgumentHelp("Seconds a connection may stay open with no request in progress, and the time a client has to send a request's headers, 1–3600 (env IDCA_IDLE_TIMEOUT; default 30).", valueName: "seconds"))
    var idleTimeout: Int?
    @Option(help: ArgumentHelp("Seconds from a request's headers to the last byte of its body, 1–300 (env IDCA_REQUEST_TIMEOUT; default 10).", valueName: "seconds"))
    var requestTimeout: Int?

    func resolved() throws -> ConnectionLimits {
        ConnectionLimits(
            maximumConnections: Int(try NumericSetting(name: "connection limit", flag: maxConnections, environment: "IDCA_MAX_CONNECTIONS",
                                                       default: 4096, range: 16...1_000_000).value()),
            idleTimeout: .seconds(try NumericSetting(name: "idle timeout in seconds", flag: idleTimeout, environment: "IDCA_IDLE_TIMEOUT",
                                                     default: 30, range: 1...3600).value()),
            requestTimeout: .seconds(try NumericSetting(name: "request timeout in seconds", flag: requestTimeout, environment: "IDCA_REQUEST_TIMEOUT",
                                                        default: 10, range: 1...300).value()))
    }

    func validate() throws {
        _ = try resolved()
    }
}

/// File descriptors the server needs beside its client connections: the database and its WAL, the
/// reader pool, PostgreSQL connections, the outbox, the listening socket, logs.
let reservedDescriptors = 256

/// Raises the soft limit on open files as far as `connections` needs (up to the hard limit), and
/// returns how many connections the limit allows: running out of descriptors would fail accepts and
/// database opens alike, so the connection limit is lowered to fit rather than left to fail.
func fitConnectionsToDescriptorLimit(_ connections: Int) -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return connections }
    let needed = rlim_t(connections + reservedDescriptors)
    if limit.rlim_cur < needed {
        limit.rlim_cur = min(needed, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    guard limit.rlim_cur < needed else { return connections }
    return max(16, Int(limit.rlim_cur) - reservedDescriptors)
}
