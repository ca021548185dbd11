import QMP

/// Everything one harvest learned about one QEMU build, in memory.
///
/// The harvester fills it, ``SnapshotWriter`` stores it, ``SnapshotReader`` loads it back.
/// Records are kept in their natural key order (see ``normalize()``), so two snapshots with
/// the same content compare equal and write the same bytes.
public struct Snapshot: Sendable, Equatable {
    /// Facts about the harvest as a whole.
    public var meta: SnapshotMeta
    /// The QEMU binaries covered.
    public var binaries: [BinaryRecord] = []
    /// Machine types per binary, from `query-machines`.
    public var machines: [MachineRecord] = []
    /// One QEMU process per (binary, machine type, accelerator), and how it went.
    public var sessions: [SessionRecord] = []
    /// `query-cpu-definitions` rows per session.
    public var definitions: [CPUDefinitionRecord] = []
    /// `query-cpu-model-expansion` results per session.
    public var expansions: [ExpansionRecord] = []
    /// `qom-list-properties` of CPU types per binary.
    public var qomTypes: [QOMTypeRecord] = []

    /// Creates an empty snapshot.
    public init(meta: SnapshotMeta) { self.meta = meta }

    /// Machine types with at least one session (as opposed to every machine type the binaries list).
    public var harvestedMachineTypes: Int { Set(sessions.map { "\($0.key.binary) \($0.key.machine)" }).count }

    /// Sorts every record list by its natural key.
    public mutating func normalize() {
        binaries.sort { $0.name < $1.name }
        machines.sort { ($0.binary, $0.name) < ($1.binary, $1.name) }
        sessions.sort { $0.key < $1.key }
        definitions.sort { ($0.session, $0.name) < ($1.session, $1.name) }
        expansions.sort { $0.key < $1.key }
        qomTypes.sort { ($0.binary, $0.typename) < ($1.binary, $1.typename) }
    }
}

/// Harvest-wide facts, stored in the `meta` table.
public struct SnapshotMeta: Sendable, Equatable {
    /// The qcpu version that wrote the snapshot.
    public var qcpuVersion: String
    /// QEMU's version (`7.2.22`), from `query-version`.
    public var qemuVersion: String
    /// QEMU's package string (`Debian 1:7.2+dfsg-7+deb12u18+b3`).
    public var qemuPackage: String
    /// Harvest time in seconds since the epoch (`SOURCE_DATE_EPOCH` when set).
    public var harvestTime: Int64
    /// The `--machine` globs the harvest was limited to (empty: all).
    public var machineFilter: [String] = []
    /// The `--model` globs the harvest was limited to (empty: all).
    public var modelFilter: [String] = []
    /// Host records only: features a realized `host,migratable=off` CPU keeps that the `host`
    /// expansion leaves off (QEMU does not auto-enable them, e.g. `topoext`); nil in snapshots.
    public var hostExtraFeatures: [String]?
    /// Imported snapshots only: the part of QEMU's answers the source covered; nil for a harvest.
    public var partialCoverage: PartialCoverage?
    /// Per binary (s390x): the CPU-definition table behind QEMU's model comparison and baseline.
    public var modelTables: [String: CPUModelTable] = [:]
    /// Further `meta` rows, stored as given (keys the other fields do not use): host-record facts
    /// such as `host_record` and `host_runtime_refused`, or `kvm_extra_features:<binary>`.
    public var extra: [String: String] = [:]

    /// Creates meta data.
    public init(qcpuVersion: String, qemuVersion: String, qemuPackage: String, harvestTime: Int64,
                machineFilter: [String] = [], modelFilter: [String] = []) {
        self.qcpuVersion = qcpuVersion
        self.qemuVersion = qemuVersion
        self.qemuPackage = qemuPackage
        self.harvestTime = harvestTime
        self.machineFilter = machineFilter
        self.modelFilter = modelFilter
    }
}

/// One QEMU binary.
public struct BinaryRecord: Sendable, Equatable {
    /// File name (`qemu-system-x86_64`); paths are host-specific and not stored.
    public var name: String
    /// Target architecture from `query-target` (`x86_64`).
    public var arch: String
    /// File size in bytes.
    public var size: Int64
    /// SHA-256 of the file, hex.
    public var sha256: String
    /// Accelerators harvested (`kvm`, `tcg`).
    public var accelerators: [String]

    /// Creates a record.
    public init(name: String, arch: String, size: Int64, sha256: String, accelerators: [String]) {
        self.name = name
        self.arch = arch
        self.size = size
        self.sha256 = sha256
        self.accelerators = accelerators
    }
}

/// The host a KVM session ran on: what makes its answers host-dependent.
public struct HostRecord: Sendable, Hashable, Comparable {
    /// CPU vendor id (`GenuineIntel`).
    public var vendor: String
    /// CPU family, model and stepping as `/proc/cpuinfo` gives them.
    public var family: Int, model: Int, stepping: Int
    /// CPU model name.
    public var modelName: String
    /// Microcode revision.
    public var microcode: String
    /// Kernel release (`uname -r`).
    public var kernel: String

    /// Creates a record.
    public init(vendor: String, family: Int, model: Int, stepping: Int, modelName: String,
                microcode: String, kernel: String) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.stepping = stepping
        self.modelName = modelName
        self.microcode = microcode
        self.kernel = kernel
    }

    /// The record as a JSON object.
    public var json: JSONValue {
        ["vendor": .string(vendor), "family": .int(family), "model": .int(model),
         "stepping": .int(stepping), "model-name": .string(modelName),
         "microcode": .string(microcode), "kernel": .string(kernel)]
    }

    /// Orders hosts by their canonical JSON text.
    public static func < (a: HostRecord, b: HostRecord) -> Bool { a.json.canonicalText < b.json.canonicalText }
}

/// One machine type of one binary.
public struct MachineRecord: Sendable, Equatable {
    /// The binary's file name.
    public var binary: String
    /// The machine type's name.
    public var name: String
    /// The whole `query-machines` entry, every field as QEMU gave it.
    public var info: JSONValue

    /// Creates a record.
    public init(binary: String, name: String, info: JSONValue) {
        self.binary = binary
        self.name = name
        self.info = info
    }

    /// `alias` (`pc`, `q35`), if any.
    public var alias: String? { info["alias"]?.stringValue }
    /// Whether this is the binary's default machine type.
    public var isDefault: Bool { info["is-default"]?.boolValue ?? false }
    /// Whether QEMU marks the machine type deprecated.
    public var deprecated: Bool { info["deprecated"]?.boolValue ?? false }
    /// The QOM type of the machine's default CPU (`qemu64-x86_64-cpu`).
    public var defaultCPUType: String? { info["default-cpu-type"]?.stringValue }
}
