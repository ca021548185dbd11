import GRDB
import QMP

/// Checks a snapshot file: header (magic, schema version, length), SQLite integrity, foreign
/// keys, and qcpu's own invariants (each property set stored once, every stored set and pair
/// used, overrides that really differ from the defaults).
public struct SnapshotValidator {
    /// Creates a validator.
    public init() {}

    /// Validates the file at `path`.
    ///
    /// - Returns: the problems found; empty when the file is valid.
    /// - Throws: ``SnapshotError`` when the file cannot be opened as a snapshot at all.
    public func validate(path: String) throws(SnapshotError) -> [String] {
        let reader = try SnapshotReader(path: path)
        do {
            return try reader.database.read { db in try problems(db) }
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw SnapshotError(.corrupt, path: path, "\(error)")
        }
    }

    private func problems(_ db: Database) throws -> [String] {
        var problems: [String] = []
        let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
        if integrity != ["ok"] { problems += integrity.prefix(5).map { "integrity: \($0)" } }
        let fk = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
        if !fk.isEmpty { problems.append("\(fk.count) rows break foreign keys (first in table \(fk[0][0] as String? ?? "?"))") }
        let meta = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
            (($0["key"] as String), ($0["value"] as String))
        })
        for key in ["schema_version", "qcpu_version", "qemu_version", "qemu_package", "harvest_time", "harvest_epoch",
                    "coverage", "unsupported"]
        where meta[key] == nil { problems.append("meta lacks \(key)") }
        let header = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1
        if let v = meta["schema_version"], v != String(header) {
            problems.append("meta schema_version \(v) differs from the header's user_version \(header)")
        }
        let checks: [(String, String)] = [
            ("SELECT count(*) FROM (SELECT 1 FROM propset GROUP BY shape_id, overrides HAVING count(*) > 1)",
             "property sets stored more than once"),
            ("SELECT count(*) FROM propset WHERE id NOT IN (SELECT propset_id FROM expansion WHERE propset_id IS NOT NULL)",
             "property sets no expansion uses"),
            ("SELECT count(*) FROM shape WHERE id NOT IN (SELECT shape_id FROM propset)", "shapes no set uses"),
            ("SELECT count(*) FROM expansion WHERE (propset_id IS NULL) = (error_class IS NULL)",
             "expansions that are neither a result nor an error"),
            ("SELECT count(*) FROM prop_default d JOIN prop p ON p.id = d.prop_id WHERE p.name != d.name",
             "defaults that name another prop"),
            ("SELECT count(*) FROM qom_propset WHERE id NOT IN (SELECT qom_propset_id FROM qom_type)",
             "QOM property lists no type uses"),
            ("SELECT count(*) FROM feature_list WHERE id NOT IN (SELECT unavailable_id FROM cpu_definition WHERE unavailable_id IS NOT NULL)",
             "feature lists no definition uses"),
            ("SELECT count(*) FROM cpu_definition d LEFT JOIN session s USING (machine_id, accel) WHERE s.status IS NULL",
             "CPU definitions without a session"),
        ]
        for (sql, what) in checks {
            let n = try Int.fetchOne(db, sql: sql) ?? 0
            if n > 0 { problems.append("\(n) \(what)") }
        }
        problems += try checkOverrides(db)
        return problems
    }

    /// Every override must name a prop of its set's shape, differ from the default, be sorted,
    /// and every pair must be used by a default or an override.
    private func checkOverrides(_ db: Database) throws -> [String] {
        var pairName: [Int: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name FROM prop") { pairName[row[0]] = row[1] }
        var defaults = Set(try Int.fetchAll(db, sql: "SELECT prop_id FROM prop_default"))
        var shapes: [Int: Set<String>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, names FROM shape") {
            shapes[row[0]] = Set(((try? JSONParser.parse(row[1] as String))?.arrayValue ?? []).compactMap(\.stringValue))
        }
        let defaultNames = Set(defaults.compactMap { pairName[$0] })
        var used = Set<Int>()
        var bad = 0
        for row in try Row.fetchAll(db, sql: "SELECT shape_id, overrides FROM propset") {
            let ids = ((try? JSONParser.parse(row[1] as String))?.arrayValue ?? []).compactMap(\.intValue)
            let names = shapes[row[0]] ?? []
            used.formUnion(ids)
            let overridden = ids.compactMap { pairName[$0] }
            // Strictly increasing ids, one per name, each a name of the shape and not the default.
            if zip(ids, ids.dropFirst()).contains(where: { $0 >= $1 }) || Set(overridden).count != ids.count {
                bad += 1
                continue
            }
            for id in ids {
                guard let name = pairName[id], names.contains(name), !defaults.contains(id) else { bad += 1; break }
            }
        }
        var problems: [String] = []
        if bad > 0 { problems.append("\(bad) property sets with bad overrides") }
        let undefaulted = shapes.values.reduce(into: Set<String>()) { $0.formUnion($1) }.subtracting(defaultNames)
        if !undefaulted.isEmpty { problems.append("\(undefaulted.count) prop names without a default") }
        defaults.formUnion(used.filter { pairName[$0] != nil })
        let unused = pairName.count - defaults.count
        if unused > 0 { problems.append("\(unused) props no set uses") }
        return problems
    }
}
