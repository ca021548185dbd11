import QMP
import SnapshotStore

extension CPUQuery {
    /// The machine types of the binary.
    public func machines() async throws -> Answer<[MachineInfo]> {
        let (located, source) = try await machineSource()
        let rows = try located.reader.machines(binary: binary).map { m in
            MachineInfo(name: m.name, alias: m.info["alias"]?.stringValue,
                        defaultCPUType: m.info["default-cpu-type"]?.stringValue,
                        isDefault: m.info["is-default"]?.boolValue ?? false,
                        deprecated: m.info["deprecated"]?.boolValue ?? false)
        }
        return Answer(value: rows, source: source)
    }

    /// The CPU models on `machine` (default: the binary's default machine type) under `accel`,
    /// versions grouped under their unversioned name.
    public func models(machine: String? = nil, accel: String = "tcg") async throws -> Answer<(machine: String, models: [ModelSummary])> {
        let machine = try await resolveMachine(machine)
        let (located, source) = try await sessionSource(machine: machine, accel: accel, expansions: false)
        let defs = try located.reader.definitions(binary: binary, machine: machine, accel: accel)
        let names = Set(defs.map(\.name))
        var versionsOf: [String: [String]] = [:]
        for d in defs {
            if let base = Self.versionBase(d.name), names.contains(base) { versionsOf[base, default: []].append(d.name) }
        }
        let summaries = defs.compactMap { d -> ModelSummary? in
            if let base = Self.versionBase(d.name), names.contains(base) { return nil }
            return ModelSummary(
                name: d.name, aliasOf: d.aliasOf,
                versions: (versionsOf[d.name] ?? []).sorted { Self.versionNumber($0) < Self.versionNumber($1) },
                deprecated: d.deprecated, isStatic: d.isStatic, migrationSafe: d.migrationSafe,
                unavailableFeatures: d.unavailableFeatures)
        }
        return Answer(value: (machine, summaries), source: source)
    }

    /// Everything about `model` on `machine` under `accel`.
    public func detail(model: String, machine: String? = nil, accel: String = "tcg") async throws -> Answer<ModelDetail> {
        let machine = try await resolveMachine(machine)
        let (located, source) = try await sessionSource(machine: machine, accel: accel, model: model)
        let reader = located.reader
        guard let definition = try reader.definition(binary: binary, machine: machine, accel: accel, model: model) else {
            let defs = try reader.definitions(binary: binary, machine: machine, accel: accel)
            throw QueryError.unknown("CPU model", model, among: defs.map(\.name),
                                     context: "on \(machine) (\(binary), QEMU \(version))")
        }
        guard case .expanded(_, let props)? = try reader.expansion(binary: binary, machine: machine, accel: accel, model: model) else {
            throw QueryError(.qemuUnavailable, "QEMU \(version) gives no expansion of \(model) on \(machine) under \(accel)")
        }
        let space = try featureSpace(reader, full: props)
        var features: [(String, Bool)] = []
        var identity: [PropertySet.Property] = []
        var other: [PropertySet.Property] = []
        for p in props.properties {
            if binaryIsX86, FeatureNames.identity.contains(p.name) { identity.append(p); continue }
            if let b = p.value.boolValue, let c = space.resolve(p.name) {
                if c == p.name { features.append((p.name, b)) }
                continue  // another spelling of a feature
            }
            other.append(p)
        }
        var staticExpansion: (String, [String])?
        if case .expanded(let name, let s)? = try reader.expansion(binary: binary, machine: machine, accel: accel,
                                                                  model: model, type: "static") {
            staticExpansion = (name, s.properties.filter { $0.value == .bool(true) }.map(\.name))
        }
        let compat = try compatDelta(reader, model: model, machine: machine, accel: accel, props: props)
        return Answer(value: ModelDetail(binary: binary, machine: machine, accel: accel, model: model,
                                         definition: definition, features: features, identity: identity, other: other,
                                         staticExpansion: staticExpansion, compat: compat), source: source)
    }

    /// The models on `machine` under `accel` that carry `feature`.
    public func carriers(feature: String, machine: String? = nil, accel: String = "tcg") async throws
        -> Answer<(machine: String, feature: String, models: [String])>
    {
        let machine = try await resolveMachine(machine)
        let (located, source) = try await sessionSource(machine: machine, accel: accel)
        let all = try located.reader.expansions(binary: binary, machine: machine, accel: accel)
        let name = try resolveFeature(feature, located.reader, sample: all.first?.props)
        let models = all.filter { $0.props[name] == .bool(true) }.map(\.model)
        return Answer(value: (machine, name, models), source: source)
    }

    /// On which harvested machine types `model` has `feature` on or off, under `accel`.
    public func featureAcrossMachines(model: String, feature: String, accel: String = "tcg") async throws
        -> Answer<(feature: String, machines: [(machine: String, enabled: Bool)])>
    {
        let (located, source) = try await machineSource()
        var rows: [(machine: String, props: PropertySet)] = []
        var from = located
        var answerSource = source
        for c in candidates {
            rows = try c.reader.expansionsAcrossMachines(binary: binary, model: model, accel: accel)
            if !rows.isEmpty { from = c; answerSource = self.source(c); break }
        }
        if rows.isEmpty {
            let machine = try await resolveMachine(nil)
            let (l, s) = try await sessionSource(machine: machine, accel: accel, model: model)
            rows = try l.reader.expansionsAcrossMachines(binary: binary, model: model, accel: accel)
            from = l
            answerSource = s
            if rows.isEmpty {
                let names = try l.reader.definitions(binary: binary, machine: machine, accel: accel).map(\.name)
                throw QueryError.unknown("CPU model", model, among: names, context: "(\(binary), QEMU \(version))")
            }
        }
        let name = try resolveFeature(feature, from.reader, sample: rows.first?.props)
        return Answer(value: (name, rows.map { ($0.machine, $0.props[name]?.boolValue ?? false) }), source: answerSource)
    }

