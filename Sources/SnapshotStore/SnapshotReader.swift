import CSnapshotSupport
import Foundation
import GRDB
import QMP
import Synchronization

/// Opens a snapshot file read-only (`immutable=1`, so files in read-only system directories
/// open for any user) after checking its header.
///
/// The reader trusts nothing in the file: it opens it with SQLite's defensive mode on and
/// `trusted_schema` off, decodes every value it reads with checks (types, NULLs, ranges,
/// references to other rows, duplicates as Swift compares strings), and refuses what does not
/// pass with a one-line ``SnapshotError`` (``SnapshotError/Code/corrupt``), never a trap.
/// ``SnapshotValidator`` runs every check on every row, and the content digest on top.
public final class SnapshotReader: Sendable {
    /// The file.
    public let path: String
    /// The checked header.
    public let header: SnapshotHeader
    /// The read-only database connection.
    public let database: DatabaseQueue
    /// Decoded shared parts of the property sets, loaded on first use.
    let decoderCache = Mutex<PropertyDecoder?>(nil)
    /// Static feature names per binary, loaded on first use.
    let staticNameCache = Mutex<[String: Set<String>?]>([:])
    /// The `meta` table, loaded on first use.
    private let metaCache = Mutex<[String: String]?>(nil)

    /// Opens `path`.
    ///
    /// - Throws: ``SnapshotError`` when the file is missing, not a regular file, not a
    ///   snapshot, too new or too old, truncated, or malformed.
    public init(path: String) throws(SnapshotError) {
        self.path = path
        header = try SnapshotHeader.check(path: path)
        var config = Configuration()
        config.readonly = true
        config.prepareDatabase { db in
            let rc = qcpu_sqlite_harden(UnsafeMutableRawPointer(db.sqliteConnection))
            guard rc == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "cannot set defensive mode") }
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
        }
        let escaped = path.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "?", with: "%3f").replacingOccurrences(of: "#", with: "%23")
        do {
            database = try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: config)
        } catch {
            throw Self.snapshotError(error, path: path)
        }
        let tables = try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IS NOT NULL")
        }
        let missing = Set(SnapshotSchema.tables).subtracting(tables)
        if !missing.isEmpty {
            throw SnapshotError(.corrupt, path: path, "missing tables: \(missing.sorted().joined(separator: ", "))")
        }
    }

    /// Runs `body` on the connection; whatever goes wrong comes out as one ``SnapshotError``.
    func read<T>(_ body: (Database) throws -> T) throws(SnapshotError) -> T {
        do { return try database.unsafeRead(body) } catch { throw Self.snapshotError(error, path: path) }
    }

    /// `error` as a one-line snapshot error about `path`.
    static func snapshotError(_ error: any Error, path: String) -> SnapshotError {
        switch error {
        case let e as SnapshotError: return e
        case let e as BadData: return SnapshotError(.corrupt, path: path, e.reason)
        case let e as DatabaseError:
            let message = StoredJSON.oneLine(e.message ?? "error \(e.resultCode.rawValue)")
            switch e.resultCode.primaryResultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT:
                return SnapshotError(.corrupt, path: path, "malformed SQLite file (SQLite: \(message))")
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
                return SnapshotError(.unreadable, path: path, "cannot open for reading (SQLite: \(message))")
            default:
                return SnapshotError(.corrupt, path: path, "cannot read (SQLite: \(message))")
            }
        default:
            return SnapshotError(.corrupt, path: path, "cannot read: \(StoredJSON.oneLine("\(error)"))")
        }
    }

    /// The `meta` table.
    ///
    /// - Throws: ``SnapshotError`` for a NULL or non-text row, or two keys that are equal as
    ///   Swift compares strings (canonically equivalent Unicode, such as `café` in NFC and NFD)
    ///   but different bytes, so unique for SQLite.
    public func meta() throws -> [String: String] {
        if let cached = metaCache.withLock({ $0 }) { return cached }
        let meta = try read { db in try Self.meta(db) }
        metaCache.withLock { $0 = meta }
        return meta
    }

    static func meta(_ db: Database) throws -> [String: String] {
        var meta: [String: String] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT key, value FROM meta ORDER BY key") {
            let r = row.at("table meta")
            let key = try r.text("key")
            let value = try row.at("table meta, key '\(StoredJSON.oneLine(key, limit: 40))'").text("value")
            guard meta.updateValue(value, forKey: key) == nil else {
                throw BadData("table meta: two keys spell '\(StoredJSON.oneLine(key, limit: 40))' (canonically equivalent Unicode, different bytes)")
            }
        }
        return meta
    }

    /// The meta value under `key` as a JSON array of strings; nil when absent.
    ///
    /// - Throws: ``SnapshotError`` when it is there but not such an array.
    public func metaStrings(_ key: String) throws -> [String]? {
        guard let text = try meta()[key] else { return nil }
        do throws(BadData) {
            return try StoredJSON.strings(try StoredJSON.parse(text, "meta \(key)"), "meta \(key)")
        } catch {
            throw SnapshotError(.corrupt, path: path, error.reason)
        }
    }

    /// `meta.coverage`, parsed: an object (`{}` when absent).
    public func coverage() throws -> JSONValue {
        let text = try meta()["coverage"] ?? "{}"
        do throws(BadData) {
            let value = try StoredJSON.parse(text, "meta coverage")
            guard value.objectValue != nil else { throw BadData("meta coverage is not a JSON object") }
            return value
        } catch {
            throw SnapshotError(.corrupt, path: path, error.reason)
        }
    }

    /// The `--model` (or `--machine`) globs the harvest was limited to, from `meta.coverage`.
    public func coverageFilter(_ member: String) throws -> [String] {
        guard let value = try coverage()[member] else { return [] }
        guard let strings = StoredJSON.strings(value) else {
            throw SnapshotError(.corrupt, path: path, "meta coverage: \(member) is not a JSON array of strings")
        }
        return strings
    }

    /// A binary's CPU model table (s390x), or nil when the harvest recorded none.
    public func modelTable(binary: String) throws -> CPUModelTable? {
        let key = CPUModelTable.metaKey(binary: binary)
        guard let text = try meta()[key] else { return nil }
        do throws(BadData) {
            return try CPUModelTable(checking: try StoredJSON.parse(text, "meta \(key)"), place: "meta \(key)")
        } catch {
            throw SnapshotError(.corrupt, path: path, error.reason)
        }
    }

    /// The counts `qcpu info` and the harvest summary print.
    public func counts() throws -> SnapshotCounts {
        try read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return SnapshotCounts(
                binaries: try count("SELECT count(*) FROM binary"),
                machineTypes: try count("SELECT count(*) FROM machine"),
                models: try count("SELECT count(*) FROM model"),
                sessions: try count("SELECT count(*) FROM session"),
                definitions: try count("SELECT count(*) FROM cpu_definition"),
                expansions: try count("SELECT count(*) FROM expansion WHERE propset_id IS NOT NULL"),
                failedExpansions: try count("SELECT count(*) FROM expansion WHERE propset_id IS NULL"),
                distinctPropertySets: try count("SELECT count(*) FROM propset"),
                distinctProperties: try count("SELECT count(*) FROM prop"))
        }
    }
}
