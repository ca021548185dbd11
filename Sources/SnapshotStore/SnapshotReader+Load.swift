import GRDB
import QMP

extension SnapshotReader {
    /// Loads the whole snapshot into memory (for merging, diffing, validating and tests),
    /// checking every row as the lookups do.
    public func load() throws -> Snapshot {
        let decoder = try propertyDecoder()
        return try read { db in try Self.load(db, decoder: decoder) }
    }

    /// The `meta` keys ``SnapshotMeta`` has fields for (the rest go to ``SnapshotMeta/extra``).
    static let knownMetaKeys: Set<String> = [
        "coverage", "format", "harvest_epoch", "harvest_time", "qcpu_version", "qemu_package",
        "qemu_version", "schema_version", "unsupported", "host_extra_features", ContentDigest.metaKey,
    ]

    private static func load(_ db: Database, decoder: PropertyDecoder) throws -> Snapshot {
        let meta = try Self.meta(db)
        let coverage = try StoredJSON.parse(meta["coverage"] ?? "{}", "meta coverage")
        guard coverage.objectValue != nil else { throw BadData("meta coverage is not a JSON object") }
        func strings(_ member: String) throws(BadData) -> [String] {
            guard let v = coverage[member] else { return [] }
            return try StoredJSON.strings(v, "meta coverage: \(member)")
        }
        let epoch = meta["harvest_epoch"] ?? "0"
        guard let harvestTime = Int64(epoch) else { throw BadData("meta harvest_epoch '\(StoredJSON.oneLine(epoch, limit: 40))' is not an integer") }
        var s = Snapshot(meta: SnapshotMeta(
            qcpuVersion: meta["qcpu_version"] ?? "", qemuVersion: meta["qemu_version"] ?? "",
            qemuPackage: meta["qemu_package"] ?? "", harvestTime: harvestTime,
            machineFilter: try strings("machine-filter"), modelFilter: try strings("model-filter")))
        if let extra = meta["host_extra_features"] {
            s.meta.hostExtraFeatures = try StoredJSON.strings(try StoredJSON.parse(extra, "meta host_extra_features"), "meta host_extra_features")
        }
        let tablePrefix = CPUModelTable.metaKey(binary: "")
        for (key, value) in meta where key.hasPrefix(tablePrefix) {
            s.meta.modelTables[String(key.dropFirst(tablePrefix.count))] =
                try CPUModelTable(checking: try StoredJSON.parse(value, "meta \(key)"), place: "meta \(key)")
        }
        s.meta.partialCoverage = try PartialCoverage.checked(coverage)
        for (key, value) in meta where !knownMetaKeys.contains(key) && !key.hasPrefix(tablePrefix) {
            s.meta.extra[key] = value
        }

        let binaries = try binaryRows(db)
        s.binaries = binaries.map(\.record)
        let (machines, models) = try names(db)
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, info FROM machine ORDER BY id") {
            let id = try row.at("table machine").id("id")
            let r = row.at("table machine, id \(id)")
            guard let m = machines[id] else { throw BadData("\(r.place()): not read") }
            let info = try r.json("info")
            guard info.objectValue != nil else { throw BadData("\(r.place()): info is not a JSON object") }
            s.machines.append(MachineRecord(binary: m.binary, name: m.name, info: info))
        }
        func session(_ r: StoredRow) throws(BadData) -> (key: SessionKey, binaryID: Int) {
            let id = try r.id("machine_id")
            guard let m = machines[id] else { throw BadData("\(r.place()): machine_id \(id) is not in table machine") }
            return (SessionKey(binary: m.binary, machine: m.name, accel: try r.text("accel")), m.binaryID)
        }
        for row in try StoredRow.fetchAll(db, sql: """
            SELECT s.machine_id, s.accel, s.status, s.message, s.unsupported, s.host_id, h.id AS host_row, h.vendor, h.family,
                   h.model, h.stepping, h.model_name, h.microcode, h.kernel
            FROM session s LEFT JOIN host h ON h.id = s.host_id
            """) {
            let key = try session(row.at("table session")).key
            s.sessions.append(try sessionRecord(row.at("table session, \(key)"), key: key))
        }
        let lists = DecodeCache<[String]>()
        for row in try StoredRow.fetchAll(db, sql: definitionColumns.replacingOccurrences(of: "SELECT ", with: "SELECT d.machine_id, d.accel, ")) {
            let (key, binaryID) = try session(row.at("table cpu_definition"))
            s.definitions.append(try definitionRecord(row.at("table cpu_definition, \(key)"), session: key, binaryID: binaryID, lists: lists))
        }
        // Each stored set decoded once and shared by its expansions (as the writer stores it).
        var sets: [Int: PropertySet] = [:]
        func props(_ r: StoredRow, _ id: Int) throws(BadData) -> PropertySet {
            if let known = sets[id] { return known }
            let set = try propertySet(r, id: id, decoder: decoder)
            sets[id] = set
            return set
        }
        for row in try StoredRow.fetchAll(db, sql: """
            SELECT e.machine_id, e.accel, e.model_id, e.type, e.variant, e.result_model, e.propset_id, e.error_class,
                   e.error_desc, s.id AS set_row, s.shape_id, s.overrides
            FROM expansion e LEFT JOIN propset s ON s.id = e.propset_id
            """) {
            let (key, model) = try Self.key(row.at("table expansion"), machines: machines, models: models)
            let r = row.at("table expansion, \(key) \(model.name)")
            s.expansions.append(ExpansionRecord(
                key: ExpansionRecord.Key(session: key, model: model.name, type: try r.text("type"), variant: try r.text("variant")),
                outcome: try outcome(r, props: props)))
        }
        var qomLists: [Int: JSONValue] = [:]
        var binaryName: [Int: String] = [:]
        for (id, b) in binaries { binaryName[id] = b.name }
        for row in try StoredRow.fetchAll(db, sql: """
            SELECT t.binary_id, t.typename, t.qom_propset_id, p.id AS list_row, p.properties
            FROM qom_type t LEFT JOIN qom_propset p ON p.id = t.qom_propset_id
            """) {
            let r = row.at("table qom_type")
            let b = try r.id("binary_id"), typename = try r.text("typename")
            let t = row.at("table qom_type, \(typename)")
            guard let binary = binaryName[b] else { throw BadData("\(t.place()): binary_id \(b) is not in table binary") }
            let list = try t.id("qom_propset_id")
            guard try t.optionalInteger("list_row") != nil else { throw BadData("\(t.place()): qom_propset_id \(list) is not in table qom_propset") }
            let properties: JSONValue
            if let known = qomLists[list] {
                properties = known
            } else {
                properties = try row.at("table qom_propset, id \(list)").json("properties")
                guard properties.arrayValue != nil else { throw BadData("table qom_propset, id \(list): properties is not a JSON array") }
                qomLists[list] = properties
            }
            s.qomTypes.append(QOMTypeRecord(binary: binary, typename: typename, properties: properties))
        }
        s.normalize()
        return s
    }
}
