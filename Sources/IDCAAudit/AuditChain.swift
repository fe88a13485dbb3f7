import Crypto
import IDCACore
import IDCATokens

/// The hash chain: each entry's hash covers its own fields and the previous entry's hash, so that
/// changing, removing, inserting or reordering any entry changes every hash after it.
///
/// The canonical encoding is specified byte for byte in Docs/AUDIT-LOG.md (and re-implemented
/// independently in Tests/Audit/verify_chain.py):
///
///     "idca-audit-v1" 0x00
///     prev_hash            32 bytes (the previous entry's hash; 32 zero bytes before entry 1)
///     sequence             8 bytes, unsigned big-endian
///     time                 8 bytes, signed big-endian (seconds since 1970-01-01T00:00:00Z)
///     type, actor, subject, outcome, reason, object, detail
///                          each: 4-byte unsigned big-endian length, then that many UTF-8 bytes
///
/// A length prefix on every text field makes the encoding unambiguous without any escaping: no two
/// different entries encode to the same bytes.
public enum AuditChain {
    static let domain: [UInt8] = Array("idca-audit-v1".utf8) + [0]

    /// The entry `event` becomes when appended after `head`.
    public static func link(_ event: AuditEvent, after head: AuditHead) -> AuditEntry {
        var entry = AuditEntry(
            sequence: head.sequence + 1, time: event.time, type: event.kind.rawValue, actor: event.actor.description,
            subject: event.subject, outcome: event.outcome, reason: event.reason, object: event.object, detail: event.detail,
            prevHash: head.hash, hash: "")
        entry.hash = hash(of: entry)
        return entry
    }

    /// The hash `entry` should carry, from its fields and its `prevHash`; `nil` when `prevHash` is
    /// not 64 lower-case hex digits (a damaged entry).
    public static func expectedHash(of entry: AuditEntry) -> String? {
        guard let previous = Hex.decode(entry.prevHash), previous.count == 32 else { return nil }
        return hash(of: entry, previous: previous)
    }

    static func hash(of entry: AuditEntry) -> String {
        // `link` only ever passes a head it read from the log or the genesis head, both well formed.
        hash(of: entry, previous: Hex.decode(entry.prevHash) ?? [UInt8](repeating: 0, count: 32))
    }

    /// The canonical bytes of an entry (everything but its own hash).
    public static func canonicalBytes(of entry: AuditEntry, previous: [UInt8]) -> [UInt8] {
        var bytes = domain
        bytes.reserveCapacity(128 + entry.detail.utf8.count + entry.subject.utf8.count)
        bytes.append(contentsOf: previous)
        append(UInt64(bitPattern: entry.sequence), to: &bytes)
        append(UInt64(bitPattern: entry.time), to: &bytes)
        for field in [entry.type, entry.actor, entry.subject, entry.outcome, entry.reason, entry.object, entry.detail] {
            let utf8 = field.utf8
            let length = UInt32(utf8.count)
            bytes.append(contentsOf: [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)])
            bytes.append(contentsOf: utf8)
        }
        return bytes
    }

    static func hash(of entry: AuditEntry, previous: [UInt8]) -> String {
        SHA256.hash(data: canonicalBytes(of: entry, previous: previous)).withUnsafeBytes { Hex.encode($0) }
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(value >> UInt64(shift) & 0xFF)) }
    }
}
