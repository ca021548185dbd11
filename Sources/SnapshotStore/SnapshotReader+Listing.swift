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
        try read { db in
            let (machines, _) = try Self.names(db)
            return try StoredRow.fetchAll(db, sql: "SELECT id, info FROM machine").map { row in
                let id = try row.at("table machine").id("id")
                let r = row.at("table machine, id \(id)")
                guard let m = machines[id] else { throw BadData("\(r.place()): not read") }
                let info = try r.json("info")
                guard info.objectValue != nil else { throw BadData("\(r.place()): info is not a JSON object") }
                return MachineRecord(binary: m.binary, name: m.name, info: info)
            }
        }.sorted { ($0.binary, $0.name) < ($1.binary, $1.name) }
    }

    /// Machine and model names by id, one `String` per name, so that the listings' keys share
    /// their storage (no string is allocated per row, and equal names compare in constant time).
    /// A machine type or model of a binary that is not stored is refused.
    static func names(_ db: Database) throws -> (machines: [Int: (binary: String, name: String, binaryID: Int)],
                                                 models: [Int: (name: String, typename: String, binaryID: Int)]) {
        var binaries: [Int: String] = [:]
        for (id, b) in try binaryRows(db) { binaries[id] = b.name }
        var machines: [Int: (binary: String, name: String, binaryID: Int)] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, binary_id, name FROM machine") {
            let id = try row.at("table machine").id("id")
            let r = row.at("table machine, id \(id)")
            let b = try r.id("binary_id")
            guard let binary = binaries[b] else { throw BadData("\(r.place()): binary_id \(b) is not in table binary") }
            machines[id] = (binary, try r.text("name"), b)
        }
        var models: [Int: (name: String, typename: String, binaryID: Int)] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, binary_id, name, typename FROM model") {
            let id = try row.at("table model").id("id")
            let r = row.at("table model, id \(id)")
            let b = try r.id("binary_id")
            guard binaries[b] != nil else { throw BadData("\(r.place()): binary_id \(b) is not in table binary") }
            models[id] = (try r.text("name"), try r.optionalText("typename") ?? "", b)
        }
        return (machines, models)
    }

    /// The session key and model of a row naming `machine_id`, `accel` and `model_id`, its
    /// references checked (a model of the machine type's binary).
    static func key(_ r: StoredRow, machines: [Int: (binary: String, name: String, binaryID: Int)],
                    models: [Int: (name: String, typename: String, binaryID: Int)]) throws(BadData)
        -> (session: SessionKey, model: (name: String, typename: String, binaryID: Int))
    {
        let machineID = try r.id("machine_id"), modelID = try r.id("model_id")
        guard let m = machines[machineID] else { throw BadData("\(r.place()): machine_id \(machineID) is not in table machine") }
        guard let model = models[modelID] else { throw BadData("\(r.place()): model_id \(modelID) is not in table model") }
        guard model.binaryID == m.binaryID else { throw BadData("\(r.place()): model_id \(modelID) is a model of another binary") }
        return (SessionKey(binary: m.binary, machine: m.name, accel: try r.text("accel")), model)
    }

    /// Every `query-cpu-definitions` row, sorted by session then model name; unavailable features
    /// are left out (nil).
    public func definitionRecords() throws -> [CPUDefinitionRecord] {
        try read { db in
            let (machines, models) = try Self.names(db)
            var out: [CPUDefinitionRecord] = []
            let rows = try StoredRow.fetchAll(db, sql: """
                SELECT machine_id, accel, model_id, alias_of, static, migration_safe, deprecated FROM cpu_definition
                ORDER BY machine_id, accel, model_id
                """)
            for row in rows {
                let r = row.at("table cpu_definition")
                let (session, model) = try Self.key(r, machines: machines, models: models)
                let d = row.at("table cpu_definition, \(session) \(model.name)")
                out.append(CPUDefinitionRecord(session: session, name: model.name, typename: model.typename,
                                               aliasOf: try d.optionalText("alias_of"), isStatic: try d.flag("static"),
                                               migrationSafe: try d.optionalFlag("migration_safe"),
                                               deprecated: try d.flag("deprecated"), unavailableFeatures: nil))
            }
            return out
        }.sorted { ($0.session, $0.name) < ($1.session, $1.name) }
    }

    /// Every stored expansion with its property set's id, sorted by key (as ``Snapshot/normalize()`` sorts).
    public func expansionEntries() throws -> [ExpansionEntry] {
        try read { db in
            let (machines, models) = try Self.names(db)
            var out: [ExpansionEntry] = []
            let rows = try StoredRow.fetchAll(db, sql: """
                SELECT machine_id, accel, model_id, type, variant, propset_id, error_class FROM expansion
                ORDER BY machine_id, accel, model_id, type, variant
                """)
            for row in rows {
                let r = row.at("table expansion")
                let (session, model) = try Self.key(r, machines: machines, models: models)
                let e = row.at("table expansion, \(session) \(model.name)")
                let set = try e.optionalID("propset_id")
                guard (set == nil) != (try e.optionalText("error_class") == nil) else {
                    throw BadData("\(e.place()): not exactly one of a result (propset_id) and an error (error_class)")
                }
                out.append(ExpansionEntry(key: ExpansionRecord.Key(session: session, model: model.name, type: try e.text("type"),
                                                                   variant: try e.text("variant")),
                                          propertySetID: set))
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
        try read { db in
            for row in try StoredRow.fetchAll(db, sql: "SELECT id, shape_id, overrides FROM propset") {
                let id = try row.at("table propset").id("id")
                guard ids.contains(id) else { continue }
                let r = row.at("table propset, id \(id)")
                sets[id] = try decoder.decode(shape: try r.id("shape_id"), overrides: try r.text("overrides"), place: r.place())
            }
        }
        if let missing = ids.subtracting(sets.keys).min() {
            throw SnapshotError(.corrupt, path: path, "table expansion: propset_id \(missing) is not in table propset")
        }
        return sets
    }
}
