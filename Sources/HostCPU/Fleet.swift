import CPUQuery

/// Many hosts on one machine type, identical hosts grouped so that each question is computed
/// once per group: hosts whose facts there (the supported set, the migratable set and the
/// models' feature sets) are equal share one profile.
public struct Fleet: Sendable {
    /// Hosts with equal facts on the machine type.
    public struct Group: Sendable {
        /// The facts, once: the profile of the group's first host.
        public var profile: HostProfile
        /// The hosts, in the order given.
        public var hosts: [String]
        /// Their positions in ``Fleet/members``.
        public var positions: [Int]
    }

    /// The machine type.
    public var machine: String
    /// The groups, in the order of their first host.
    public var groups: [Group]
    /// Every host, in the order given, with the index of its group.
    public var members: [(host: String, group: Int)]

    /// The number of hosts.
    public var hostCount: Int { members.count }
    /// The hosts' names, in the order given.
    public var hosts: [String] { members.map(\.host) }

    /// The profiles of `records` on `machine` (a name or alias; the default machine type when
    /// nil), grouped.
    ///
    /// - Throws: ``HostCPUError`` when a record lacks the machine type, or the records resolve
    ///   `machine` to different machine types.
    public init(records: [HostRecordFile], machine: String?) throws {
        try self.init(profiles: records.map { try $0.profile(machine: machine) })
    }

    /// Groups `profiles` (one per host, all on one machine type).
    public init(profiles: [HostProfile]) throws(HostCPUError) {
        guard let first = profiles.first else {
            throw HostCPUError(.noHosts, "no host record given (--host FILE, --host-dir DIR or --host local)")
        }
        machine = first.machine
        groups = []
        members = []
        var byFacts: [Facts: [Int]] = [:]
        for p in profiles {
            guard p.machine == machine else {
                throw HostCPUError(.mismatch, "host \(p.host) resolves the machine type to \(p.machine), but \(first.host) to \(machine): name the machine type")
            }
            let facts = Facts(p)
            let candidates = byFacts[facts, default: []]
            if let g = candidates.first(where: { Self.sameModels(groups[$0].profile.modelSets, p.modelSets) }) {
                groups[g].hosts.append(p.host)
                groups[g].positions.append(members.count)
                members.append((p.host, g))
            } else {
                byFacts[facts, default: []].append(groups.count)
                groups.append(Group(profile: p, hosts: [p.host], positions: [members.count]))
                members.append((p.host, groups.count - 1))
            }
        }
    }

    /// `body` computed once per group, then given to every host in order.
    public func perHost<T>(_ body: (HostProfile) throws -> T) rethrows -> [(host: String, value: T)] {
        let values = try groups.map { try body($0.profile) }
        return members.map { ($0.host, values[$0.group]) }
    }

    /// One profile per group (named after the group's first host): what a baseline needs.
    public var distinctProfiles: [HostProfile] { groups.map(\.profile) }

    /// What makes two hosts identical on a machine type, short of the models' feature sets.
    struct Facts: Hashable {
        var supported: Set<String>
        var migratable: Set<String>
        init(_ p: HostProfile) {
            supported = p.supported
            migratable = p.migratableSupported
        }
    }

    /// Whether two profiles define the models alike (constant time when they share the sets).
    static func sameModels(_ a: ModelFeatureSets, _ b: ModelFeatureSets) -> Bool {
        a.machine == b.machine && a.aliasOf == b.aliasOf && a.models == b.models
    }
}
