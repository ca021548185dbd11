import QMP

/// What QEMU keeps about its CPU definitions but answers only through comparisons: the table
/// behind `query-cpu-model-comparison` and `query-cpu-model-baseline` (s390x).
///
/// Recorded at harvest by probing QEMU (see `CPUModelTableProbe` and docs/HOST.md), never
/// copied from QEMU's source: the definition order and descriptions from `-cpu help`, the
/// generation order from comparisons of the `-base` models with every feature off, the feature
/// groups from comparisons that differ in one feature, the features each definition may enable
/// from expansions that enable one feature, and the base features the baseline search ignores.
public struct CPUModelTable: Sendable, Equatable {
    /// One CPU definition (`z14`), the one its `-base` and default models share.
    public struct Definition: Sendable, Equatable {
        /// The definition's name (`z14`; its static model is `z14-base`).
        public var name: String
        /// QEMU's description (`IBM z14 GA1`).
        public var description: String
        /// The machine the definition belongs to (the description without its `GA` level); one
        /// class per CPU type.
        public var typeClass: String
        /// The position of (generation, GA level) among all definitions: equal for definitions
        /// QEMU compares as identical, larger for newer.
        public var rank: Int
        /// The generation: consecutive ranks that share a CPU type belong to one generation.
        public var generation: Int
        /// The base features (the `-base` model), as leaf features.
        public var baseFeatures: [String]
        /// Every leaf feature the definition may enable.
        public var fullFeatures: [String]

        /// Creates a definition.
        public init(name: String, description: String, typeClass: String, rank: Int, generation: Int,
                    baseFeatures: [String], fullFeatures: [String]) {
            self.name = name
            self.description = description
            self.typeClass = typeClass
            self.rank = rank
            self.generation = generation
            self.baseFeatures = baseFeatures
            self.fullFeatures = fullFeatures
        }
    }

    /// A feature group (`msa4`): QEMU names a group in place of its members when all are present.
    public struct Group: Sendable, Equatable {
        /// The group's name.
        public var name: String
        /// Its leaf features; empty when no probe could learn them.
        public var members: [String]

        /// Creates a group.
        public init(name: String, members: [String]) {
            self.name = name
            self.members = members
        }
    }

    /// The definitions in QEMU's table order (release order, as `-cpu help` lists them).
    public var definitions: [Definition]
    /// The groups in QEMU's order (the order it folds them in).
    public var groups: [Group]
    /// Leaf feature names in QEMU's order.
    public var features: [String]
    /// Base features the baseline's model search does not require (MSA subfunctions, `csske`).
    public var ignoredBaseFeatures: [String]

    /// Creates a table.
    public init(definitions: [Definition], groups: [Group], features: [String], ignoredBaseFeatures: [String]) {
        self.definitions = definitions
        self.groups = groups
        self.features = features
        self.ignoredBaseFeatures = ignoredBaseFeatures
    }

    /// The table as JSON (stored as canonical text in `meta`, key `model_table:<binary>`).
    public var json: JSONValue {
        func strings(_ s: [String]) -> JSONValue { .array(s.map { .string($0) }) }
        return [
            "definitions": .array(definitions.map {
                ["name": .string($0.name), "description": .string($0.description), "type-class": .string($0.typeClass),
                 "rank": .int($0.rank), "generation": .int($0.generation),
                 "base-features": strings($0.baseFeatures), "full-features": strings($0.fullFeatures)]
            }),
            "groups": .array(groups.map { ["name": .string($0.name), "members": strings($0.members)] }),
            "features": strings(features),
            "ignored-base-features": strings(ignoredBaseFeatures),
        ]
    }

    /// Reads a table from its JSON; nil when it is not one (see ``init(checking:place:)``).
    public init?(json: JSONValue) {
        guard let table = try? CPUModelTable(checking: json, place: "model table") else { return nil }
        self = table
    }

