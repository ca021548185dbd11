import GRDB
import QMP

/// Whole-snapshot listings that leave the expansions' props encoded: what a release diff reads
/// instead of ``SnapshotReader/load()``, so it decodes each stored property set at most once and
/// never parses the QOM properties.
extension SnapshotReader {
    /// One stored expansion: its key and its property set's id (nil when QEMU answered an error).
    public struct ExpansionEntry: Sendable, Equatable {
        /// Which expansion.
        public var key: ExpansionRecord.Key
        /// The id of its stored property set, for ``SnapshotReader/propertySets(ids:)``.
        public var propertySetID: Int?

        /// Creates an entry.
        public init(key: ExpansionRecord.Key, propertySetID: Int?) {
            self.key = key
            self.propertySetID = propertySetID
        }
    }

    /// Every machine type of every binary, sorted by binary then name.
    public func machineRecords() throws -> [MachineRecord] {
        try database.unsafeRead { db in
            try Row.fetchAll(db, sql: """
                SELECT b.name, m.name, m.info FROM machine m JOIN binary b ON b.id = m.binary_id ORDER BY b.name, m.name
                """).map { row in
                    let info: String = row[2]
                    guard let value = try? JSONParser.parse(info) else { throw SnapshotError(.corrupt, path: path, "bad machine info") }
                    return MachineRecord(binary: row[0], name: row[1], info: value)
                }
        }.sorted { ($0.binary, $0.name) < ($1.binary, $1.name) }
    }

    /// Machine and model names by id, one `String` per name, so that the listings' keys share
    /// their storage (no string is allocated per row, and equal names compare in constant time).
    private func names(_ db: Database) throws -> (machines: [Int: (binary: String, name: String)],
                                                  models: [Int: (name: String, typename: String)]) {
        var machines: [Int: (binary: String, name: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT m.id, b.name, m.name FROM machine m JOIN binary b ON b.id = m.binary_id") {
            machines[row[0]] = (row[1], row[2])
        }
        var models: [Int: (name: String, typename: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, typename FROM model") { models[row[0]] = (row[1], row[2] ?? "") }
        return (machines, models)
    }

    /// Every `query-cpu-definitions` row, sorted by session then model name; unavailable features
    /// are left out (nil).
    public func definitionRecords() throws -> [CPUDefinitionRecord] {
        try database.unsafeRead { db in
            let (machines, models) = try names(db)
            var out: [CPUDefinitionRecord] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT machine_id, accel, model_id, alias_of, static, migration_safe, deprecated FROM cpu_definition
                ORDER BY machine_id, accel, model_id
                """)
            while let row = try rows.next() {
                guard let m = machines[row[0]], let model = models[row[2]] else {
                    throw SnapshotError(.corrupt, path: path, "a CPU definition names a missing machine type or model")
                }
                out.append(CPUDefinitionRecord(session: SessionKey(binary: m.binary, machine: m.name, accel: row[1]),
                                               name: model.name, typename: model.typename, aliasOf: row[3], isStatic: row[4],
                                               migrationSafe: row[5], deprecated: row[6], unavailableFeatures: nil))
            }
            return out
        }.sorted { ($0.session, $0.name) < ($1.session, $1.name) }
    }

    /// Every stored expansion with its property set's id, sorted by key (as ``Snapshot/normalize()`` sorts).
    public func expansionEntries() throws -> [ExpansionEntry] {
        try database.unsafeRead { db in
            let (machines, models) = try names(db)
            var out: [ExpansionEntry] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT machine_id, accel, model_id, type, variant, propset_id FROM expansion
                ORDER BY machine_id, accel, model_id, type, variant
                """)
            while let row = try rows.next() {
                guard let m = machines[row[0]], let model = models[row[2]] else {
                    throw SnapshotError(.corrupt, path: path, "an expansion names a missing machine type or model")
                }
                out.append(ExpansionEntry(key: ExpansionRecord.Key(session: SessionKey(binary: m.binary, machine: m.name, accel: row[1]),
                                                                   model: model.name, type: row[3], variant: row[4]),
                                          propertySetID: row[5]))
            }
            return out
        }.sorted { $0.key < $1.key }
    }

    /// The stored property sets with these ids, decoded, by id.
    ///
    /// - Throws: ``SnapshotError`` with code ``SnapshotError/Code/corrupt`` when one is missing or
    ///   does not decode.
    public func propertySets(ids: Set<Int>) throws -> [Int: PropertySet] {
        let decoder = try propertyDecoder()
        var sets: [Int: PropertySet] = [:]
        try database.unsafeRead { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, shape_id, overrides FROM propset") {
                let id: Int = row[0]
                if ids.contains(id) { sets[id] = try decoder.decode(shape: row[1], overrides: row[2], path: path) }
            }
        }
        if let missing = ids.subtracting(sets.keys).min() { throw SnapshotError(.corrupt, path: path, "missing propset \(missing)") }
        return sets
    }
}
