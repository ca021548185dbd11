import QMP
import SnapshotStore

/// Where an answer came from.
public enum AnswerSource: Sendable, Equatable, CustomStringConvertible {
    /// A snapshot file found on the search path.
    case snapshot(String)
    /// The user's cache of earlier live answers.
    case cache(String)
    /// A live QEMU just now (the answer is cached in the given file).
    case live(qemu: String, cachedIn: String)

    /// `snapshot PATH`, `cache PATH`, `live QEMU (cached in PATH)`.
    public var description: String {
        switch self {
        case .snapshot(let p): return "snapshot \(p)"
        case .cache(let p): return "cache \(p)"
        case .live(let q, let c): return "live \(q) (cached in \(c))"
        }
    }

    /// The source as JSON.
    public var json: JSONValue {
        switch self {
        case .snapshot(let p): return ["kind": "snapshot", "file": .string(p)]
        case .cache(let p): return ["kind": "cache", "file": .string(p)]
        case .live(let q, let c): return ["kind": "live", "qemu": .string(q), "file": .string(c)]
        }
    }
}

/// An answer and its source.
public struct Answer<Value: Sendable>: Sendable {
    /// The answer.
    public var value: Value
    /// Where it came from.
    public var source: AnswerSource
}

/// A QEMU build the snapshots cover.
public struct BuildInfo: Sendable {
    /// QEMU version and package.
    public var version: String, package: String
    /// The snapshot file and where on the search path it was found.
    public var file: String, origin: String
    /// Binaries: name, target architecture, accelerators harvested.
    public var binaries: [(name: String, arch: String, accelerators: [String])]
}

/// One machine type.
public struct MachineInfo: Sendable {
    /// Name, alias, default CPU type.
    public var name: String, alias: String?, defaultCPUType: String?
    /// Flags.
    public var isDefault: Bool, deprecated: Bool
}

/// One CPU model in a model list, with its versions grouped under it.
public struct ModelSummary: Sendable {
    /// The model's name.
    public var name: String
    /// The versioned model it resolves to on this machine type.
    public var aliasOf: String?
    /// `X-v1`, `X-v2`, ... when this is the unversioned name.
    public var versions: [String]
    /// Flags from `query-cpu-definitions`.
    public var deprecated: Bool, isStatic: Bool, migrationSafe: Bool?
    /// Features that stop it running here (KVM), nil when unknown.
    public var unavailableFeatures: [String]?
}

/// Everything about one model on one machine type and accelerator.
public struct ModelDetail: Sendable {
    /// What was asked.
    public var binary: String, machine: String, accel: String, model: String
    /// From `query-cpu-definitions`.
    public var definition: CPUDefinitionRecord
    /// Feature flags (canonical names) and whether each is on.
    public var features: [(name: String, enabled: Bool)]
    /// Identity props (vendor, family, model, stepping, model-id, level, xlevel).
    public var identity: [PropertySet.Property]
    /// Every other prop (feature aliases left out).
    public var other: [PropertySet.Property]
    /// The static expansion: the static model and its enabled features, when the target has one.
    public var staticExpansion: (model: String, enabled: [String])?
    /// What this machine type changes against the newest of its family, when there is one.
    public var compat: (reference: String, changes: [(name: String, value: JSONValue, reference: JSONValue)])?
}
