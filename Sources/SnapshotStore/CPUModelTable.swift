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

    /// Reads a table from its JSON; nil when it is not one.
    public init?(json: JSONValue) {
        func strings(_ v: JSONValue?) -> [String]? { v?.arrayValue?.compactMap(\.stringValue) }
        guard let defs = json["definitions"]?.arrayValue, let groups = json["groups"]?.arrayValue,
              let features = strings(json["features"]), let ignored = strings(json["ignored-base-features"])
        else { return nil }
        var out: [Definition] = []
        for d in defs {
            guard let name = d["name"]?.stringValue, let desc = d["description"]?.stringValue,
                  let type = d["type-class"]?.stringValue, let rank = d["rank"]?.intValue,
                  let generation = d["generation"]?.intValue, let base = strings(d["base-features"]),
                  let full = strings(d["full-features"]) else { return nil }
            out.append(Definition(name: name, description: desc, typeClass: type, rank: rank, generation: generation,
                                  baseFeatures: base, fullFeatures: full))
        }
        var gs: [Group] = []
        for g in groups {
            guard let name = g["name"]?.stringValue, let members = strings(g["members"]) else { return nil }
            gs.append(Group(name: name, members: members))
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
