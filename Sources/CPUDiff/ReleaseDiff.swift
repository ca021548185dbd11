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

    /// One expansion prop that differs between A and B for the same (machine type, model, accelerator).
    public struct PropChange: Sendable, Equatable {
        /// How the change is classed (see ``ReleaseDiff/Class``).
        public var classification: Class
        /// Where: binary, machine type, accelerator, model, expansion type and variant.
        public var binary: String, machine: String, accel: String, model: String, type: String, variant: String
        /// The prop and its values (nil where the prop is absent).
        public var prop: String, old: JSONValue?, new: JSONValue?
        /// Whether the row depends on the host (KVM).
        public var hostDependent: Bool { accel != "tcg" }

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

    /// Compares snapshot `a` (old) with `b` (new).
    public init(_ a: Snapshot, _ b: Snapshot) {
        changes = Self.catalogue(a, b)
        (props, presence, comparedExpansions) = Self.expansions(a, b)
    }

    /// Whether a machine type promises the same guest ABI in later releases: only versioned ones
    /// (`pc-q35-7.2`, `virt-7.2`, `pseries-7.2`, `s390-ccw-virtio-7.2`) do.
    public static func isVersioned(_ machine: String) -> Bool { MachineTypeName.split(machine) != nil }

    static func catalogue(_ a: Snapshot, _ b: Snapshot) -> [Change] {
        var out: [Change] = []
        let binaries = Set(a.binaries.map(\.name)).intersection(b.binaries.map(\.name)).sorted()
        for binary in binaries {
            let ma = Dictionary(a.machines.filter { $0.binary == binary }.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            let mb = Dictionary(b.machines.filter { $0.binary == binary }.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            for name in Set(ma.keys).union(mb.keys).sorted() {
                switch (ma[name], mb[name]) {
                case (nil, _?): out.append(Change(kind: "machine-added", binary: binary, subject: name))
                case (_?, nil): out.append(Change(kind: "machine-removed", binary: binary, subject: name))
                case (let x?, let y?):
                    if x.deprecated != y.deprecated {
                        out.append(Change(kind: y.deprecated ? "machine-deprecated" : "machine-undeprecated", binary: binary, subject: name))
                    }
                    if x.defaultCPUType != y.defaultCPUType {
                        out.append(Change(kind: "default-cpu-changed", binary: binary, subject: name,
                                          old: x.defaultCPUType, new: y.defaultCPUType))
                    }
                default: break
                }
            }
            // Models and their flags: any session's definitions (flags do not depend on the session).
            func models(_ s: Snapshot) -> [String: CPUDefinitionRecord] {
                var d: [String: CPUDefinitionRecord] = [:]
                for def in s.definitions where def.session.binary == binary && d[def.name] == nil { d[def.name] = def }
                return d
            }
            let da = models(a), db = models(b)
            for name in Set(da.keys).union(db.keys).sorted() {
                switch (da[name], db[name]) {
                case (nil, _?): out.append(Change(kind: "model-added", binary: binary, subject: name))
                case (_?, nil): out.append(Change(kind: "model-removed", binary: binary, subject: name))
                case (let x?, let y?) where x.deprecated != y.deprecated:
                    out.append(Change(kind: y.deprecated ? "model-deprecated" : "model-undeprecated", binary: binary, subject: name))
                default: break
                }
            }
            // alias-of per machine type (TCG sessions present in both).
            var aliasA: [String: String] = [:]
            for d in a.definitions where d.session.binary == binary && d.session.accel == "tcg" {
                aliasA["\(d.session.machine) \(d.name)"] = d.aliasOf ?? "-"
            }
            for d in b.definitions where d.session.binary == binary && d.session.accel == "tcg" {
                let key = "\(d.session.machine) \(d.name)"
                if let old = aliasA[key], old != (d.aliasOf ?? "-") {
                    out.append(Change(kind: "alias-changed", binary: binary, subject: key, old: old, new: d.aliasOf ?? "-"))
                }
            }
            let fa = featureNames(a, binary), fb = featureNames(b, binary)
            for f in fb.subtracting(fa).sorted() { out.append(Change(kind: "feature-added", binary: binary, subject: f)) }
            for f in fa.subtracting(fb).sorted() { out.append(Change(kind: "feature-removed", binary: binary, subject: f)) }
        }
        return out
    }

    /// Boolean props of the binary's static expansions (its feature names), else of full ones.
    static func featureNames(_ s: Snapshot, _ binary: String) -> Set<String> {
        for type in ["static", "full"] {
            for e in s.expansions where e.key.session.binary == binary && e.key.type == type {
                if case .expanded(_, let props) = e.outcome {
                    return Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
                }
            }
        }
        return []
    }

    static func expansions(_ a: Snapshot, _ b: Snapshot) -> ([PropChange], [PropPresence], Int) {
        // Models that are not migration-safe in either release (per binary).
        var unsafe = Set<String>()
        for d in a.definitions + b.definitions where d.migrationSafe == false { unsafe.insert("\(d.session.binary) \(d.name)") }
        var old: [ExpansionRecord.Key: PropertySet] = [:]
        for e in a.expansions { if case .expanded(_, let p) = e.outcome { old[e.key] = p } }
        var out: [PropChange] = []
        var presence: [String: PropPresence] = [:]
        var compared = 0
        for e in b.expansions {
            guard case .expanded(_, let new) = e.outcome, let before = old[e.key] else { continue }
            compared += 1
            if before == new { continue }
            let k = e.key
            let valueClass: Class = unsafe.contains("\(k.session.binary) \(k.model)") ? .notMigrationSafe
                : (isVersioned(k.session.machine) ? .breaking : .unversioned)
            let dependent = k.session.accel != "tcg"
            func present(_ c: Class, _ p: PropertySet.Property) {
                let key = "\(c.rawValue)\u{0}\(p.name)\u{0}\(p.value.canonicalText)\u{0}\(dependent)"
                var row = presence[key] ?? PropPresence(classification: c, prop: p.name, value: p.value, hostDependent: dependent,
                                                         rows: 0, examples: [])
                row.rows += 1
                if row.examples.count < 3 { row.examples.append("\(k.session.machine) \(k.model) \(k.type)") }
                presence[key] = row
            }
            // Both prop lists are sorted by name: walk them together.
            let x = before.properties, y = new.properties
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if j == y.count || (i < x.count && x[i].name < y[j].name) {
                    present(.propRemoved, x[i]); i += 1
                } else if i == x.count || y[j].name < x[i].name {
                    present(.propAdded, y[j]); j += 1
                } else {
                    if x[i].value != y[j].value {
                        out.append(PropChange(classification: valueClass, binary: k.session.binary, machine: k.session.machine,
                                              accel: k.session.accel, model: k.model, type: k.type, variant: k.variant,
                                              prop: x[i].name, old: x[i].value, new: y[j].value))
                    }
                    i += 1; j += 1
                }
            }
        }
        out.sort {
            [$0.binary, $0.machine, $0.accel, $0.model, $0.type, $0.variant, $0.prop]
                .lexicographicallyPrecedes([$1.binary, $1.machine, $1.accel, $1.model, $1.type, $1.variant, $1.prop])
        }
        let rows = presence.values.sorted {
            ($0.classification.rawValue, $0.hostDependent ? 1 : 0, $0.prop, $0.value.canonicalText)
                < ($1.classification.rawValue, $1.hostDependent ? 1 : 0, $1.prop, $1.value.canonicalText)
        }
        return (out, rows, compared)
    }
}
