import CPUQuery
import QMP
import SnapshotStore

extension ModelHistory {
    /// The history of `model` on `timeline`'s releases.
    ///
    /// - Parameters:
    ///   - machine: a machine type name or alias (`q35`, `microvm`) looked up in every release;
    ///     nil looks at each release's newest machine types (the versioned ones of its own version,
    ///     else its default).
    ///   - feature: a feature name whose value is shown per release.
    /// - Throws: ``QueryError`` `unknown-name` when no release has the model (or the feature).
    public static func build(model: String, timeline: ReleaseTimeline, accel: String = "tcg",
                             machine: String? = nil, feature: String? = nil) throws -> ModelHistory {
        let binary = timeline.binary
        var entries: [Entry] = []
        var allModels = Set<String>()
        var canonicalFeature: String?
        var allFeatures = Set<String>()
        for release in timeline.releases {
            let reader = release.reader
            let rows = try reader.machines(binary: binary)
            let (names, missing) = machineTypes(rows, asked: machine)
            var entry = Entry(version: release.version, package: release.package, file: release.path, exists: false,
                              versions: [], machines: [], missingMachine: missing)
            // The model list and versions come from the first harvested machine type looked at (or any).
            let probeMachine = (names + rows.map(\.name)).first { (try? reader.session(binary: binary, machine: $0, accel: accel))??.status == "ok" }
            entry.harvested = probeMachine != nil
            let definitions = try probeMachine.map { try reader.definitions(binary: binary, machine: $0, accel: accel) } ?? []
            allModels.formUnion(definitions.map(\.name))
            entry.exists = definitions.contains { $0.name == model }
            entry.versions = versions(of: model, among: definitions.map(\.name))
            if entry.exists {
                for name in names {
                    guard let definition = try reader.definition(binary: binary, machine: name, accel: accel, model: model) else { continue }
                    let info = rows.first { $0.name == name }?.info
                    var features: Set<String>?
                    var space: FeatureSpace?
                    var identity: [String: JSONValue] = [:]
                    if case .expanded(_, let props)? = try reader.expansion(binary: binary, machine: name, accel: accel, model: model) {
                        for p in props.properties where FeatureNames.identity.contains(p.name) { identity[p.name] = p.value }
                        let staticNames = try reader.staticFeatureNames(binary: binary)
                        let s = FeatureSpace(names: staticNames ?? Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name)),
                                             spellings: props.properties.map(\.name))
                        features = s.features(of: props)
                        space = s
                    }
                    var m = MachineEntry(machine: name, machineDeprecated: info?["deprecated"]?.boolValue ?? false,
                                         aliasOf: definition.aliasOf, deprecated: definition.deprecated, features: features)
                    m.identity = identity
                    if let feature, let space {
                        if let c = space.resolve(feature) {
                            canonicalFeature = c
                            entry.featureKnown = true
                            m.featureValue = features?.contains(c)
                        } else {
                            entry.featureKnown = false
                        }
                        allFeatures.formUnion(space.names)
                    }
                    entry.machines.append(m)
                }
            }
            if let previous = entries.last(where: { $0.exists }) { compare(&entry, with: previous) }
            entries.append(entry)
        }
        guard entries.contains(where: \.exists) else {
            throw QueryError(.unknownName, "unknown CPU model '\(model)' for \(binary) in every release (\(timeline.releases.map(\.version).joined(separator: ", ")))",
                             suggestions: Suggestions.closest(to: model, in: allModels.sorted()))
        }
        if let feature, canonicalFeature == nil, !allFeatures.isEmpty {
            throw QueryError(.unknownName, "unknown feature '\(feature)' for \(binary) in every release",
                             suggestions: Suggestions.closest(to: feature, in: allFeatures.sorted()))
        }
        return ModelHistory(model: model, binary: binary, accel: accel, machine: machine,
                            feature: canonicalFeature ?? feature, entries: entries)
    }

    /// The machine types of one release to look at: `asked` (a name or an alias) or the newest.
    static func machineTypes(_ rows: [SnapshotReader.MachineRow], asked: String?) -> (names: [String], missing: String?) {
        if let asked {
            if rows.contains(where: { $0.name == asked }) { return ([asked], nil) }
            if let byAlias = rows.first(where: { $0.info["alias"]?.stringValue == asked }) { return ([byAlias.name], nil) }
            return ([], asked)
        }
        let versioned = rows.compactMap { row in MachineTypeName.split(row.name).map { (row.name, $0.version) } }
        if let newest = versioned.map(\.1).max(by: QEMUVersion.less) {
            return (versioned.filter { $0.1 == newest }.map(\.0).sorted(), nil)
        }
        let fallback = rows.first { $0.info["is-default"]?.boolValue == true } ?? rows.first
        return (fallback.map { [$0.name] } ?? [], nil)
    }

    /// `MODEL-v1`, `MODEL-v2`, … among `names`, in version order.
    static func versions(of model: String, among names: [String]) -> [String] {
        let prefix = model + "-v"
        return names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix(prefix), let n = Int(name.dropFirst(prefix.count)) else { return nil }
            return (name, n)
        }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// Fills each machine entry's changes against the same family's (or name's) entry of `previous`.
    static func compare(_ entry: inout Entry, with previous: Entry) {
        for i in entry.machines.indices {
            let current = entry.machines[i]
            let family = MachineTypeName.split(current.machine)?.family
            let before = previous.machines.first { $0.machine == current.machine }
                ?? previous.machines.first { family != nil && MachineTypeName.split($0.machine)?.family == family }
            guard let before else { continue }
            entry.machines[i].comparedWith = before.machine
            if before.aliasOf != current.aliasOf { entry.machines[i].aliasBefore = .some(before.aliasOf) }
            if current.features != nil, before.features != nil {
                entry.machines[i].identityChanges = Set(current.identity.keys).union(before.identity.keys).sorted()
                    .filter { before.identity[$0] != current.identity[$0] }
                    .map { IdentityChange(prop: $0, old: before.identity[$0], new: current.identity[$0]) }
            }
            if let now = current.features, let then = before.features {
                entry.machines[i].added = now.subtracting(then).sorted()
                entry.machines[i].removed = then.subtracting(now).sorted()
            }
        }
    }
}
