import GRDB
import QMP

extension SnapshotReader {
    /// Loads the whole snapshot into memory (for merging, diffing and tests).
    public func load() throws -> Snapshot {
        try database.read { db in try Self.load(db, path: path) }
    }

    private static func json(_ text: String, _ path: String) throws -> JSONValue {
        do { return try JSONParser.parse(text) } catch {
            throw SnapshotError(.corrupt, path: path, "bad JSON in snapshot: \(error)")
        }
    }

    private static func load(_ db: Database, path: String) throws -> Snapshot {
        let meta = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
            (($0["key"] as String), ($0["value"] as String))
        })
        let coverage = try json(meta["coverage"] ?? "{}", path)
        func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var s = Snapshot(meta: SnapshotMeta(
            qcpuVersion: meta["qcpu_version"] ?? "", qemuVersion: meta["qemu_version"] ?? "",
            qemuPackage: meta["qemu_package"] ?? "", harvestTime: Int64(meta["harvest_epoch"] ?? "0") ?? 0,
            machineFilter: strings(coverage["machine-filter"]), modelFilter: strings(coverage["model-filter"])))
        if let extra = meta["host_extra_features"] { s.meta.hostExtraFeatures = strings(try json(extra, path)) }
        for (key, value) in meta where key.hasPrefix(CPUModelTable.metaKey(binary: "")) {
            guard let table = CPUModelTable(json: try json(value, path)) else {
                throw SnapshotError(.corrupt, path: path, "meta \(key) is not a CPU model table")
            }
            s.meta.modelTables[String(key.dropFirst(CPUModelTable.metaKey(binary: "").count))] = table
        }
        s.meta.partialCoverage = PartialCoverage(coverage: coverage)
        let known: Set<String> = ["coverage", "format", "harvest_epoch", "harvest_time", "qcpu_version", "qemu_package",
                                  "qemu_version", "schema_version", "unsupported", "host_extra_features"]
        for (key, value) in meta where !known.contains(key) && !key.hasPrefix(CPUModelTable.metaKey(binary: "")) {
            s.meta.extra[key] = value
        }

        var binaryName: [Int: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM binary ORDER BY id") {
            binaryName[row["id"]] = row["name"]
            s.binaries.append(BinaryRecord(name: row["name"], arch: row["arch"], size: row["size"],
                                           sha256: row["sha256"], accelerators: strings(try json(row["accelerators"], path))))
        }
        var hosts: [Int: HostRecord] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM host") {
            hosts[row["id"]] = HostRecord(vendor: row["vendor"], family: row["family"], model: row["model"],
                                          stepping: row["stepping"], modelName: row["model_name"],
                                          microcode: row["microcode"], kernel: row["kernel"])
        }
        var machines: [Int: (binary: String, name: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM machine ORDER BY id") {
            let binary = binaryName[row["binary_id"]] ?? "?"
            machines[row["id"]] = (binary, row["name"])
            s.machines.append(MachineRecord(binary: binary, name: row["name"], info: try json(row["info"], path)))
        }
        var models: [Int: String] = [:]
        var typenames: [Int: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, typename FROM model") {
            models[row["id"]] = row["name"]
            typenames[row["id"]] = row["typename"]
        }
        var lists: [Int: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, features FROM feature_list") {
            lists[row["id"]] = strings(try json(row["features"], path))
        }
        func key(_ row: Row) -> SessionKey {
            let m = machines[row["machine_id"]] ?? ("?", "?")
            return SessionKey(binary: m.binary, machine: m.name, accel: row["accel"])
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM session") {
            s.sessions.append(SessionRecord(
                key: key(row), host: (row["host_id"] as Int?).flatMap { hosts[$0] }, status: row["status"],
                message: row["message"], unsupported: strings(try json(row["unsupported"], path))))
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM cpu_definition") {
            let unavailable: Int? = row["unavailable_id"]
            s.definitions.append(CPUDefinitionRecord(
                session: key(row), name: models[row["model_id"]] ?? "?", typename: typenames[row["model_id"]] ?? "",
                aliasOf: row["alias_of"], isStatic: row["static"], migrationSafe: row["migration_safe"],
                deprecated: row["deprecated"], unavailableFeatures: unavailable.flatMap { lists[$0] }))
        }
        let sets = try loadPropertySets(db, path: path)
        for row in try Row.fetchAll(db, sql: "SELECT * FROM expansion") {
            let k = ExpansionRecord.Key(session: key(row), model: models[row["model_id"]] ?? "?",
                                        type: row["type"], variant: row["variant"])
            if let id = row["propset_id"] as Int? {
                guard let props = sets[id] else { throw SnapshotError(.corrupt, path: path, "missing propset \(id)") }
                s.expansions.append(ExpansionRecord(key: k, outcome: .expanded(model: row["result_model"] ?? "", props: props)))
            } else {
                s.expansions.append(ExpansionRecord(key: k, outcome: .failed(
                    errorClass: row["error_class"] ?? "", description: row["error_desc"] ?? "")))
            }
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT t.binary_id, t.typename, p.properties FROM qom_type t JOIN qom_propset p ON p.id = t.qom_propset_id
            """) {
            s.qomTypes.append(QOMTypeRecord(binary: binaryName[row["binary_id"]] ?? "?", typename: row["typename"],
                                            properties: try json(row["properties"], path)))
        }
        s.normalize()
        return s
    }

    /// Decodes every stored property set: its shape's names, each with its override or default.
    static func loadPropertySets(_ db: Database, path: String) throws -> [Int: PropertySet] {
        var pairs: [Int: (name: String, value: JSONValue)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, value FROM prop") {
            pairs[row["id"]] = (row["name"], try json(row["value"], path))
        }
        var defaults: [String: JSONValue] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, prop_id FROM prop_default") {
            guard let pair = pairs[row["prop_id"]] else { throw SnapshotError(.corrupt, path: path, "bad default") }
            defaults[row["name"]] = pair.value
        }
        var shapes: [Int: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, names FROM shape") {
            shapes[row["id"]] = try json(row["names"], path).arrayValue?.compactMap(\.stringValue) ?? []
        }
        var sets: [Int: PropertySet] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, shape_id, overrides FROM propset") {
            guard let names = shapes[row["shape_id"]] else { throw SnapshotError(.corrupt, path: path, "bad shape") }
            var overrides: [String: JSONValue] = [:]
            for id in try json(row["overrides"], path).arrayValue ?? [] {
                guard let pid = id.intValue, let pair = pairs[pid] else {
                    throw SnapshotError(.corrupt, path: path, "propset \(row["id"] as Int) names a missing prop")
                }
                overrides[pair.name] = pair.value
            }
            var props: [PropertySet.Property] = []
            props.reserveCapacity(names.count)
            for name in names {
                guard let value = overrides[name] ?? defaults[name] else {
                    throw SnapshotError(.corrupt, path: path, "prop \(name) has no value and no default")
                }
                props.append(.init(name: name, value: value))
            }
            sets[row["id"]] = PropertySet(sorted: props)
        }
        return sets
    }
}
