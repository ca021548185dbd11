import QMP
import SnapshotStore

/// What changed between two snapshots (two QEMU releases, or two harvests of one), and which of
/// it breaks a machine type's guest-ABI promise.
public struct ReleaseDiff: Sendable {
    /// One finding about the catalogue (models, aliases, machine types, features).
    public struct Change: Sendable, Equatable {
        /// `model-added`, `model-removed`, `model-deprecated`, `model-undeprecated`, `alias-changed`,
        /// `machine-added`, `machine-removed`, `machine-deprecated`, `machine-undeprecated`,
        /// `default-cpu-changed`, `feature-added`, `feature-removed`.
        public var kind: String
        /// The binary concerned.
        public var binary: String
        /// What the change is about (a model, a machine type, `machine model` for aliases, a feature).
        public var subject: String
        /// The value in A and in B, where there is one.
        public var old: String?, new: String?

        /// Creates a change.
        public init(kind: String, binary: String, subject: String, old: String? = nil, new: String? = nil) {
            self.kind = kind
            self.binary = binary
            self.subject = subject
            self.old = old
            self.new = new
        }
    }

    /// Whether an expansion row depends on the host it was harvested on.
    static func hostDependent(accel: String, model: String) -> Bool { accel != "tcg" && (model == "host" || model == "max") }

    /// One expansion prop that differs between A and B for the same (machine type, model, accelerator).
    public struct PropChange: Sendable, Equatable {
        /// How the change is classed (see ``ReleaseDiff/Class``).
        public var classification: Class
        /// Where: binary, machine type, accelerator, model, expansion type and variant.
        public var binary: String, machine: String, accel: String, model: String, type: String, variant: String
        /// The prop and its values (nil where the prop is absent).
        public var prop: String, old: JSONValue?, new: JSONValue?
        /// Whether the row depends on the host: KVM's `host` and `max` (named models' KVM rows differ
        /// between hosts only in `vendor`, which release snapshots leave out).
        public var hostDependent: Bool { ReleaseDiff.hostDependent(accel: accel, model: model) }

        /// Creates a finding.
        public init(classification: Class, binary: String, machine: String, accel: String, model: String, type: String,
                    variant: String, prop: String, old: JSONValue?, new: JSONValue?) {
            self.classification = classification
            self.binary = binary
            self.machine = machine
            self.accel = accel
            self.model = model
            self.type = type
            self.variant = variant
            self.prop = prop
            self.old = old
            self.new = new
        }
    }

    /// The classes of ABI findings.
    public enum Class: String, Sendable, Equatable, CaseIterable {
        /// A value changed on a versioned machine type: a guest-visible break.
        case breaking = "break"
        /// A value changed on a machine type that promises no stable ABI (`microvm`, `isapc`, `none`, ...).
        case unversioned = "unversioned-machine"
        /// A value changed for a model QEMU marks not migration-safe (`host`, `max`): it follows
        /// the accelerator's abilities by design.
        case notMigrationSafe = "not-migration-safe"
        /// A prop that only A has.
        case propRemoved = "prop-removed"
        /// A prop that only B has.
        case propAdded = "prop-added"
    }

    /// Props that appeared or disappeared, one row per (class, prop, value) with how many
    /// expansions show it (they are hundreds of thousands between releases, one per row and prop).
    public struct PropPresence: Sendable, Equatable {
        /// ``Class/propAdded`` or ``Class/propRemoved``.
        public var classification: Class
        /// The prop, its value where present, and whether the rows are host-dependent (KVM).
        public var prop: String, value: JSONValue, hostDependent: Bool
        /// How many expansions, and the first few of them (`machine model type`).
        public var rows: Int, examples: [String]

        /// Creates a row.
        public init(classification: Class, prop: String, value: JSONValue, hostDependent: Bool, rows: Int, examples: [String]) {
            self.classification = classification
            self.prop = prop
            self.value = value
            self.hostDependent = hostDependent
            self.rows = rows
            self.examples = examples
        }
    }

    /// Catalogue changes, sorted.
    public var changes: [Change]
    /// Value changes of props both releases have, sorted.
    public var props: [PropChange]
    /// Props that appeared or disappeared, sorted.
    public var presence: [PropPresence]
    /// Rows present in both snapshots and compared.
    public var comparedExpansions: Int

    /// The findings that break the guest ABI.
    public var breaks: [PropChange] { props.filter { $0.classification == .breaking } }

    /// Compares snapshot `a` (old) with `b` (new), on the machine types matching `machines`
    /// (shell patterns; all when empty): models, aliases and expansions there, and every machine type.
    public init(_ a: Snapshot, _ b: Snapshot, machines: [String] = []) {
        self.init(DiffInput(a, machines: machines), DiffInput(b, machines: machines))
    }

    /// Compares the snapshot files open in `a` (old) and `b` (new) without loading them whole:
    /// the same findings as comparing their loaded snapshots, each stored property set decoded at most once.
    ///
    /// `accels` limits the rows compared to those accelerators (all when empty).
    ///
    /// - Throws: ``SnapshotError`` when a file is corrupt.
    public init(_ a: SnapshotReader, _ b: SnapshotReader, machines: [String] = [], accels: [String] = []) throws {
        let (x, y) = try DiffInput.pair(a, b, machines: machines, accels: accels)
        self.init(x, y)
    }

    init(_ a: DiffInput, _ b: DiffInput) {
        changes = Self.catalogue(a, b)
        (props, presence, comparedExpansions) = Self.expansions(a, b)
    }

    /// Whether a machine type promises the same guest ABI in later releases: only versioned ones
    /// (`pc-q35-7.2`, `virt-7.2`, `pseries-7.2`, `s390-ccw-virtio-7.2`) do.
    public static func isVersioned(_ machine: String) -> Bool { MachineTypeName.split(machine) != nil }
}