    /// The canonical feature names of the binary.
    public func featureList(accel: String = "tcg") async throws -> Answer<[String]> {
        let machine = try await resolveMachine(nil)
        let (located, source) = try await sessionSource(machine: machine, accel: accel)
        let sample = try located.reader.expansions(binary: binary, machine: machine, accel: accel).first?.props
        return Answer(value: try featureSpace(located.reader, full: sample).names, source: source)
    }

    // MARK: - Helpers

    var binaryIsX86: Bool { binary.hasSuffix("x86_64") || binary.hasSuffix("i386") }

    /// The target's feature names: the boolean props of static expansions when the target has
    /// them (cached per file), else the boolean props of the full expansion `full`. The prop names
    /// of `full` are mapped ahead, so lookups of every spelling are one dictionary hit.
    func featureSpace(_ reader: SnapshotReader, full: PropertySet?) throws -> FeatureSpace {
        if let cached = featureCache.withLock({ $0[reader.path] }) { return cached }
        let staticNames = try reader.staticFeatureNames(binary: binary)
        let props = full?.properties ?? []
        let space = FeatureSpace(names: staticNames ?? Set(props.filter { $0.value.boolValue != nil }.map(\.name)),
                                 spellings: props.map(\.name))
        // Only the static names are the same for every question; names from one full expansion are not.
        if staticNames != nil { featureCache.withLock { $0[reader.path] = space } }
        return space
    }

    func resolveFeature(_ feature: String, _ reader: SnapshotReader, sample: PropertySet?) throws -> String {
        let space = try featureSpace(reader, full: sample)
        if let c = space.resolve(feature) { return c }
        throw QueryError.unknown("feature", feature, among: space.names, context: "for \(binary) (QEMU \(version))")
    }

    /// The props `machine` changes against the newest machine type of its family.
    func compatDelta(_ reader: SnapshotReader, model: String, machine: String, accel: String, props: PropertySet)
        throws -> (String, [(String, JSONValue, JSONValue)])?
    {
        guard let (family, _) = MachineTypeName.split(machine) else { return nil }
        let key = reader.path + "\u{0}" + family
        var newest = newestCache.withLock { $0[key] }
        if newest == nil {
            newest = try machineRows(reader).map(\.name)
                .filter { MachineTypeName.split($0)?.family == family }
                .max { QEMUVersion.less(MachineTypeName.split($0)!.version, MachineTypeName.split($1)!.version) }
            if let newest { newestCache.withLock { $0[key] = newest } }
        }
        guard let newest, newest != machine,
              case .expanded(_, let reference)? = try reader.expansion(binary: binary, machine: newest, accel: accel, model: model)
        else { return nil }
        var changes: [(String, JSONValue, JSONValue)] = []
        let mine = props.properties, theirs = reference.properties
        if mine.count == theirs.count, zip(mine, theirs).allSatisfy({ $0.name == $1.name }) {
            for (a, b) in zip(mine, theirs) where a.value != b.value { changes.append((a.name, a.value, b.value)) }
        } else {
            for p in mine where reference[p.name] != p.value { changes.append((p.name, p.value, reference[p.name] ?? .null)) }
        }
        return (newest, changes)
    }

    /// `X` for `X-vN`.
    static func versionBase(_ name: String) -> String? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let tail = name[name.index(after: dash)...]
        guard tail.count >= 2, tail.first == "v", tail.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return String(name[..<dash])
    }

    static func versionNumber(_ name: String) -> Int {
        Int(name.split(separator: "v").last ?? "") ?? 0
    }
}

extension CPUQuery {
    /// Machine-type and model names from the snapshots alone (for shell completion).
    public func knownNames() -> (machines: [String], models: [String]) {
        guard let located = candidates.first,
              let machines = try? located.reader.machines(binary: binary) else { return ([], []) }
        let machine = machines.first { $0.info["is-default"]?.boolValue == true }?.name ?? machines.first?.name ?? ""
        let models = (try? located.reader.definitions(binary: binary, machine: machine, accel: "tcg"))?.map(\.name) ?? []
        return (machines.map(\.name), models)
    }
}

extension CPUQuery {
    /// The open snapshots of the chosen QEMU version, in search order.
    public func snapshotReaders() -> [SnapshotReader] { candidates.map(\.reader) }
}

extension CPUQuery {
    /// Every model's feature set on `machine` under `accel` (for command lines and baselines).
    public func modelFeatureSets(machine: String? = nil, accel: String = "tcg") async throws -> Answer<ModelFeatureSets> {
        let machine = try await resolveMachine(machine)
        let (located, source) = try await sessionSource(machine: machine, accel: accel)
        let reader = located.reader
        let expansions = try reader.expansions(binary: binary, machine: machine, accel: accel)
        let space = try featureSpace(reader, full: expansions.first?.props)
        var models: [String: Set<String>] = [:]
        for (model, props) in expansions { models[model] = space.features(of: props) }
        var aliasOf: [String: String] = [:]
        for d in try reader.definitions(binary: binary, machine: machine, accel: accel) {
            if let a = d.aliasOf { aliasOf[d.name] = a }
        }
        return Answer(value: ModelFeatureSets(machine: machine, accel: accel, space: space, models: models, aliasOf: aliasOf),
                      source: source)
    }
}
