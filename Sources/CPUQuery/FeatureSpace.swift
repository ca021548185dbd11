import QMP
import SnapshotStore

/// The CPU feature names of one QEMU target, and feature sets read from expansions.
///
/// A feature set is the set of canonical names (the boolean props of static expansions) that an
/// expansion turns on; every spelling QEMU accepts maps to its canonical name.
public struct FeatureSpace: Sendable {
    /// Normalized spelling → canonical name.
    public let canonical: [String: String]
    /// Prop name as QEMU spells it in full expansions → canonical name ("" when not a feature).
    private let spellings: [String: String]

    /// A space of `names` (the canonical names); `spellings` are further prop names to map.
    public init(names: some Sequence<String>, spellings extra: some Sequence<String> = [String]()) {
        var map: [String: String] = [:]
        for n in Set(names).sorted() where map[FeatureNames.normalized(n)] == nil { map[FeatureNames.normalized(n)] = n }
        canonical = map
        var spellings: [String: String] = [:]
        for n in map.values { spellings[n] = n }
        for n in extra where spellings[n] == nil { spellings[n] = map[FeatureNames.normalized(n)] ?? "" }
        self.spellings = spellings
    }

    /// Every canonical name, sorted.
    public var names: [String] { canonical.values.sorted() }

    /// The canonical name `name` spells, if it is a feature.
    public func resolve(_ name: String) -> String? {
        if let s = spellings[name] { return s.isEmpty ? nil : s }
        return canonical[FeatureNames.normalized(name)]
    }

    /// The features `props` turns on.
    public func features(of props: PropertySet) -> Set<String> {
        var result = Set<String>()
        for p in props.properties where p.value.boolValue == true {
            if let c = resolve(p.name) { result.insert(c) }
        }
        return result
    }
}

/// The feature sets of a machine type's named CPU models under one accelerator.
public struct ModelFeatureSets: Sendable {
    /// The machine type.
    public var machine: String
    /// The accelerator.
    public var accel: String
    /// The target's feature names.
    public var space: FeatureSpace
    /// Model name → features on in its full expansion (every model, aliases included).
    public var models: [String: Set<String>]
    /// Model name → the model it is an alias of, on this machine type.
    public var aliasOf: [String: String]

    /// Creates feature sets.
    public init(machine: String, accel: String, space: FeatureSpace, models: [String: Set<String>], aliasOf: [String: String]) {
        self.machine = machine
        self.accel = accel
        self.space = space
        self.models = models
        self.aliasOf = aliasOf
    }

    /// Models that are not a fixed definition: the host's CPU, the most the accelerator offers,
    /// and the empty base of static expansions.
    public static let pseudoModels: Set<String> = ["host", "max", "base"]

    /// Models that stand for a definition of their own: not aliases and not ``pseudoModels``.
    public var namedModels: [String] {
        models.keys.filter { aliasOf[$0] == nil && !Self.pseudoModels.contains($0) }.sorted()
    }
}
