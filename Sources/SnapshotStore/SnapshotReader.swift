import Foundation
import GRDB
import QMP
import Synchronization

/// Opens a snapshot file read-only (`immutable=1`, so files in read-only system directories
/// open for any user) after checking its header.
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

    /// Opens `path`.
    ///
    /// - Throws: ``SnapshotError`` when the file is missing, not a snapshot, too new or too
    ///   old, or truncated.
    public init(path: String) throws(SnapshotError) {
        self.path = path
        header = try SnapshotHeader.check(path: path)
        var config = Configuration()
        config.readonly = true
        let escaped = path.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "?", with: "%3f").replacingOccurrences(of: "#", with: "%23")
        do {
            database = try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: config)
            let tables = try database.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table'")
            }
            let missing = Set(SnapshotSchema.tables).subtracting(tables)
            if !missing.isEmpty {
                throw SnapshotError(.corrupt, path: path, "missing tables: \(missing.sorted().joined(separator: ", "))")
            }
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw SnapshotError(.corrupt, path: path, "cannot read: \(error)")
        }
    }

    /// The `meta` table.
    public func meta() throws -> [String: String] {
        try database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
                (($0["key"] as String), ($0["value"] as String))
            })
        }
    }

    /// A binary's CPU model table (s390x), or nil when the harvest recorded none.
    public func modelTable(binary: String) throws -> CPUModelTable? {
        guard let text = try meta()[CPUModelTable.metaKey(binary: binary)] else { return nil }
        guard let json = try? JSONParser.parse(text), let table = CPUModelTable(json: json) else {
            throw SnapshotError(.corrupt, path: path, "meta \(CPUModelTable.metaKey(binary: binary)) is not a CPU model table")
        }
        return table
    }

    /// The counts `qcpu info` and the harvest summary print.
    public func counts() throws -> SnapshotCounts {
        try database.read { db in
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

/// Sizes of a snapshot's content.
public struct SnapshotCounts: Sendable, Equatable, Codable {
    /// QEMU binaries.
    public var binaries: Int
    /// Machine types, over all binaries.
    public var machineTypes: Int
    /// CPU model names, over all binaries.
    public var models: Int
    /// QEMU processes (binary × machine type × accelerator).
    public var sessions: Int
    /// `query-cpu-definitions` rows.
    public var definitions: Int
    /// Successful expansions.
    public var expansions: Int
    /// Expansions QEMU answered with an error.
    public var failedExpansions: Int
    /// Distinct property sets stored.
    public var distinctPropertySets: Int
    /// Distinct (name, value) pairs stored.
    public var distinctProperties: Int

    /// Creates counts.
    public init(binaries: Int, machineTypes: Int, models: Int, sessions: Int, definitions: Int,
                expansions: Int, failedExpansions: Int, distinctPropertySets: Int, distinctProperties: Int) {
        self.binaries = binaries
        self.machineTypes = machineTypes
        self.models = models
        self.sessions = sessions
        self.definitions = definitions
        self.expansions = expansions
        self.failedExpansions = failedExpansions
        self.distinctPropertySets = distinctPropertySets
        self.distinctProperties = distinctProperties
    }
}
