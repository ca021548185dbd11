import GRDB
import QMP

/// Checks a snapshot file completely: header (magic, schema version, length), SQLite
/// integrity, foreign keys, every value of every row as the reader decodes it (so whatever
/// the reader would refuse, validation reports, with the table and row), duplicates as Swift
/// compares strings, qcpu's own invariants (each property set stored once, every stored set
/// and pair used, overrides that really differ from the defaults), and the content digest.
public struct SnapshotValidator {
    /// What validating one file found.
    public struct Report: Sendable, Equatable {
        /// The problems; empty when the file is valid.
        public var problems: [String] = []
        /// Remarks that do not make the file invalid (no content digest in an older file).
        public var notes: [String] = []

        /// Creates a report.
        public init(problems: [String] = [], notes: [String] = []) {
            self.problems = problems
            self.notes = notes
        }
    }

    /// The `meta` keys qcpu writes (besides `model_table:<binary>` and `kvm_extra_features:<binary>`).
    static let metaKeys: Set<String> = SnapshotReader.knownMetaKeys.union([
        HostRecordKeys.format, HostRecordKeys.runtimeRefused, HostRecordKeys.notProbed, HostRecordKeys.source,
    ])

    /// At most this many problems are reported per check (the first rows found).
    static let limit = 5

    /// The note for a valid file without a content digest.
    public static let noDigestNote = "no digest (written by an older qcpu): its structure was checked, changed values cannot be detected"

    /// Creates a validator.
    public init() {}

    /// Validates the file at `path`.
    ///
    /// - Returns: the problems found; empty when the file is valid.
    /// - Throws: ``SnapshotError`` when the file cannot be opened as a snapshot at all.
    public func validate(path: String) throws(SnapshotError) -> [String] { try check(path: path).problems }

    /// Validates the file at `path`: its problems and notes.
    ///
    /// - Throws: ``SnapshotError`` when the file cannot be opened as a snapshot at all.
    public func check(path: String) throws(SnapshotError) -> Report {
        let reader = try SnapshotReader(path: path)
        var report = Report()
        func step(_ body: (Database) throws -> [String]) {
            do {
                report.problems += try reader.read { db in try body(db) }
            } catch {
                report.problems.append(error.reason)
            }
        }
        step { db in try integrity(db) }
        // Damaged pages make every further query fail the same way: one line is enough.
        if report.problems.contains(where: { $0.hasPrefix("integrity:") || $0.hasPrefix("malformed") }) { return report }
        // What the reader decodes, row by row: these name the table and row.
        do {
            _ = try reader.load()
        } catch let error as SnapshotError {
            report.problems.append(error.reason)
        } catch {
            report.problems.append("\(error)")
        }
        do {
            let decoder = try reader.propertyDecoder()
            step { db in try propertySets(db, decoder: decoder) }
        } catch {
            report.problems.append((error as? SnapshotError)?.reason ?? "\(error)")
        }
        step { db in try foreignKeys(db) }
        step { db in try metaProblems(db) }
        step { db in try duplicates(db) }
        step { db in try invariants(db) }
        step { db in
            let meta = try SnapshotReader.meta(db)
            guard let recorded = meta[ContentDigest.metaKey] else {
                report.notes.append(Self.noDigestNote)
                return []
            }
            let actual = try ContentDigest.compute(db)
            guard recorded == actual else {
                return ["content digest mismatch: meta \(ContentDigest.metaKey) is \(StoredJSON.oneLine(recorded, limit: 64)), the content's is \(actual): the file was changed after qcpu wrote it"]
            }
            return []
        }
        var seen = Set<String>()
        report.problems = report.problems.filter { seen.insert($0).inserted }
        return report
    }

    private func integrity(_ db: Database) throws -> [String] {
        let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check(\(Self.limit))")
        return integrity == ["ok"] ? [] : integrity.map { "integrity: \(StoredJSON.oneLine($0))" }
    }

    private func foreignKeys(_ db: Database) throws -> [String] {
        var byTable: [String: (count: Int, parent: String)] = [:]
        for row in try StoredRow.fetchAll(db, sql: "PRAGMA foreign_key_check") {
            let r = row.at("foreign key check")
            let table = try r.text("table"), parent = try r.text("parent")
            byTable[table, default: (0, parent)].count += 1
        }
        return byTable.sorted { $0.key < $1.key }.map { t, v in
            "table \(t): \(v.count) rows reference rows that are not there (first: in table \(v.parent))"
        }
    }

    private func metaProblems(_ db: Database) throws -> [String] {
        let meta = try SnapshotReader.meta(db)
        var problems: [String] = []
        for key in ["schema_version", "qcpu_version", "qemu_version", "qemu_package", "harvest_time", "harvest_epoch",
                    "coverage", "unsupported"]
        where meta[key] == nil { problems.append("meta lacks \(key)") }
        let header = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1
        if let v = meta["schema_version"], v != String(header) {
            problems.append("meta schema_version \(StoredJSON.oneLine(v, limit: 20)) differs from the header's user_version \(header)")
        }
        if let epoch = meta["harvest_epoch"], Int64(epoch) == nil { problems.append("meta harvest_epoch is not an integer") }
        let lists = ["unsupported", "host_extra_features", HostRecordKeys.runtimeRefused]
        for (key, value) in meta.sorted(by: { $0.key < $1.key })
        where lists.contains(key) || key.hasPrefix(HostRecordKeys.snapshotExtra(binary: "")) {
            do throws(BadData) { _ = try StoredJSON.strings(try StoredJSON.parse(value, "meta \(key)"), "meta \(key)") } catch {
                problems.append(error.reason)
            }
        }
        // A key no qcpu writes is damage (a renamed key: a digest that is no longer found).
        let prefixes = [CPUModelTable.metaKey(binary: ""), HostRecordKeys.snapshotExtra(binary: "")]
        for key in meta.keys.sorted() where !Self.metaKeys.contains(key) && !prefixes.contains(where: { key.hasPrefix($0) }) {
            problems.append("meta has a key qcpu does not write: '\(StoredJSON.oneLine(key, limit: 40))'")
        }
        if let format = meta[HostRecordKeys.format], format != HostRecordKeys.light {
            problems.append("meta \(HostRecordKeys.format) is '\(StoredJSON.oneLine(format, limit: 20))', not \(HostRecordKeys.light)")
        }
        if let digest = meta[ContentDigest.metaKey],
           digest.utf8.count != 64 || !digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
            problems.append("meta \(ContentDigest.metaKey) is not a SHA-256 in hex")
        }
        return problems
    }

    /// Property sets one by one, with the row: what the reader decodes when a question needs it.
    private func propertySets(_ db: Database, decoder: PropertyDecoder) throws -> [String] {
        var problems: [String] = []
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, shape_id, overrides FROM propset ORDER BY id") {
            do throws(BadData) {
                let id = try row.at("table propset").id("id")
                let r = row.at("table propset, id \(id)")
                _ = try decoder.decode(shape: try r.id("shape_id"), overrides: try r.text("overrides"), place: r.place())
            } catch {
                problems.append(error.reason)
                if problems.count == Self.limit { break }
            }
        }
        return problems
    }
}
