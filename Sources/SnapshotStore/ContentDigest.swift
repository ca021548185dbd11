import GRDB

/// The SHA-256 of a snapshot's content, recorded in `meta` (key ``metaKey``) when the file is
/// written and checked by ``SnapshotValidator``: any change to a row, the schema or the views
/// after writing makes `qcpu validate` fail (docs/SNAPSHOT-FORMAT.md, "Content digest").
///
/// The digest is over text SQLite makes, not over pages, so it depends only on the content
/// (not on the page size or the SQLite version that wrote the file): the `sqlite_schema` rows
/// (type, name, table, SQL; not the root pages), then every table of ``SnapshotSchema/tables``
/// in that order, each row in primary-key order as its columns' `quote()` joined by `,`, one
/// line per row, the `meta` row holding the digest left out.
public enum ContentDigest {
    /// The `meta` key of the digest.
    public static let metaKey = "content_sha256"

    /// The primary key of each table: the order rows are digested in.
    static let order: [String: String] = [
        "binary": "id", "cpu_definition": "machine_id, accel, model_id",
        "expansion": "machine_id, accel, model_id, type, variant", "feature_list": "id", "host": "id",
        "machine": "id", "meta": "key", "model": "id", "prop": "id", "prop_default": "name", "propset": "id",
        "qom_propset": "id", "qom_type": "binary_id, typename", "session": "machine_id, accel", "shape": "id",
    ]

    /// Computes the digest of the database `db` holds (lower-case hex).
    public static func compute(_ db: Database) throws -> String {
        var hash = SHA256()
        func add(_ sql: String, _ arguments: StatementArguments = []) throws {
            let lines = try String.fetchCursor(db, sql: sql, arguments: arguments)
            while let line = try lines.next() {
                hash.update(line)
                hash.update("\n")
            }
        }
        hash.update("schema\n")
        try add("""
            SELECT quote(type) || ',' || quote(name) || ',' || quote(tbl_name) || ',' || quote(sql) FROM sqlite_schema
            ORDER BY type, name
            """)
        for table in SnapshotSchema.tables {
            hash.update("table \(table)\n")
            let columns = try db.columns(in: table).map(\.name)
            guard !columns.isEmpty, let order = order[table] else { continue }
            let line = columns.map { "quote(\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\")" }.joined(separator: " || ',' || ")
            try add("SELECT \(line) FROM \"\(table)\"\(table == "meta" ? " WHERE key != ?" : "") ORDER BY \(order)",
                    table == "meta" ? [metaKey] : [])
        }
        return hash.finalize()
    }
}
