import CPUQuery

/// Every model on a fleet's machine type: on how many hosts it runs as defined (`-cpu MODEL,enforce`
/// accepted), and what blocks it on the others, hosts grouped by their set of blockers.
public struct FleetModels: Sendable {
    /// Hosts on which one model is refused for the same features.
    public struct Blocked: Sendable, Equatable {
        /// The features `-cpu MODEL,enforce` would refuse, sorted.
        public var blockers: [String]
        /// How many hosts.
        public var hostCount: Int
        /// The first few of them, in the fleet's order (a directory's: by file name).
        public var examples: [String]

        /// Creates an entry.
        public init(blockers: [String], hostCount: Int, examples: [String]) {
            self.blockers = blockers
            self.hostCount = hostCount
            self.examples = examples
        }
    }

    /// One model.
    public struct Row: Sendable, Equatable {
        /// The model.
        public var model: String
        /// The model it is an alias of on this machine type.
        public var aliasOf: String?
        /// On how many hosts it runs as defined.
        public var runsOn: Int
        /// The hosts where it does not, by blocker set: most hosts first, then by blockers.
        public var blocked: [Blocked]

        /// Creates a row.
        public init(model: String, aliasOf: String?, runsOn: Int, blocked: [Blocked]) {
            self.model = model
            self.aliasOf = aliasOf
            self.runsOn = runsOn
            self.blocked = blocked
        }
    }

    /// The machine type.
    public var machine: String
    /// How many hosts.
    public var hostCount: Int
    /// How many of them differ on the machine type (the rest are identical to one of these).
    public var distinctHosts: Int
    /// Every model, sorted by name.
    public var rows: [Row]

    /// The fleet view of `fleet`, naming up to `examples` hosts per blocker set.
    public init(_ fleet: Fleet, examples: Int = 3) {
        machine = fleet.machine
        hostCount = fleet.hostCount
        distinctHosts = fleet.groups.count
        var names = Set<String>()
        for g in fleet.groups { names.formUnion(g.profile.modelSets.models.keys) }
        rows = names.sorted().map { model in
            var runsOn = 0
            var byBlockers: [[String]: (count: Int, first: [Int])] = [:]
            for g in fleet.groups {
                guard let b = g.profile.blockers(of: model) else { continue }
                if b.isEmpty { runsOn += g.hosts.count; continue }
                var entry = byBlockers[b] ?? (0, [])
                entry.count += g.hosts.count
                entry.first = Array((entry.first + g.positions.prefix(examples)).sorted().prefix(examples))
                byBlockers[b] = entry
            }
            let blocked = byBlockers.map { b, entry in
                Blocked(blockers: b, hostCount: entry.count, examples: entry.first.map { fleet.members[$0].host })
            }.sorted { a, b in
                a.hostCount != b.hostCount ? a.hostCount > b.hostCount : a.blockers.lexicographicallyPrecedes(b.blockers)
            }
            let aliasOf = fleet.groups.lazy.compactMap { $0.profile.modelSets.aliasOf[model] }.first
            return Row(model: model, aliasOf: aliasOf, runsOn: runsOn, blocked: blocked)
        }
    }
}