    /// Reads a table from its JSON, checking what the comparison and the baseline rely on:
    /// every list a JSON array of strings; feature names, group names and definition names
    /// each unique (as Swift compares strings) and no group named like a feature; group
    /// members, ignored base features and each definition's features known leaf features, each
    /// once, the base features among the full ones; ranks and generations non-negative.
    init(checking json: JSONValue, place: String) throws(BadData) {
        func bad(_ what: String) -> BadData { BadData("\(place): \(what)") }
        func strings(_ v: JSONValue?, _ what: String) throws(BadData) -> [String] {
            guard let v, let s = StoredJSON.strings(v) else { throw bad("\(what) is not a JSON array of strings") }
            return s
        }
        func unique(_ names: [String], _ what: String) throws(BadData) -> Set<String> {
            var seen = Set<String>()
            for n in names where !seen.insert(n).inserted {
                throw bad("\(what) lists '\(StoredJSON.oneLine(n, limit: 40))' twice")
            }
            return seen
        }
        guard let defs = json["definitions"]?.arrayValue else { throw bad("definitions is not a JSON array") }
        guard let groups = json["groups"]?.arrayValue else { throw bad("groups is not a JSON array") }
        let features = try strings(json["features"], "features")
        let leaves = try unique(features, "features")
        let ignored = try strings(json["ignored-base-features"], "ignored-base-features")
        func known(_ names: [String], _ what: String) throws(BadData) {
            let set = try unique(names, what)
            if let stray = set.subtracting(leaves).min() { throw bad("\(what) names '\(StoredJSON.oneLine(stray, limit: 40))', not a feature of the table") }
        }
        try known(ignored, "ignored-base-features")
        var gs: [Group] = []
        var groupNames = Set<String>()
        for (i, g) in groups.enumerated() {
            guard let name = g["name"]?.stringValue else { throw bad("group \(i) has no name") }
            guard groupNames.insert(name).inserted, !leaves.contains(name) else {
                throw bad("the group name '\(StoredJSON.oneLine(name, limit: 40))' is not unique")
            }
            let members = try strings(g["members"], "group \(name): members")
            try known(members, "group \(name): members")
            gs.append(Group(name: name, members: members))
        }
        var out: [Definition] = []
        var definitionNames = Set<String>()
        for (i, d) in defs.enumerated() {
            guard let name = d["name"]?.stringValue, let desc = d["description"]?.stringValue,
                  let type = d["type-class"]?.stringValue else { throw bad("definition \(i) lacks a name, description or type-class") }
            guard definitionNames.insert(name).inserted else { throw bad("the definition '\(StoredJSON.oneLine(name, limit: 40))' is there twice") }
            guard let rank = d["rank"]?.intValue, let generation = d["generation"]?.intValue,
                  (0...Int(Int32.max)).contains(rank), (0...Int(Int32.max)).contains(generation) else {
                throw bad("definition \(name): rank or generation is not a non-negative integer")
            }
            let base = try strings(d["base-features"], "definition \(name): base-features")
            let full = try strings(d["full-features"], "definition \(name): full-features")
            try known(base, "definition \(name): base-features")
            try known(full, "definition \(name): full-features")
            if let stray = Set(base).subtracting(full).min() {
                throw bad("definition \(name): base feature '\(StoredJSON.oneLine(stray, limit: 40))' is not among its full features")
            }
            out.append(Definition(name: name, description: desc, typeClass: type, rank: rank, generation: generation,
                                  baseFeatures: base, fullFeatures: full))
        }
        self.init(definitions: out, groups: gs, features: features, ignoredBaseFeatures: ignored)
    }

    /// The leaves behind feature and group names (a group stands for its members).
    public func unfold(_ names: some Sequence<String>) -> Set<String> { Self.unfold(names, groups: groups) }

    /// The leaves behind feature and group names, with `groups` as the groups.
    public static func unfold(_ names: some Sequence<String>, groups: [Group]) -> Set<String> {
        names.reduce(into: Set<String>()) { out, n in out.formUnion(groups.first { $0.name == n && !$0.members.isEmpty }?.members ?? [n]) }
    }

    /// The `meta` key a binary's table is stored under.
    public static func metaKey(binary: String) -> String { "model_table:\(binary)" }
}
