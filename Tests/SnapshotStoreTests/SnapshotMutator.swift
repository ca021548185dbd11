import Foundation
import GRDB
import QCPUTestSupport
import QMP

/// Seeded damage to a copy of a snapshot file, of the kinds hostile or broken files have: a
/// changed value, a value of another type, a reference to no row, a duplicate (canonically
/// equivalent keys, a repeated list element, a repeated row), a truncated text, a NULL where
/// the schema said NOT NULL, a deleted row, and raw byte damage.
struct SnapshotMutator {
    enum Kind: CaseIterable {
        case value, type, reference, duplicate, truncation, null, deletion, bytes
    }

    /// Each table's primary key (the order to pick rows in) and its id-like columns.
    static let keys: [String: [String]] = [
        "meta": ["key"], "binary": ["id"], "host": ["id"], "machine": ["id"], "model": ["id"],
        "session": ["machine_id", "accel"], "cpu_definition": ["machine_id", "accel", "model_id"],
        "feature_list": ["id"], "expansion": ["machine_id", "accel", "model_id", "type", "variant"], "prop": ["id"],
        "prop_default": ["name"], "shape": ["id"], "propset": ["id"], "qom_propset": ["id"], "qom_type": ["binary_id", "typename"],
    ]
    static let references: [String: [String]] = [
        "machine": ["binary_id"], "model": ["binary_id"], "session": ["machine_id", "host_id"],
        "cpu_definition": ["machine_id", "model_id", "unavailable_id"], "expansion": ["machine_id", "model_id", "propset_id"],
        "prop_default": ["prop_id"], "propset": ["shape_id"], "qom_type": ["binary_id", "qom_propset_id"],
    ]
    static let jsonArrays: [(table: String, column: String)] = [
        ("shape", "names"), ("propset", "overrides"), ("feature_list", "features"), ("binary", "accelerators"),
        ("session", "unsupported"), ("qom_propset", "properties"),
    ]
    /// Tables weighted by how much of the reader they reach.
    static let tables = ["meta", "meta", "binary", "host", "machine", "model", "model", "session", "session", "cpu_definition",
                         "cpu_definition", "feature_list", "expansion", "expansion", "prop", "prop", "prop_default",
                         "shape", "propset", "propset", "qom_propset", "qom_type"]

    var rng: SplitMix

    func open(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.foreignKeysEnabled = false
        return try DatabaseQueue(path: path, configuration: config)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }

    /// Damages `path`; returns what was done, or nil when the chosen damage did not apply
    /// (no such row, or SQLite refused it).
    mutating func mutate(_ path: String, kind: Kind) throws -> String? {
        if kind == .bytes { return try damageBytes(path) }
        let db = try open(path)
        defer { try? db.close() }
        do {
            return try mutateRows(db, path: path, kind: kind)
        } catch is DatabaseError {
            return nil
        }
    }

