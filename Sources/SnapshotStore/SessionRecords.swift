import QMP

/// Identifies one QEMU process of a harvest: binary, machine type, accelerator.
public struct SessionKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The binary's file name.
    public var binary: String
    /// The machine type.
    public var machine: String
    /// The accelerator (`tcg`, `kvm`).
    public var accel: String

    /// Creates a key.
    public init(binary: String, machine: String, accel: String) {
        self.binary = binary
        self.machine = machine
        self.accel = accel
    }

    /// Orders by binary, machine type, accelerator.
    public static func < (a: SessionKey, b: SessionKey) -> Bool {
        (a.binary, a.machine, a.accel) < (b.binary, b.machine, b.accel)
    }

    /// `binary/machine+accel`, the name of the session's transcript.
    public var description: String { "\(binary)/\(machine)+\(accel)" }
}

/// One QEMU process of a harvest and how it went.
public struct SessionRecord: Sendable, Equatable {
    /// Which process.
    public var key: SessionKey
    /// The host of a KVM session (nil for TCG: host-independent).
    public var host: HostRecord?
    /// `ok`, or `refused` when QEMU would not start with this machine type and accelerator.
    public var status: String
    /// QEMU's reason for refusing, if it did.
    public var message: String?
    /// Commands or expansion types the target does not support (`query-cpu-model-expansion static`).
    public var unsupported: [String]

    /// Creates a record.
    public init(key: SessionKey, host: HostRecord?, status: String = "ok", message: String? = nil,
                unsupported: [String] = []) {
        self.key = key
        self.host = host
        self.status = status
        self.message = message
        self.unsupported = unsupported
    }
}

/// One `query-cpu-definitions` entry in one session.
public struct CPUDefinitionRecord: Sendable, Equatable {
    /// Which session.
    public var session: SessionKey
    /// The model name.
    public var name: String
    /// Its QOM type name.
    public var typename: String
    /// The versioned model this name resolves to on this machine type.
    public var aliasOf: String?
    /// Whether the model is static (never changes between QEMU versions or machine types).
    public var isStatic: Bool
    /// Whether the model is migration-safe (nil when QEMU does not say).
    public var migrationSafe: Bool?
    /// Whether QEMU marks the model deprecated.
    public var deprecated: Bool
    /// Features that stop the model running here (de-duplicated, sorted); nil when QEMU does not say.
    public var unavailableFeatures: [String]?

    /// Creates a record.
    public init(session: SessionKey, name: String, typename: String, aliasOf: String?, isStatic: Bool,
                migrationSafe: Bool?, deprecated: Bool, unavailableFeatures: [String]?) {
        self.session = session
        self.name = name
        self.typename = typename
        self.aliasOf = aliasOf
        self.isStatic = isStatic
        self.migrationSafe = migrationSafe
        self.deprecated = deprecated
        self.unavailableFeatures = unavailableFeatures
    }
}

/// The outcome of one `query-cpu-model-expansion`.
public struct ExpansionRecord: Sendable, Equatable {
    /// Natural key: session, model, expansion type, variant.
    public struct Key: Sendable, Hashable, Comparable {
        /// Which session.
        public var session: SessionKey
        /// The model asked for.
        public var model: String
        /// `full` or `static`.
        public var type: String
        /// Extra input props, `""` for none, `migratable=off` for host/max under KVM.
        public var variant: String

        /// Creates a key.
        public init(session: SessionKey, model: String, type: String, variant: String = "") {
            self.session = session
            self.model = model
            self.type = type
            self.variant = variant
        }

        /// Orders by session, model, type, variant.
        public static func < (a: Key, b: Key) -> Bool {
            if a.session != b.session { return a.session < b.session }
            return (a.model, a.type, a.variant) < (b.model, b.type, b.variant)
        }
    }

    /// What QEMU answered.
    public enum Outcome: Sendable, Equatable {
        /// The expansion: the model name QEMU returned and its props.
        case expanded(model: String, props: PropertySet)
        /// An error reply.
        case failed(errorClass: String, description: String)
    }

    /// Which expansion.
    public var key: Key
    /// What QEMU answered.
    public var outcome: Outcome

    /// Creates a record.
    public init(key: Key, outcome: Outcome) {
        self.key = key
        self.outcome = outcome
    }
}

/// The `qom-list-properties` answer for one CPU QOM type.
public struct QOMTypeRecord: Sendable, Equatable {
    /// The binary's file name.
    public var binary: String
    /// The QOM type name (`Cascadelake-Server-x86_64-cpu`).
    public var typename: String
    /// QEMU's answer: an array of `{name, type, description?, default-value?}` objects.
    public var properties: JSONValue

    /// Creates a record.
    public init(binary: String, typename: String, properties: JSONValue) {
        self.binary = binary
        self.typename = typename
        self.properties = properties
    }
}
