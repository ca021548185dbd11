import GRDB
import QMP
import Synchronization

/// Direct lookups on an open snapshot, without loading all of it.
extension SnapshotReader {
    /// One row of `query-machines`, as stored.
    public struct MachineRow: Sendable, Equatable {
        /// Machine type name.
        public var name: String
        /// The whole `query-machines` entry.
        public var info: JSONValue
    }

    /// The binaries in the snapshot: name, target architecture, accelerators harvested.
    public func binaries() throws -> [(name: String, arch: String, accelerators: [String])] {
        try binaryRecords().map { ($0.name, $0.arch, $0.accelerators) }
    }

    /// The `binary` rows, sorted by name.
    public func binaryRecords() throws -> [BinaryRecord] {
        try read { db in try Self.binaryRows(db).map(\.record).sorted { $0.name < $1.name } }
    }

    static func binaryRows(_ db: Database) throws -> [(id: Int, record: BinaryRecord)] {
        try StoredRow.fetchAll(db, sql: "SELECT id, name, arch, size, sha256, accelerators FROM binary ORDER BY id").map { row in
            let id = try row.at("table binary").id("id")
            let r = row.at("table binary, id \(id)")
            return (id, BinaryRecord(name: try r.text("name"), arch: try r.text("arch"),
                                     size: Int64(try r.integer("size", in: 0...Int64.max)),
                                     sha256: try r.text("sha256"), accelerators: try r.strings("accelerators")))
        }
    }

    /// The machine types of `binary`, sorted by name.
    public func machines(binary: String) throws -> [MachineRow] {
        try read { db in
            // A machine type of no binary would be left out silently (a few hundred rows to scan).
            if let orphan = try Int.fetchOne(db, sql: "SELECT id FROM machine WHERE binary_id NOT IN (SELECT id FROM binary) LIMIT 1") {
                throw BadData("table machine, id \(orphan): binary_id is not in table binary")
            }
            return try StoredRow.fetchAll(db, sql: """
                SELECT m.id, m.name, m.info FROM machine m JOIN binary b ON b.id = m.binary_id
                WHERE b.name = ? ORDER BY m.name
                """, arguments: [binary]).map { row in
                    let id = try row.at("table machine").id("id")
                    let r = row.at("table machine, id \(id)")
                    let info = try r.json("info")
                    guard info.objectValue != nil else { throw BadData("\(r.place()): info is not a JSON object") }
                    return MachineRow(name: try r.text("name"), info: info)
                }
        }
    }

