import CPUQuery

/// Many hosts on one machine type, identical hosts grouped so that each question is computed
/// once per group: hosts whose facts there (the supported set, the migratable set, the set a
/// running vCPU refuses, and the models' feature sets) are equal share one profile.
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
        try self.init(units: profiles.enumerated().map { i, p in Unit(profile: p, hosts: [p.host], positions: [i]) },
                      count: profiles.count)
    }

    /// Hosts already known to be identical (read from equal bytes), with their positions.
    struct Unit {
        var profile: HostProfile
        var hosts: [String]
        var positions: [Int]
    }

    /// Merges `units` (together `count` hosts) whose facts are equal into groups.
    init(units: [Unit], count: Int) throws(HostCPUError) {
        guard let first = units.first else {
            throw HostCPUError(.noHosts, "no host record given (--host FILE, --host-dir DIR or --host local)")
        }
        let machine = first.profile.machine
        var groups: [Group] = []
        var member: [(host: String, group: Int)?] = Array(repeating: nil, count: count)
        var byFacts: [Facts: [Int]] = [:]
        for u in units.sorted(by: { $0.positions[0] < $1.positions[0] }) {
            let p = u.profile
            guard p.machine == machine else {
                throw HostCPUError(.mismatch, "host \(p.host) resolves the machine type to \(p.machine), but \(first.profile.host) to \(machine): name the machine type")
            }
            let facts = Facts(p)
            let g: Int
            if let known = byFacts[facts, default: []].first(where: { Self.sameModels(groups[$0].profile.modelSets, p.modelSets) }) {
                g = known
            } else {
                g = groups.count
                byFacts[facts, default: []].append(g)
                groups.append(Group(profile: p, hosts: [], positions: []))
            }
            for (host, position) in zip(u.hosts, u.positions) { member[position] = (host, g) }
        }
        let members = member.map { $0! }
        for (i, m) in members.enumerated() {
            groups[m.group].hosts.append(m.host)
            groups[m.group].positions.append(i)
        }
        for i in groups.indices { groups[i].profile.host = groups[i].hosts[0] }
        self.machine = machine
        self.groups = groups
        self.members = members
    }

    /// `body` computed once per group, then given to every host in order.
    public func perHost<T>(_ body: (HostProfile) throws -> T) rethrows -> [(host: String, value: T)] {
        let values = try groups.map { try body($0.profile) }
        return members.map { ($0.host, values[$0.group]) }
    }

    /// Every host's profile, in order (a group's profile under each host's name).
    public var profiles: [HostProfile] {
        members.map { m in
            var p = groups[m.group].profile
            p.host = m.host
            return p
        }
    }

    /// One profile per group (named after the group's first host): what a baseline needs.
    public var distinctProfiles: [HostProfile] { groups.map(\.profile) }

    /// What makes two hosts identical on a machine type, short of the models' feature sets.
    struct Facts: Hashable {
        var supported: Set<String>
        var migratable: Set<String>
        var refused: Set<String>
        init(_ p: HostProfile) {
            supported = p.supported
            migratable = p.migratableSupported
            refused = p.runtimeRefused
        }
    }

    /// Whether two profiles define the models alike (constant time when they share the sets).
    static func sameModels(_ a: ModelFeatureSets, _ b: ModelFeatureSets) -> Bool {
        a.machine == b.machine && a.aliasOf == b.aliasOf && a.models == b.models
    }
}
