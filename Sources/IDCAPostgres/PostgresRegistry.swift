import Foundation
import IDCACore
import Logging
import PostgresNIO
import Synchronization

/// The registry tables: residents as keyed hashes and ciphertext, organizations as public data.
public struct PostgresRegistry: RegistryReader, RegistryWriter {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func resident(residentIDHash: String) async throws -> ResidentRecord? {
        try await database.read { client in
            guard let row = try await client.run(SQL.Resident.self, logger: database.logger, { $0.append(residentIDHash) }).first else {
                return nil
            }
            let (nameHash, status, region, phone, identity) = try row.decode((String, String, Int64, ByteBuffer?, ByteBuffer?).self)
            return ResidentRecord(
                residentIDHash: residentIDHash, nameHash: nameHash, status: ResidentStatus(rawValue: status) ?? .cancelled,
                regionCode: Int(region), sealedPhone: phone.map { Array($0.readableBytesView) },
                sealedIdentity: identity.map { Array($0.readableBytesView) })
        }
    }

    public func organization(_ key: OrganizationKey) async throws -> OrganizationRecord? {
        try await database.read { client in
            let rows: [PostgresRow]
            switch key {
            case .creditCode(let code):
                rows = try await client.run(SQL.OrganizationByCreditCode.self, logger: database.logger) { bindings in
                    bindings.append(code.canonical)
                    bindings.append(code.organizationCode.canonical)
                }
            case .organizationCode(let code):
                rows = try await client.run(SQL.OrganizationByCode.self, logger: database.logger) { $0.append(code.canonical) }
            }
            guard let row = rows.first else { return nil }
            let (code, credit, name, representative, status) = try row.decode((String, String?, String, String, String).self)
            return OrganizationRecord(organizationCode: code, creditCode: credit, name: name, legalRepresentative: representative,
                                      status: OrganizationStatus(rawValue: status) ?? .cancelled)
        }
    }

    public func residentCount() async throws -> Int { try await count("SELECT count(*) FROM residents") }
    public func organizationCount() async throws -> Int { try await count("SELECT count(*) FROM organizations") }

    private func count(_ query: PostgresQuery) async throws -> Int {
        try await database.read { client in
            for try await count in try await client.query(query, logger: database.logger).decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    public func importResidents(_ produce: (_ write: (ResidentRecord) throws -> Void) throws -> Void,
                                audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        try await bulkImport(
            table: "residents", key: "id_hash",
            columns: ["id_hash", "name_hash", "status", "region_code", "sealed_phone", "sealed_identity"],
            produce: { sink in
                try produce { record in
                    try sink.row { line in
                        line.text(record.residentIDHash)
                        line.text(record.nameHash)
                        line.text(record.status.rawValue)
                        line.integer(record.regionCode)
                        line.bytes(record.sealedPhone)
                        line.bytes(record.sealedIdentity)
                    }
                }
            }, audit: audit)
    }

    public func importOrganizations(_ produce: (_ write: (OrganizationRecord) throws -> Void) throws -> Void,
                                    audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        try await bulkImport(
            table: "organizations", key: "organization_code",
            columns: ["organization_code", "credit_code", "name", "legal_representative", "status"],
            produce: { sink in
                try produce { record in
                    try sink.row { line in
                        line.text(record.organizationCode)
                        line.text(record.creditCode)
                        line.text(record.name)
                        line.text(record.legalRepresentative)
                        line.text(record.status.rawValue)
                    }
                }
            }, audit: audit)
    }

    /// One transaction for the whole import: if anything fails, or the process dies midway, it never
    /// commits and the registry is exactly as before.
    ///
    /// Rows stream through `COPY … FROM STDIN` while `produce` (reading, checking, hashing and
    /// sealing: the CPU-bound part) runs on its own thread, so that the two overlap on two cores. Into
    /// an empty table the rows are copied directly; otherwise into a temporary table first, from
    /// which one `INSERT … ON CONFLICT DO UPDATE` upserts them (COPY cannot upsert). The file reader
    /// has already refused duplicate keys within one extract.
    private func bulkImport(table: String, key: String, columns: [String], produce: (CopySink) throws -> Void,
                            audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        let logger = database.logger
        return try await withoutActuallyEscaping(produce) { produce in
            let pipe = CopyPipe()
            let thread = ProducerThread(pipe: pipe, produce: produce)
            thread.start()
            do {
                let imported = try await database.client.withConnection { connection in
                    try await connection.transaction(logger: logger) { connection in
                        // Nothing else writes the registry concurrently: imports take turns.
                        try await connection.query("LOCK TABLE \(unescaped: table) IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                        var isEmpty = false
                        for try await empty in try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM \(unescaped: table))", logger: logger)
                            .decode(Bool.self) {
                            isEmpty = empty
                        }
                        let target = isEmpty ? table : "registry_import"
                        if !isEmpty {
                            try await connection.query("""
                                CREATE TEMPORARY TABLE registry_import (LIKE \(unescaped: table)) ON COMMIT DROP
                                """, logger: logger)
                        }
                        try await connection.copyFrom(table: target, columns: columns, logger: logger) { writer in
                            while let chunk = await pipe.next() { try await writer.write(chunk) }
                        }
                        let imported = try thread.finished()
                        if !isEmpty {
                            let updates = columns.filter { $0 != key }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
                            try await connection.query(PostgresQuery(unsafeSQL: """
                                INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT \(columns.joined(separator: ", ")) FROM registry_import
                                ON CONFLICT (\(key)) DO UPDATE SET \(updates)
                                """), logger: logger)
                        }
                        try await PostgresAuditLog.lockChain(connection, logger: logger)
                        try await PostgresAuditLog.append([audit(imported)], on: connection, logger: logger)
                        return imported
                    }
                }
                return imported
            } catch {
                pipe.cancel()
                // The producer's own error (an unreadable file, say) says more than the aborted COPY's.
                if let failure = thread.failure() { throw failure }
                throw error
            }
        }
    }
}

/// Encodes rows in COPY's text format into chunks of about a megabyte for the pipe. Rows are built
/// in a byte array and handed over whole: appending to an array in bulk is several times cheaper
/// than writing a ByteBuffer byte by byte.
final class CopySink {
    private let pipe: CopyPipe
    private var bytes: [UInt8] = []
    private(set) var rows = 0
    private static let chunkSize = 1 << 20

    init(pipe: CopyPipe) {
        self.pipe = pipe
        bytes.reserveCapacity(Self.chunkSize + 4096)
    }

    /// One row: `fields` writes each column in order. Throws `ProducerThread.Stopped` once the
    /// import has failed on the database side, so that the rest of the file is not read for nothing.
    func row(_ fields: (inout Line) -> Void) throws {
        var line = Line(bytes: bytes)
        bytes = []
        fields(&line)
        line.bytes.append(UInt8(ascii: "\n"))
        bytes = line.bytes
        rows += 1
        if bytes.count >= Self.chunkSize { try flush() }
    }

    func flush() throws {
        guard !bytes.isEmpty else { return }
        if pipe.isCancelled { throw ProducerThread.Stopped() }
        pipe.send(ByteBuffer(bytes: bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    struct Line {
        var bytes: [UInt8]
        private var first = true
        private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

        init(bytes: [UInt8]) { self.bytes = bytes }

        private mutating func separate() {
            if !first { bytes.append(UInt8(ascii: "\t")) }
            first = false
        }

        mutating func text(_ value: String?) {
            separate()
            guard let value else { bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]; return }
            // Backslash, tab, newline and carriage return are COPY's specials; most values have none.
            guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                bytes.append(contentsOf: value.utf8)
                return
            }
            for byte in value.utf8 {
                switch byte {
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
                case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
                case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
                default: bytes.append(byte)
                }
            }
        }

        mutating func integer(_ value: Int) {
            separate()
            bytes.append(contentsOf: String(value).utf8)
        }

        /// `bytea` in hex input form; the backslash is doubled because COPY's text format unescapes once.
        mutating func bytes(_ value: [UInt8]?) {
            separate()
            guard let value else { bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]; return }
            bytes += [0x5C, 0x5C, UInt8(ascii: "x")]
            bytes.reserveCapacity(bytes.count + value.count * 2)
            value.withUnsafeBufferPointer { input in
                for byte in input {
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0f)])
                }
            }
        }
    }
}

