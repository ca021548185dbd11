import Foundation
import CPUQuery

/// Finds the named model plus the fewest `+`/`-` flags that give exactly a feature set.
public enum CommandLineSearch {
    /// One model considered, with the flags it needs.
    public struct Candidate: Sendable, Equatable {
        /// The model.
        public var model: String
        /// Features to add, sorted.
        public var plus: [String]
        /// Features to remove, sorted.
        public var minus: [String]
        /// Features of the model that the target keeps.
        public var shared: Int

        /// The number of flags.
        public var cost: Int { plus.count + minus.count }
        /// Whether the target has every feature of the model, so it needs no `-` flag (for a
        /// baseline: every host runs the model as defined).
        public var runsAsDefined: Bool { minus.isEmpty }
        /// The guest CPU this candidate writes.
        public var guest: GuestCPU { GuestCPU(model: model, plus: plus, minus: minus) }
    }

    /// Every named model of `sets` as a way to write `target`, best first: fewest flags, then
    /// fewest removals, then the newest version, then the name.
    public static func candidates(for target: Set<String>, in sets: ModelFeatureSets) -> [Candidate] {
        sets.namedModels.compactMap { model -> Candidate? in
            guard let f = sets.models[model] else { return nil }
            return Candidate(model: model, plus: target.subtracting(f).sorted(), minus: f.subtracting(target).sorted(),
                             shared: f.intersection(target).count)
        }.sorted(by: better)
    }

    /// The shortest way to write `target`.
    public static func shortest(for target: Set<String>, in sets: ModelFeatureSets) throws(HostCPUError) -> Candidate {
        guard let best = candidates(for: target, in: sets).first else {
            throw HostCPUError(.noModel, "no named CPU model on \(sets.machine)")
        }
        return best
    }

    static func better(_ a: Candidate, _ b: Candidate) -> Bool {
        if a.cost != b.cost { return a.cost < b.cost }
        if a.minus.count != b.minus.count { return a.minus.count < b.minus.count }
        return ModelOrder.newer(a.model, b.model)
    }
}

/// Orders model names: a later `-vN` of the same model first, then by name.
enum ModelOrder {
    static func newer(_ a: String, _ b: String) -> Bool {
        let (baseA, vA) = split(a), (baseB, vB) = split(b)
        if baseA == baseB, vA != vB { return vA > vB }
        return a < b
    }

    static func split(_ name: String) -> (String, Int) {
        guard let r = name.range(of: "-v", options: .backwards), let v = Int(name[r.upperBound...]) else { return (name, 0) }
        return (String(name[..<r.lowerBound]), v)
    }
}
