/// How a guest CPU's features relate to what a host offers, in the terms of QEMU's
/// `query-cpu-model-comparison` (guest as model A, host as model B) and libvirt's
/// `hypervisor-cpu-compare`.
public struct CPUComparison: Sendable, Equatable {
    /// The relation of the guest's feature set to the host's.
    public enum Relation: String, Sendable, CaseIterable {
        /// The same features.
        case identical
        /// The guest has fewer features than the host: it runs there.
        case subset
        /// The guest needs features the host lacks, and has all the host's.
        case superset
        /// Each has features the other lacks.
        case incompatible
    }

    /// The relation.
    public var relation: Relation
    /// Features the guest needs and the host lacks (why it would not run).
    public var missing: [String]
    /// Features the host has and the guest does not use.
    public var extra: [String]

    /// Compares `guest` with `host`.
    public init(guest: Set<String>, host: Set<String>) {
        missing = guest.subtracting(host).sorted()
        extra = host.subtracting(guest).sorted()
        switch (missing.isEmpty, extra.isEmpty) {
        case (true, true): relation = .identical
        case (true, false): relation = .subset
        case (false, true): relation = .superset
        case (false, false): relation = .incompatible
        }
    }

    /// Whether the guest runs on the host as defined (`enforce` accepts it).
    public var runs: Bool { missing.isEmpty }

    /// The props responsible for the result, as QEMU's `responsible-properties` would list them.
    public var responsible: [String] { (missing + extra).sorted() }
}