    /// The session of `binary` on `machine` under `accel`, if harvested.
    public func session(binary: String, machine: String, accel: String) throws -> SessionRecord? {
        try read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT s.status, s.message, s.unsupported, s.host_id, h.id AS host_row, h.vendor, h.family, h.model,
                       h.stepping, h.model_name, h.microcode, h.kernel
                FROM session s JOIN machine m ON m.id = s.machine_id JOIN binary b ON b.id = m.binary_id
                LEFT JOIN host h ON h.id = s.host_id
                WHERE b.name = ? AND m.name = ? AND s.accel = ?
                """)
            guard let row = try StoredRow.fetchOne(statement, arguments: [binary, machine, accel]) else { return nil }
            let key = SessionKey(binary: binary, machine: machine, accel: accel)
            return try Self.sessionRecord(row.at("table session, \(key)"), key: key)
        }
    }

    /// A session row (with its host's columns from a LEFT JOIN, `host_row` the host's id).
    static func sessionRecord(_ r: StoredRow, key: SessionKey) throws(BadData) -> SessionRecord {
        var host: HostRecord?
        if let id = try r.optionalID("host_id") {
            guard try r.optionalInteger("host_row") != nil else { throw BadData("\(r.place()): host_id \(id) is not in table host") }
            let h = r.at("table host, id \(id)")
            host = HostRecord(vendor: try h.text("vendor"), family: try h.integer("family"), model: try h.integer("model"),
                              stepping: try h.integer("stepping"), modelName: try h.text("model_name"),
                              microcode: try h.text("microcode"), kernel: try h.text("kernel"))
        }
        return SessionRecord(key: key, host: host, status: try r.text("status"), message: try r.optionalText("message"),
                             unsupported: try r.strings("unsupported"))
    }

    /// The `query-cpu-definitions` row of one model in one session, if stored.
    public func definition(binary: String, machine: String, accel: String, model: String) throws -> CPUDefinitionRecord? {
        try definitionRows(binary: binary, machine: machine, accel: accel, model: model).first
    }

    /// The `query-cpu-definitions` rows of one session, sorted by model name.
    public func definitions(binary: String, machine: String, accel: String) throws -> [CPUDefinitionRecord] {
        try definitionRows(binary: binary, machine: machine, accel: accel, model: nil)
    }

    /// The columns of a definition, its model's (`model_row` its id) and its feature list's
    /// (`list_row` its id), from LEFT JOINs so that a reference to no row is seen.
    static let definitionColumns = """
        SELECT d.model_id, d.alias_of, d.static, d.migration_safe, d.deprecated, d.unavailable_id,
               mo.id AS model_row, mo.binary_id AS model_binary, mo.name, mo.typename, f.id AS list_row, f.features
        FROM cpu_definition d LEFT JOIN model mo ON mo.id = d.model_id LEFT JOIN feature_list f ON f.id = d.unavailable_id
        """

    private func definitionRows(binary: String, machine: String, accel: String, model: String?) throws -> [CPUDefinitionRecord] {
        let key = SessionKey(binary: binary, machine: machine, accel: accel)
        return try read { db in
            guard let (binaryID, machineID) = try Self.machineID(db, binary: binary, machine: machine) else { return [] }
            let sql = Self.definitionColumns + " WHERE d.machine_id = ? AND d.accel = ?"
            let statement = try db.cachedStatement(sql: model == nil ? sql : sql + " AND mo.name = ?")
            let arguments: StatementArguments = model.map { [machineID, accel, $0] } ?? [machineID, accel]
            return try StoredRow.fetchAll(statement, arguments: arguments).map { row in
                try Self.definitionRecord(row.at("table cpu_definition, \(key)"), session: key, binaryID: binaryID)
            }.sorted { $0.name < $1.name }
        }
    }

    /// The ids of `binary` and its machine type `machine`; nil when either is not stored.
    static func machineID(_ db: Database, binary: String, machine: String) throws -> (binary: Int, machine: Int)? {
        let statement = try db.cachedStatement(sql: """
            SELECT b.id AS binary_id, m.id AS machine_id FROM machine m JOIN binary b ON b.id = m.binary_id
            WHERE b.name = ? AND m.name = ?
            """)
        guard let row = try StoredRow.fetchOne(statement, arguments: [binary, machine]) else { return nil }
        let r = row.at("table machine")
        return (try r.id("binary_id"), try r.id("machine_id"))
    }

    /// A definition row of ``definitionColumns``, its references checked.
    static func definitionRecord(_ r: StoredRow, session: SessionKey, binaryID: Int,
                                 lists: DecodeCache<[String]>? = nil) throws(BadData) -> CPUDefinitionRecord {
        let modelID = try r.id("model_id")
        guard try r.optionalInteger("model_row") != nil else { throw BadData("\(r.place()): model_id \(modelID) is not in table model") }
        guard try r.id("model_binary") == binaryID else { throw BadData("\(r.place()): model_id \(modelID) is a model of another binary") }
        var unavailable: [String]?
        if let list = try r.optionalID("unavailable_id") {
            guard try r.optionalInteger("list_row") != nil else { throw BadData("\(r.place()): unavailable_id \(list) is not in table feature_list") }
            if let known = lists?.values[list] {
                unavailable = known
            } else {
                unavailable = try r.at("table feature_list, id \(list)").strings("features")
                lists?.values[list] = unavailable
            }
        }
        return CPUDefinitionRecord(
            session: session, name: try r.text("name"), typename: try r.optionalText("typename") ?? "",
            aliasOf: try r.optionalText("alias_of"), isStatic: try r.flag("static"),
            migrationSafe: try r.optionalFlag("migration_safe"), deprecated: try r.flag("deprecated"),
            unavailableFeatures: unavailable)
    }

    /// One expansion, decoded; nil when not stored.
    public func expansion(binary: String, machine: String, accel: String, model: String,
                          type: String = "full", variant: String = "") throws -> ExpansionRecord.Outcome? {
        let decoder = try propertyDecoder()
        return try read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT e.result_model, e.propset_id, e.error_class, e.error_desc, s.id AS set_row, s.shape_id, s.overrides
                FROM binary b JOIN machine m ON m.binary_id = b.id JOIN model mo ON mo.binary_id = b.id
                JOIN expansion e ON e.machine_id = m.id AND e.model_id = mo.id LEFT JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND m.name = ? AND e.accel = ? AND mo.name = ? AND e.type = ? AND e.variant = ?
                """)
            guard let row = try StoredRow.fetchOne(statement, arguments: [binary, machine, accel, model, type, variant]) else { return nil }
            let place = "table expansion, \(binary)/\(machine)+\(accel) \(model) \(type)\(variant.isEmpty ? "" : " " + variant)"
            return try Self.outcome(row.at(place)) { (r, id) throws(BadData) in try Self.propertySet(r, id: id, decoder: decoder) }
        }
    }

    /// An expansion row's outcome (with its set's columns from a LEFT JOIN, `set_row` the set's
    /// id), its props from `props` (``propertySet(_:id:decoder:)`` or a cache of it).
    static func outcome(_ r: StoredRow, props: (StoredRow, Int) throws(BadData) -> PropertySet) throws(BadData) -> ExpansionRecord.Outcome {
        let errorClass = try r.optionalText("error_class")
        guard let id = try r.optionalID("propset_id") else {
            guard let errorClass else { throw BadData("\(r.place()): neither a result (propset_id) nor an error (error_class)") }
            return .failed(errorClass: errorClass, description: try r.optionalText("error_desc") ?? "")
        }
        guard errorClass == nil else { throw BadData("\(r.place()): both a result (propset_id) and an error (error_class)") }
        return .expanded(model: try r.optionalText("result_model") ?? "", props: try props(r, id))
    }

    /// The set `id` from a row with `set_row`, `shape_id` and `overrides` of a LEFT JOIN on `propset`.
    static func propertySet(_ r: StoredRow, id: Int, decoder: PropertyDecoder) throws(BadData) -> PropertySet {
        guard try r.optionalInteger("set_row") != nil else { throw BadData("\(r.place()): propset_id \(id) is not in table propset") }
        let s = r.at("table propset, id \(id)")
        return try decoder.decode(shape: try s.id("shape_id"), overrides: try s.text("overrides"), place: s.place())
    }

    /// Every full expansion of `model` under `accel`, per machine type (for "on which machine types").
    public func expansionsAcrossMachines(binary: String, model: String, accel: String) throws -> [(machine: String, props: PropertySet)] {
        try fullExpansions(label: "m.name", filter: "mo.name = ?", arguments: [binary, model, accel]).map { ($0.0, $0.1) }
    }

    /// Every full expansion of one session, by model (for "which models carry feature F").
    public func expansions(binary: String, machine: String, accel: String) throws -> [(model: String, props: PropertySet)] {
        try fullExpansions(label: "mo.name", filter: "m.name = ?", arguments: [binary, machine, accel]).map { ($0.0, $0.1) }
    }

    /// Full expansions (no variant) of one binary and accelerator, filtered by machine or model,
    /// each labelled by the other one and sorted by that label; the failed ones are left out.
    private func fullExpansions(label: String, filter: String, arguments: StatementArguments) throws -> [(String, PropertySet)] {
        let decoder = try propertyDecoder()
        return try read { db in
            try StoredRow.fetchAll(db, sql: """
                SELECT \(label) AS label, e.propset_id, s.id AS set_row, s.shape_id, s.overrides
                FROM expansion e JOIN machine m ON m.id = e.machine_id JOIN binary b ON b.id = m.binary_id
                JOIN model mo ON mo.id = e.model_id LEFT JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND \(filter) AND e.accel = ? AND e.type = 'full' AND e.variant = '' AND e.propset_id IS NOT NULL
                ORDER BY label
                """, arguments: arguments).map { row in
                let r = row.at("table expansion")
                let label = try r.text("label")
                let e = row.at("table expansion, \(label)")
                return (label, try Self.propertySet(e, id: try e.id("propset_id"), decoder: decoder))
            }
        }
    }

    /// The names of the props of `binary`'s static expansions that are booleans: the CPU's
    /// feature flags (nil when the target has no static expansion).
    public func staticFeatureNames(binary: String) throws -> Set<String>? {
        if let cached = staticNameCache.withLock({ $0[binary] }) { return cached }
        let names = try loadStaticFeatureNames(binary: binary)
        staticNameCache.withLock { $0[binary] = names }
        return names
    }

    private func loadStaticFeatureNames(binary: String) throws -> Set<String>? {
        let decoder = try propertyDecoder()
        return try read { db in
            guard let row = try StoredRow.fetchOne(db, sql: """
                SELECT e.propset_id, s.id AS set_row, s.shape_id, s.overrides FROM expansion e JOIN machine m ON m.id = e.machine_id
                JOIN binary b ON b.id = m.binary_id LEFT JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND e.type = 'static' AND e.propset_id IS NOT NULL LIMIT 1
                """, arguments: [binary]) else { return nil }
            let r = row.at("table expansion, a static expansion of \(binary)")
            let props = try Self.propertySet(r, id: try r.id("propset_id"), decoder: decoder)
            return Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
        }
    }

    func propertyDecoder() throws -> PropertyDecoder {
        if let cached = decoderCache.withLock({ $0 }) { return cached }
        let decoder = try read { db in try PropertyDecoder(db) }
        decoderCache.withLock { $0 = decoder }
        return decoder
    }
}
