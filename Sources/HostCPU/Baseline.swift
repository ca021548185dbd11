import CPUQuery

/// The best CPU every host of a group can run: a named model plus flags.
public struct Baseline: Sendable {
    /// One model considered, with the flags that turn it into the common feature set.
    public typealias Candidate = CommandLineSearch.Candidate

    /// The hosts, by name.
    public var hosts: [String]
    /// The machine type.
    public var machine: String
    /// Whether features that block migration were left out.
    public var migratable: Bool
    /// The features every host has (less the non-migratable ones with `migratable`).
    public var common: Set<String>
    /// The result: the winning model with the flags that give `common`.
    public var guest: GuestCPU
    /// Every model considered, best first.
    public var candidates: [Candidate]

    /// Computes the baseline of `profiles` (one per host, all on one machine type).
    ///
    /// The winner is the richest named model every host runs as defined (most features in common,
    /// then the newest version), extended with `+` flags to the largest common feature set; when no
    /// model runs everywhere, the model closest to the common set, with `-` flags.
    public static func compute(_ profiles: [HostProfile], migratable: Bool) throws(HostCPUError) -> Baseline {
        guard let first = profiles.first else { throw HostCPUError(.noHosts, "baseline needs at least one host") }
        // Only what a running vCPU takes on each host: `enforce` accepts more on some (runtime refusals).
        var common = migratable ? first.migratableOfferable : first.offerable
        for p in profiles.dropFirst() { common.formIntersection(migratable ? p.migratableOfferable : p.offerable) }
        let sets = first.modelSets
        let candidates = CommandLineSearch.candidates(for: common, in: sets).sorted { a, b in
            if a.runsAsDefined != b.runsAsDefined { return a.runsAsDefined }
            if a.runsAsDefined {
                if a.shared != b.shared { return a.shared > b.shared }
            } else if a.cost != b.cost {
                return a.cost < b.cost
            }
            return ModelOrder.newer(a.model, b.model)
        }
        guard let winner = candidates.first else { throw HostCPUError(.noModel, "no named CPU model on \(first.machine)") }
        return Baseline(hosts: profiles.map(\.host), machine: first.machine, migratable: migratable, common: common,
                        guest: winner.guest, candidates: candidates)
    }
}