/// A bounded hand-over of chunks from the producer thread to the task running COPY: the producer
/// blocks when `capacity` chunks wait, so a fast reader cannot fill memory with a slow database.
final class CopyPipe: Sendable {
    private struct State {
        var chunks: [ByteBuffer] = []
        var finished = false
        var cancelled = false
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
    }

    private let state = Mutex(State())
    private let space: DispatchSemaphore
    private let capacity = 4

    init() { space = DispatchSemaphore(value: capacity) }

    /// Blocks while the pipe is full; drops the chunk once the consumer has gone.
    func send(_ chunk: ByteBuffer) {
        space.wait()
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            if state.cancelled { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.chunks.append(chunk)
            return nil
        }
        waiter?.resume(returning: chunk)
    }

    /// No more chunks will come.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The consumer has failed: unblock the producer and drop whatever it sends.
    func cancel() {
        state.withLock { $0.cancelled = true }
        for _ in 0..<capacity { space.signal() }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// The next chunk, or nil once the producer has finished.
    func next() async -> ByteBuffer? {
        let chunk: ByteBuffer? = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> ByteBuffer?? in
                if !state.chunks.isEmpty { return .some(state.chunks.removeFirst()) }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        if chunk != nil { space.signal() }
        return chunk
    }
}

/// Runs the import's producer on a thread of its own. `produce` does not escape the import: the
/// import waits for the thread (`finished`, or `failure` after a cancel) before it returns.
final class ProducerThread: @unchecked Sendable {
    private let pipe: CopyPipe
    private let produce: (CopySink) throws -> Void
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Int, any Error>?

    /// The producer stops at its next row once the consumer has gone.
    struct Stopped: Error {}

    init(pipe: CopyPipe, produce: @escaping (CopySink) throws -> Void) {
        self.pipe = pipe
        self.produce = produce
    }

    func start() {
        let thread = Thread { [self] in
            let sink = CopySink(pipe: pipe)
            do {
                try produce(sink)
                try sink.flush()
                result = .success(sink.rows)
            } catch {
                result = .failure(error)
            }
            pipe.finish()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the producer; the number of rows it produced, or its error.
    func finished() throws -> Int {
        done.wait()
        done.signal()
        return try result!.get()
    }

    /// Waits for the producer after a cancel; its error, if it failed on its own.
    func failure() -> (any Error)? {
        done.wait()
        done.signal()
        if case .failure(let error) = result, !(error is Stopped) { return error }
        return nil
    }
}
