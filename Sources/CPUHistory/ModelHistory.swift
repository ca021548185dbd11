import QMP

/// One CPU model across QEMU releases: per release, whether it exists, its versions, and on that
/// release's newest machine types (or one asked for) its `alias-of`, deprecation and features,
/// with what changed against the release before.
public struct ModelHistory: Sendable {
    /// The model on one machine type of one release.
    public struct MachineEntry: Sendable, Equatable {
        /// The machine type (resolved from an alias such as `q35`).
        public var machine: String
        /// Whether the release's QEMU marks the machine type deprecated.
        public var machineDeprecated: Bool
        /// The versioned model the name resolves to here, if it is an alias.
        public var aliasOf: String?
        /// Whether QEMU marks the model deprecated.
        public var deprecated: Bool
        /// The features the model's full expansion turns on (nil when the expansion is not stored
        /// or failed).
        public var features: Set<String>?
        /// The asked `--feature`: on, off, or nil when this release has no such feature.
        public var featureValue: Bool?
        /// The machine type of the release before that this entry is compared with (the same
        /// family's newest, or the same name), nil when the release before lacks the model there.
        public var comparedWith: String?
        /// Features on here but not there (sorted; nil when not compared).
        public var added: [String]?
        /// Features on there but not here.
        public var removed: [String]?
        /// `alias-of` there, when it differs from here.
        public var aliasBefore: String??
        /// The identity props of the full expansion (`vendor`, `family`, `model`, `stepping`,
        /// `model-id`, `level`, `xlevel`), as QEMU gave them.
        public var identity: [String: JSONValue] = [:]
        /// Identity props whose value differs there (prop, value there, value here), sorted by prop.
        public var identityChanges: [IdentityChange] = []

        /// Creates an entry.
        public init(machine: String, machineDeprecated: Bool, aliasOf: String?, deprecated: Bool,
                    features: Set<String>?, featureValue: Bool? = nil) {
            self.machine = machine
            self.machineDeprecated = machineDeprecated
            self.aliasOf = aliasOf
            self.deprecated = deprecated
            self.features = features
            self.featureValue = featureValue
        }
    }

    /// One identity prop that changed between two releases.
    public struct IdentityChange: Sendable, Equatable {
        /// The prop (`family`).
        public var prop: String
        /// Its value in the release before (nil: absent there).
        public var old: JSONValue?
        /// Its value here (nil: absent here).
        public var new: JSONValue?

        /// Creates a change.
        public init(prop: String, old: JSONValue?, new: JSONValue?) {
            self.prop = prop
            self.old = old
            self.new = new
        }
    }

    /// The model in one release.
    public struct Entry: Sendable {
        /// The QEMU version (`10.0.13`).
        public var version: String
        /// The package string (`Debian 1:10.0.13+ds-0+deb13u1`).
        public var package: String
        /// The snapshot that answered.
        public var file: String
        /// Whether the release's snapshot has a session of the binary under the accelerator at all
        /// (the KVM rows of release snapshots are only some releases').
        public var harvested: Bool = true
        /// Whether the release has the model.
        public var exists: Bool
        /// The model's versions in this release (`EPYC-v1` …), in version order.
        public var versions: [String]
        /// The machine types looked at (empty when the model does not exist or `missingMachine`).
        public var machines: [MachineEntry]
        /// The asked `--machine` when this release has no such machine type.
        public var missingMachine: String?
        /// Whether the asked `--feature` is a feature name of this release.
        public var featureKnown: Bool?
    }

    /// The model asked about.
    public var model: String
    /// The binary (`qemu-system-x86_64`).
    public var binary: String
    /// The accelerator of the expansions (`tcg`).
    public var accel: String
    /// The `--machine` asked for, nil for each release's newest machine types.
    public var machine: String?
    /// The `--feature` asked for (canonical name in the newest release that has it).
    public var feature: String?
    /// The releases, oldest first.
    public var entries: [Entry]

    /// The first release that has the model.
    public var firstRelease: String? { entries.first { $0.exists }?.version }

    /// The releases after the first that lack the model (removed, or not yet back).
    public var releasesWithout: [String] {
        guard let first = entries.firstIndex(where: \.exists) else { return [] }
        return entries[first...].filter { !$0.exists }.map(\.version)
    }
}