    private mutating func damageBytes(_ path: String) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        var done: [String] = []
        for _ in 0..<(1 + below(4)) {
            // Half of the hits near the start (header, schema, meta), the rest anywhere.
            let at = rng.next() % 2 == 0 ? below(min(data.count, 8192)) : below(data.count)
            let count = 1 + below(8)
            for i in at..<min(data.count, at + count) { data[i] = UInt8(truncatingIfNeeded: rng.next()) }
            done.append("\(count) bytes at \(at)")
        }
        try data.write(to: URL(fileURLWithPath: path))
        return "bytes: " + done.joined(separator: ", ")
    }

    /// The key of a random row of `table`, or nil when it has none.
    private mutating func row(_ db: DatabaseQueue, _ table: String) throws -> [DatabaseValue]? {
        let key = Self.keys[table]!
        let count = try db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0 }
        guard count > 0 else { return nil }
        let offset = below(count)
        return try db.read { db in
            try Row.fetchOne(db, sql: "SELECT \(key.joined(separator: ", ")) FROM \"\(table)\" ORDER BY \(key.joined(separator: ", ")) LIMIT 1 OFFSET ?",
                             arguments: [offset]).map { Array($0.databaseValues) }
        }
    }

    private func filter(_ table: String) -> String { Self.keys[table]!.map { "\($0) IS ?" }.joined(separator: " AND ") }

    private func columns(_ db: Database, _ table: String) throws -> [(name: String, type: String, notNull: Bool)] {
        try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\" FROM pragma_table_info(?)", arguments: [table]).map {
            (($0[0] as String?) ?? "", ($0[1] as String?) ?? "", (($0[2] as Int?) ?? 0) == 1)
        }
    }

    /// Rewrites the schema SQL of `table` (`writable_schema`); the next connection sees it.
    private func editSchema(_ path: String, _ table: String, _ edit: (String) -> String) throws {
        let db = try open(path)
        try db.writeWithoutTransaction { db in
            guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = ?", arguments: [table]) else { return }
            try db.execute(sql: "PRAGMA writable_schema = ON")
            try db.execute(sql: "UPDATE sqlite_schema SET sql = ? WHERE name = ?", arguments: [edit(sql), table])
        }
        try db.close()
    }

    private mutating func changed(_ text: String) -> String {
        var chars = Array(text)
        let noise = Array("0123456789[]{},\":abcXYZ é\u{301}")
        switch below(4) {
        case 0 where !chars.isEmpty: chars[below(chars.count)] = pick(noise)
        case 1 where !chars.isEmpty: chars.remove(at: below(chars.count))
        case 2 where !chars.isEmpty: let at = below(chars.count); chars.insert(chars[at], at: at)
        default: chars.insert(pick(noise), at: below(chars.count + 1))
        }
        return String(chars)
    }

    private mutating func mutateRows(_ db: DatabaseQueue, path: String, kind: Kind) throws -> String? {
        var table = pick(Self.tables)
        if kind == .reference || kind == .deletion {
            table = pick(Array(Self.references.keys).sorted())
        }
        if kind == .duplicate, below(3) == 0 { return try duplicateList(db) }
        if kind == .duplicate, below(2) == 0 { return try canonicalTwins(db) }
        guard let key = try row(db, table) else { return nil }
        let cols = try db.read { db in try columns(db, table) }
        var target = pick(cols)
        var value: DatabaseValue
        switch kind {
        case .value:
            let old = try db.read { db in
                try DatabaseValue.fetchOne(db, sql: "SELECT \(target.name) FROM \"\(table)\" WHERE \(filter(table))", arguments: StatementArguments(key))
            } ?? .null
            switch old.storage {
            case .int64(let v): value = pick([v &+ 1, v &- 1, 0, -1, Int64.max, Int64(below(1000))]).databaseValue
            case .string(let s): value = changed(s).databaseValue
            default: value = "x".databaseValue
            }
        case .type:
            try db.close()
            try editSchema(path, table) { $0.replacingOccurrences(of: "STRICT", with: "").replacingOccurrences(of: "WITHOUT ROWID,", with: "WITHOUT ROWID") }
            let values: [DatabaseValue] = [(1.5).databaseValue, Data([0, 0xFF]).databaseValue, (42).databaseValue,
                                           "text".databaseValue, "12345678901234567890".databaseValue, (1e30).databaseValue]
            value = pick(values)
            return try update(path, table, target.name, value, key, kind)
        case .reference:
            target.name = pick(Self.references[table]!)
            value = pick([999_999, 0, -5, 1 + below(40), Int(Int32.max)]).databaseValue
        case .truncation:
            let texts = cols.filter { $0.type == "TEXT" }
            guard !texts.isEmpty else { return nil }
            target = pick(texts)
            let old = try db.read { db in
                try String.fetchOne(db, sql: "SELECT \(target.name) FROM \"\(table)\" WHERE \(filter(table))", arguments: StatementArguments(key))
            }
            guard let old, !old.isEmpty else { return nil }
            value = String(old.prefix(below(old.count))).databaseValue
        case .null:
            let required = cols.filter(\.notNull)
            guard !required.isEmpty else { return nil }
            target = pick(required)
            try db.close()
            let column = target.name
            try editSchema(path, table) { $0.replacingOccurrences(of: "\(column) \(target.type) NOT NULL", with: "\(column) \(target.type)") }
            return try update(path, table, column, .null, key, kind)
        case .deletion:
            table = pick(["binary", "host", "machine", "model", "feature_list", "prop", "shape", "propset", "qom_propset", "prop_default", "meta"])
            guard let key = try row(db, table) else { return nil }
            try db.write { db in try db.execute(sql: "DELETE FROM \"\(table)\" WHERE \(filter(table))", arguments: StatementArguments(key)) }
            return "deletion: \(table) \(key)"
        case .duplicate:
            // A copy of a row under a new id (tables keyed by id only).
            guard Self.keys[table] == ["id"] else { return nil }
            let names = cols.map(\.name)
            try db.write { db in
                try db.execute(sql: """
                    INSERT INTO "\(table)" SELECT (SELECT max(id) + 1 FROM "\(table)"), \(names.dropFirst().joined(separator: ", "))
                    FROM "\(table)" WHERE id IS ?
                    """, arguments: [key[0]])
            }
            return "duplicate row: \(table) \(key)"
        case .bytes:
            return nil
        }
        return try db.write { db in
            try db.execute(sql: "UPDATE \"\(table)\" SET \(target.name) = ? WHERE \(filter(table))", arguments: StatementArguments([value] + key))
            return "\(kind): \(table).\(target.name) of \(key) = \(String(describing: value).prefix(60))"
        }
    }

    private func update(_ path: String, _ table: String, _ column: String, _ value: DatabaseValue, _ key: [DatabaseValue],
                        _ kind: Kind) throws -> String {
        let db = try open(path)
        defer { try? db.close() }
        try db.write { db in
            try db.execute(sql: "UPDATE \"\(table)\" SET \(column) = ? WHERE \(filter(table))", arguments: StatementArguments([value] + key))
        }
        return "\(kind): \(table).\(column) of \(key) = \(String(describing: value).prefix(60))"
    }

    /// A JSON array element repeated (a shape naming a prop twice, an id overridden twice, a
    /// feature listed twice, the s390x model table's features).
    private mutating func duplicateList(_ db: DatabaseQueue) throws -> String? {
        if below(4) == 0 {
            let member = pick(["features", "groups[0].members", "definitions[3].base-features", "definitions[5].full-features", "ignored-base-features"])
            try db.write { db in
                try db.execute(sql: """
                    UPDATE meta SET value = json_set(value, '$.\(member)[#]', json_extract(value, '$.\(member)[0]'))
                    WHERE key LIKE 'model_table:%'
                    """)
            }
            return "duplicate: model table \(member)[0]"
        }
        let (table, column) = pick(Self.jsonArrays)
        guard let key = try row(db, table) else { return nil }
        let text = try db.read { db in
            try String.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(filter(table))", arguments: StatementArguments(key))
        }
        guard let text, case .array(var items)? = try? JSONParser.parse(text), !items.isEmpty else { return nil }
        let at = below(items.count)
        items.insert(items[at], at: at)
        try db.write { db in
            try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(filter(table))",
                           arguments: StatementArguments([JSONValue.array(items).canonicalText.databaseValue] + key))
        }
        return "duplicate: \(table).\(column) of \(key), element \(at)"
    }

    /// Two rows whose keys are canonically equivalent Unicode but different bytes.
    private mutating func canonicalTwins(_ db: DatabaseQueue) throws -> String? {
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let sql = pick([
            "INSERT INTO meta VALUES ('\(nfc)', 'x'), ('\(nfd)', 'y')",
            "INSERT INTO prop_default SELECT '\(nfc)', min(id) FROM prop UNION ALL SELECT '\(nfd)', max(id) FROM prop",
            "INSERT INTO model SELECT (SELECT max(id) + 1 FROM model), 1, '\(nfc)', NULL UNION ALL SELECT (SELECT max(id) + 2 FROM model), 1, '\(nfd)', NULL",
            "INSERT INTO prop SELECT (SELECT max(id) + 1 FROM prop), '\(nfc)', 'true' UNION ALL SELECT (SELECT max(id) + 2 FROM prop), '\(nfd)', 'true'",
        ])
        try db.write { db in try db.execute(sql: sql) }
        return "duplicate: canonical twins: \(sql.prefix(60))"
    }
}
