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
        try database.unsafeRead { db in
            try Row.fetchAll(db, sql: "SELECT name, arch, accelerators FROM binary ORDER BY name").map {
                ($0["name"], $0["arch"], ((try? JSONParser.parse($0["accelerators"] as String))?.arrayValue ?? []).compactMap(\.stringValue))
            }
        }
    }

    /// The machine types of `binary`, sorted by name.
    public func machines(binary: String) throws -> [MachineRow] {
        try database.unsafeRead { db in
            try Row.fetchAll(db, sql: """
                SELECT m.name, m.info FROM machine m JOIN binary b ON b.id = m.binary_id
                WHERE b.name = ? ORDER BY m.name
                """, arguments: [binary]).map { MachineRow(name: $0["name"], info: (try? JSONParser.parse($0["info"] as String)) ?? .null) }
        }
    }

    /// The session of `binary` on `machine` under `accel`, if harvested.
    public func session(binary: String, machine: String, accel: String) throws -> SessionRecord? {
        try database.unsafeRead { db in
            let statement = try db.cachedStatement(sql: """
                SELECT s.status, s.message, s.unsupported, h.vendor, h.family, h.model, h.stepping, h.model_name,
                       h.microcode, h.kernel, s.host_id
                FROM session s JOIN machine m ON m.id = s.machine_id JOIN binary b ON b.id = m.binary_id
                LEFT JOIN host h ON h.id = s.host_id
                WHERE b.name = ? AND m.name = ? AND s.accel = ?
                """)
            guard let row = try Row.fetchOne(statement, arguments: [binary, machine, accel]) else { return nil }
            var host: HostRecord?
            if (row["host_id"] as Int?) != nil {
                host = HostRecord(vendor: row["vendor"], family: row["family"], model: row["model"], stepping: row["stepping"],
                                  modelName: row["model_name"], microcode: row["microcode"], kernel: row["kernel"])
            }
            let unsupported = ((try? JSONParser.parse(row["unsupported"] as String))?.arrayValue ?? []).compactMap(\.stringValue)
            return SessionRecord(key: SessionKey(binary: binary, machine: machine, accel: accel), host: host,
                                 status: row["status"], message: row["message"], unsupported: unsupported)
        }
    }

    /// The `query-cpu-definitions` row of one model in one session, if stored.
    public func definition(binary: String, machine: String, accel: String, model: String) throws -> CPUDefinitionRecord? {
        try definitionRows(binary: binary, machine: machine, accel: accel, model: model).first
    }

    /// The `query-cpu-definitions` rows of one session, sorted by model name.
    public func definitions(binary: String, machine: String, accel: String) throws -> [CPUDefinitionRecord] {
        try definitionRows(binary: binary, machine: machine, accel: accel, model: nil)
    }

    private func definitionRows(binary: String, machine: String, accel: String, model: String?) throws -> [CPUDefinitionRecord] {
        let key = SessionKey(binary: binary, machine: machine, accel: accel)
        return try database.unsafeRead { db in
            let columns = """
                SELECT mo.name, mo.typename, d.alias_of, d.static, d.migration_safe, d.deprecated, f.features
                FROM binary b JOIN machine m ON m.binary_id = b.id JOIN model mo ON mo.binary_id = b.id
                JOIN cpu_definition d ON d.machine_id = m.id AND d.model_id = mo.id
                LEFT JOIN feature_list f ON f.id = d.unavailable_id
                WHERE b.name = ? AND m.name = ? AND d.accel = ?
                """
            let statement = try db.cachedStatement(sql: model == nil ? columns + " ORDER BY mo.name" : columns + " AND mo.name = ?")
            let arguments: StatementArguments = model.map { [binary, machine, accel, $0] } ?? [binary, machine, accel]
            return try Row.fetchAll(statement, arguments: arguments).map { row in
                let features: String? = row["features"]
                return CPUDefinitionRecord(
                    session: key, name: row["name"], typename: row["typename"] ?? "", aliasOf: row["alias_of"],
                    isStatic: row["static"], migrationSafe: row["migration_safe"], deprecated: row["deprecated"],
                    unavailableFeatures: features.map { ((try? JSONParser.parse($0))?.arrayValue ?? []).compactMap(\.stringValue) })
            }
        }
    }

    /// One expansion, decoded; nil when not stored.
    public func expansion(binary: String, machine: String, accel: String, model: String,
                          type: String = "full", variant: String = "") throws -> ExpansionRecord.Outcome? {
        let decoder = try propertyDecoder()
        return try database.unsafeRead { db in
            let statement = try db.cachedStatement(sql: """
                SELECT e.result_model, e.error_class, e.error_desc, s.shape_id, s.overrides
                FROM binary b JOIN machine m ON m.binary_id = b.id JOIN model mo ON mo.binary_id = b.id
                JOIN expansion e ON e.machine_id = m.id AND e.model_id = mo.id LEFT JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND m.name = ? AND e.accel = ? AND mo.name = ? AND e.type = ? AND e.variant = ?
                """)
            guard let row = try Row.fetchOne(statement, arguments: [binary, machine, accel, model, type, variant]) else { return nil }
            if let shape = row["shape_id"] as Int? {
                let props = try decoder.decode(shape: shape, overrides: row["overrides"], path: path)
                return .expanded(model: row["result_model"] ?? "", props: props)
            }
            return .failed(errorClass: row["error_class"] ?? "", description: row["error_desc"] ?? "")
        }
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
    /// each labelled by the other one and sorted by that label.
    private func fullExpansions(label: String, filter: String, arguments: StatementArguments) throws -> [(String, PropertySet)] {
        let decoder = try propertyDecoder()
        return try database.unsafeRead { db in
            try Row.fetchAll(db, sql: """
                SELECT \(label) AS label, s.shape_id, s.overrides
                FROM expansion e JOIN machine m ON m.id = e.machine_id JOIN binary b ON b.id = m.binary_id
                JOIN model mo ON mo.id = e.model_id JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND \(filter) AND e.accel = ? AND e.type = 'full' AND e.variant = ''
                ORDER BY label
                """, arguments: arguments).map { row in
                (row["label"], try decoder.decode(shape: row["shape_id"], overrides: row["overrides"], path: path))
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
        return try database.unsafeRead { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.shape_id, s.overrides FROM expansion e JOIN machine m ON m.id = e.machine_id
                JOIN binary b ON b.id = m.binary_id JOIN propset s ON s.id = e.propset_id
                WHERE b.name = ? AND e.type = 'static' LIMIT 1
                """, arguments: [binary]) else { return nil }
            let props = try decoder.decode(shape: row["shape_id"], overrides: row["overrides"], path: path)
            return Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
        }
    }

    func propertyDecoder() throws -> PropertyDecoder {
        if let cached = decoderCache.withLock({ $0 }) { return cached }
        let decoder = try database.unsafeRead { db in try PropertyDecoder(db, path: path) }
        decoderCache.withLock { $0 = decoder }
        return decoder
    }
}

/// The shared parts of stored property sets (pairs, defaults, shapes), loaded once per reader.
final class PropertyDecoder: Sendable {
    struct Shape: Sendable {
        let names: [String]
        let defaults: [JSONValue]
        let position: [String: Int]
    }

    let pairs: [Int: PropertySet.Property]
    let shapes: [Int: Shape]

    init(_ db: Database, path: String) throws {
        var pairs: [Int: PropertySet.Property] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, value FROM prop") {
            guard let value = try? JSONParser.parse(row["value"] as String) else {
                throw SnapshotError(.corrupt, path: path, "bad prop value")
            }
            pairs[row["id"]] = PropertySet.Property(name: row["name"], value: value)
        }
        var defaults: [String: JSONValue] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, prop_id FROM prop_default") {
            defaults[row["name"]] = pairs[row["prop_id"]]?.value
        }
        var shapes: [Int: Shape] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, names FROM shape") {
            let names = ((try? JSONParser.parse(row["names"] as String))?.arrayValue ?? []).compactMap(\.stringValue)
            var values: [JSONValue] = []
            for name in names {
                guard let value = defaults[name] else { throw SnapshotError(.corrupt, path: path, "prop \(name) has no default") }
                values.append(value)
            }
            var position: [String: Int] = [:]
            for (i, name) in names.enumerated() { position[name] = i }
            shapes[row["id"]] = Shape(names: names, defaults: values, position: position)
        }
        self.pairs = pairs
        self.shapes = shapes
    }

    func decode(shape id: Int, overrides: String, path: String) throws -> PropertySet {
        guard let shape = shapes[id] else { throw SnapshotError(.corrupt, path: path, "missing shape \(id)") }
        var values = shape.defaults
        var number = 0
        var inNumber = false
        for byte in overrides.utf8 {
            if byte >= 0x30 && byte <= 0x39 { number = number * 10 + Int(byte - 0x30); inNumber = true; continue }
            if inNumber {
                guard let pair = pairs[number], let at = shape.position[pair.name] else {
                    throw SnapshotError(.corrupt, path: path, "override \(number) is not a prop of its shape")
                }
                values[at] = pair.value
            }
            number = 0
            inNumber = false
        }
        var props: [PropertySet.Property] = []
        props.reserveCapacity(values.count)
        for (name, value) in zip(shape.names, values) { props.append(.init(name: name, value: value)) }
        return PropertySet(sorted: props)
    }
}
