import CPUQuery
import SnapshotStore

/// QEMU's own comparison and baseline of CPU models (`query-cpu-model-comparison`,
/// `query-cpu-model-baseline`; s390x), computed offline from a recorded ``CPUModelTable``.
///
/// A model is a definition (generation, GA level, CPU type) and a set of leaf features. QEMU
/// names a feature group in place of its leaves when all are present; the algebra unfolds the
/// names of an expansion into leaves and folds its answers back, in QEMU's order, so they read
/// exactly like QEMU's.
public struct CPUModelAlgebra: Sendable {
    /// A CPU model as QEMU holds it.
    public struct Model: Sendable, Equatable {
        /// The definition (`z14`; the static model is `z14-base`).
        public var definition: String
        /// The leaf features.
        public var features: Set<String>

        /// Creates a model.
        public init(definition: String, features: Set<String>) {
            self.definition = definition
            self.features = features
        }
    }

    /// A baseline: the static model and its changes against the definition's base features.
    public struct BaselineModel: Sendable, Equatable {
        /// The definition found.
        public var definition: String
        /// `<definition>-base`.
        public var name: String { definition + "-base" }
        /// Folded feature names switched on (true) or off (false) against the base.
        public var props: [String: Bool]
        /// The leaf features of the result.
        public var features: Set<String>

        /// The result as a model, to baseline further.
        public var model: Model { Model(definition: definition, features: features) }

        /// The `-cpu` string (`z13s-base,aen=on,...`), props in QEMU's order.
        public func option(in algebra: CPUModelAlgebra) -> String {
            ([name] + algebra.ordered(props.keys).map { "\($0)=\(props[$0]! ? "on" : "off")" }).joined(separator: ",")
        }
    }

    /// The table.
    public let table: CPUModelTable
    private let index: [String: Int]
    private let bases: [Set<String>], fulls: [Set<String>]
    private let groups: [(name: String, members: Set<String>)]
    private let leaves: Set<String>
    private let ignored: Set<String>
    private let order: [String: Int]

