import GRDB
import QMP

extension SnapshotValidator {
    /// Keys SQLite keeps unique byte for byte that must also be unique as Swift compares
    /// strings (canonically equivalent Unicode is equal there): table, key columns.
    static let uniqueKeys: [(table: String, columns: [String])] = [
        ("binary", ["name"]), ("machine", ["binary_id", "name"]), ("model", ["binary_id", "name"]),
        ("session", ["machine_id", "accel"]), ("cpu_definition", ["machine_id", "accel", "model_id"]),
        ("expansion", ["machine_id", "accel", "model_id", "type", "variant"]), ("prop", ["name", "value"]),
        ("prop_default", ["name"]), ("qom_type", ["binary_id", "typename"]),
    ]

    /// Rows whose keys differ in bytes but are equal as Swift strings.
    func duplicates(_ db: Database) throws -> [String] {
        var problems: [String] = []
        for (table, columns) in Self.uniqueKeys {
            // Only text with a byte above 0x7F has another spelling (length counts characters of
            // text, bytes of a blob): most files have none, and need no more than this count.
            let nonASCII = columns.map { "length(\($0)) != length(CAST(\($0) AS BLOB))" }.joined(separator: " OR ")
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(nonASCII)") ?? 0 > 0 else { continue }
            var seen = Set<String>()
            let sql = "SELECT \(columns.map { "quote(\($0)) AS \($0)" }.joined(separator: ", ")), \(columns.joined(separator: ", ")) FROM \(table)"
            for row in try Row.fetchAll(db, sql: sql) {
                // The values' text (NULL and numbers as SQL literals), joined with NUL, which no
                // normalization moves across.
                let parts: [String] = columns.indices.map { i in
                    let v: DatabaseValue = (try? row.decode(DatabaseValue.self, atIndex: columns.count + i)) ?? .null
                    if case .string(let s) = v.storage { return s }
                    return (try? row.decode(String.self, atIndex: i)) ?? "?"
                }
                let key = parts.joined(separator: "\u{0}")
                if !seen.insert(key).inserted {
                    problems.append("table \(table): two rows with the key (\(parts.map { StoredJSON.oneLine($0, limit: 40) }.joined(separator: ", "))), equal as Unicode though their bytes differ")
                    break
                }
            }
        }
        return problems
    }

    /// qcpu's invariants, each counted over the whole file.
    func invariants(_ db: Database) throws -> [String] {
        var problems: [String] = []
        let checks: [(String, String)] = [
            ("SELECT count(*) FROM (SELECT 1 FROM propset GROUP BY shape_id, overrides HAVING count(*) > 1)",
             "property sets stored more than once"),
            ("SELECT count(*) FROM propset WHERE id NOT IN (SELECT propset_id FROM expansion WHERE propset_id IS NOT NULL)",
             "property sets no expansion uses"),
            ("SELECT count(*) FROM shape WHERE id NOT IN (SELECT shape_id FROM propset WHERE shape_id IS NOT NULL)", "shapes no set uses"),
            ("SELECT count(*) FROM expansion WHERE (propset_id IS NULL) = (error_class IS NULL)",
             "expansions that are neither a result nor an error"),
            ("SELECT count(*) FROM expansion WHERE type IS NOT 'full' AND type IS NOT 'static'",
             "expansions of a type other than full and static"),
            ("SELECT count(*) FROM session WHERE status IS NOT 'ok' AND status IS NOT 'refused'",
             "sessions with a status other than ok and refused"),
            ("SELECT count(*) FROM prop_default d JOIN prop p ON p.id = d.prop_id WHERE p.name IS NOT d.name",
             "defaults that name another prop"),
            ("SELECT count(*) FROM qom_propset WHERE id NOT IN (SELECT qom_propset_id FROM qom_type WHERE qom_propset_id IS NOT NULL)",
             "QOM property lists no type uses"),
            ("SELECT count(*) FROM feature_list WHERE id NOT IN (SELECT unavailable_id FROM cpu_definition WHERE unavailable_id IS NOT NULL)",
             "feature lists no definition uses"),
            ("SELECT count(*) FROM cpu_definition d LEFT JOIN session s USING (machine_id, accel) WHERE s.status IS NULL",
             "CPU definitions without a session"),
            ("SELECT count(*) FROM expansion e LEFT JOIN session s USING (machine_id, accel) WHERE s.status IS NULL",
             "expansions without a session"),
        ]
        for (sql, what) in checks {
            let n = try Int.fetchOne(db, sql: sql) ?? 0
            if n > 0 { problems.append("\(n) \(what)") }
        }
        return problems + (try overrides(db))
    }

    /// Every override must name a prop of its set's shape, differ from the default, be sorted,
    /// and every pair must be used by a default or an override. Rows the reader refuses are
    /// reported by the decoding checks; here they are skipped.
    private func overrides(_ db: Database) throws -> [String] {
        var pairName: [Int: String] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, name FROM prop") {
            let r = row.at("table prop")
            if let id = try? r.id("id"), let name = try? r.text("name") { pairName[id] = name }
        }
        var defaults = Set<Int>()
        for row in try StoredRow.fetchAll(db, sql: "SELECT prop_id FROM prop_default") {
            if let id = try? row.at("table prop_default").id("prop_id") { defaults.insert(id) }
        }
        var shapes: [Int: Set<String>] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, names FROM shape") {
            let r = row.at("table shape")
            if let id = try? r.id("id"), let names = try? r.strings("names") { shapes[id] = Set(names) }
        }
        defaults = defaults.filter { pairName[$0] != nil }
        let defaultNames = Set(defaults.compactMap { pairName[$0] })
        var used = Set<Int>()
        var bad = 0
        for row in try StoredRow.fetchAll(db, sql: "SELECT shape_id, overrides FROM propset") {
            let r = row.at("table propset")
            guard let shape = try? r.id("shape_id"), let json = try? r.json("overrides"), let array = json.arrayValue else { continue }
            let ids = array.compactMap(\.intValue)
            let names = shapes[shape] ?? []
            used.formUnion(ids)
            let overridden = ids.compactMap { pairName[$0] }
            // Strictly increasing ids, one per name, each a name of the shape and not the default.
            if ids.count != array.count || zip(ids, ids.dropFirst()).contains(where: { $0 >= $1 }) || Set(overridden).count != ids.count {
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