    /// Creates the algebra of `table`.
    public init(table: CPUModelTable) {
        self.table = table
        index = Dictionary(table.definitions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        bases = table.definitions.map { Set($0.baseFeatures) }
        fulls = table.definitions.map { Set($0.fullFeatures) }
        groups = table.groups.filter { !$0.members.isEmpty }.map { ($0.name, Set($0.members)) }
        leaves = Set(table.features)
        ignored = Set(table.ignoredBaseFeatures)
        order = Dictionary((table.groups.map(\.name) + table.features).enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `names` in QEMU's order: groups in group order, then leaves in feature order.
    public func ordered(_ names: some Sequence<String>) -> [String] {
        names.sorted { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) }
    }

    /// The leaves behind feature and group names.
    public func unfold(_ names: some Sequence<String>) -> Set<String> { table.unfold(names) }

    /// The names QEMU reports for a set of leaves: each whole group by its name, then the rest.
    public func fold(_ features: Set<String>) -> [String] {
        var rest = features
        var names: [String] = []
        for g in groups where g.members.isSubset(of: rest) {
            names.append(g.name)
            rest.subtract(g.members)
        }
        return names + ordered(rest)
    }

    /// The model behind a full expansion (`name` is QEMU's answer, `<definition>-base`).
    public func model(expansionName name: String, trueProps: some Sequence<String>) throws(HostCPUError) -> Model {
        let definition = name.hasSuffix("-base") ? String(name.dropLast(5)) : name
        guard index[definition] != nil else {
            throw HostCPUError(.badGuest, "expansion names '\(name)', which is not a CPU definition of the model table")
        }
        return Model(definition: definition, features: unfold(trueProps))
    }

    /// `model` with features and groups switched on or off in order, refused like QEMU refuses
    /// them (a feature or group the definition cannot have, an unknown name).
    public func applying(_ changes: [(name: String, on: Bool)], to model: Model) throws(HostCPUError) -> Model {
        var result = model
        let full = fulls[index[model.definition]!]
        for (name, on) in changes {
            let isGroup = table.groups.contains { $0.name == name }
            guard isGroup || leaves.contains(name) else {
                throw .unknown("feature", name, among: table.features + table.groups.map(\.name), context: "of CPU definition \(model.definition)")
            }
            let members = unfold([name])
            if on {
                // QEMU adds a group in one go when any of its features is available.
                guard isGroup ? !members.isDisjoint(with: full) : full.contains(name) else {
                    throw HostCPUError(.badGuest, "\(isGroup ? "Group" : "Feature") '\(name)' is not available for CPU model '\(model.definition)', it was introduced with later models.")
                }
                result.features.formUnion(members)
            } else {
                result.features.subtract(members)
            }
        }
        return result
    }

    /// `query-cpu-model-comparison` of `a` with `b`: the result and the responsible properties
    /// in QEMU's order (`type` when the generation or GA level differs).
    public func compare(_ a: Model, _ b: Model) -> (result: CPUComparison.Relation, responsible: [String]) {
        let ra = table.definitions[index[a.definition]!].rank, rb = table.definitions[index[b.definition]!].rank
        let generation: CPUComparison.Relation = ra == rb ? .identical : (ra < rb ? .subset : .superset)
        var listed: [String] = generation == .identical ? [] : ["type"]
        let feature: CPUComparison.Relation
        if a.features == b.features {
            feature = .identical
        } else {
            let missing = a.features.subtracting(b.features), added = b.features.subtracting(a.features)
            listed += fold(missing) + fold(added)
            feature = missing.isEmpty ? .subset : (added.isEmpty ? .superset : .incompatible)
        }
        let result: CPUComparison.Relation
        if generation == feature || feature == .identical { result = generation }
        else if generation == .identical { result = feature }
        else { result = .incompatible }
        return (result, listed.reversed())
    }

    /// `query-cpu-model-baseline` of `a` and `b`: the newest definition both can be (by QEMU's
    /// search through its table) with the features both have that it may enable.
    public func baseline(_ a: Model, _ b: Model) throws(HostCPUError) -> BaselineModel {
        let da = table.definitions[index[a.definition]!], db = table.definitions[index[b.definition]!]
        let common = a.features.intersection(b.features)
        let lower = da.rank <= db.rank ? da : db
        let type: String? = da.generation == db.generation ? (da.typeClass == db.typeClass ? da.typeClass : nil) : lower.typeClass
        guard let found = search(typeClass: type, rank: lower.rank, features: common) else {
            throw HostCPUError(.mismatch, "No compatible CPU model could be created as important base features are disabled")
        }
        let features = common.intersection(fulls[found])
        let base = bases[found]
        var props: [String: Bool] = [:]
        for n in fold(base.subtracting(features)) { props[n] = false }
        for n in fold(features.subtracting(base)) { props[n] = true }
        return BaselineModel(definition: table.definitions[found].name, props: props, features: features)
    }

    /// QEMU's search for a definition: walk the table in order up to the target's generation and
    /// GA level, stop at the first definition whose base features are missing (ignoring the
    /// ignorable ones), prefer the exact CPU type and GA level, then the latest of the same type,
    /// then the last one passed.
    func search(typeClass: String?, rank: Int, features: Set<String>) -> Int? {
        var last: Int?, sameType: Int?
        for (i, d) in table.definitions.enumerated() {
            if d.rank > rank { break }
            if !bases[i].subtracting(features).subtracting(ignored).isEmpty { break }
            if let typeClass, d.typeClass == typeClass {
                if d.rank == rank { return i }
                sameType = i
            }
            last = i
        }
        return sameType ?? last
    }
}

extension CPUModelAlgebra {
    /// The algebra of `binary` in a snapshot, or nil when its harvest recorded no model table.
    public static func open(_ reader: SnapshotReader, binary: String) throws -> CPUModelAlgebra? {
        try reader.modelTable(binary: binary).map(CPUModelAlgebra.init(table:))
    }

    /// The model `guest` names (`z14,vx=off,msa9=on`): the snapshot's full expansion of its
    /// model on `machine` under `accel`, then its switches, on before off.
    public func model(_ guest: GuestCPU, reader: SnapshotReader, binary: String, machine: String, accel: String) throws -> Model {
        guard case .expanded(let name, let props)? = try reader.expansion(binary: binary, machine: machine, accel: accel, model: guest.model) else {
            let known = try reader.definitions(binary: binary, machine: machine, accel: accel).map(\.name)
            throw HostCPUError.unknown("CPU model", guest.model, among: known, context: "on \(machine) under \(accel)")
        }
        let on = props.properties.filter { $0.value.boolValue == true }.map(\.name)
        return try applying(guest.plus.map { ($0, true) } + guest.minus.map { ($0, false) },
                            to: try model(expansionName: name, trueProps: on))
    }
}
