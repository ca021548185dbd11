import CPUQuery
import HostCPU
import QMP

/// `qcpu models --host-dir DIR` over more than one host: the fleet view.
extension ModelsCommand {
    /// Prints, per model, on how many hosts it runs and what blocks it on the others, with each
    /// model's x86-64 level (only models reaching `minimum` when given), and the fleet's levels.
    func printFleet(_ all: FleetModels, fleet: Fleet, minimum: X86Level?) {
        let sets = fleet.groups[0].profile.modelSets
        func level(_ model: String) -> X86Level? { X86Level.of(sets.models[model] ?? []) }
        var view = all
        if let minimum { view.rows = all.rows.filter { level($0.model).map { $0 >= minimum } ?? false } }
        let hostLevels = fleet.perHost { X86Level.of($0.offerable) }
        switch query.format {
        case .json:
            print(JSONValue.object([
                "schema": 1, "machine": .string(view.machine), "host-count": .int(view.hostCount),
                "distinct-hosts": .int(view.distinctHosts),
                "level": Self.levelJSON(X86Level.common(hostLevels.map(\.value))),
                "host-levels": .object(Dictionary(hostLevels.map { ($0.host, Self.levelJSON($0.value)) }, uniquingKeysWith: { a, _ in a })),
                "models": .array(view.rows.map { row in
                    guard case .object(var o) = Self.json(row) else { return Self.json(row) }
                    o["level"] = Self.levelJSON(level(row.model))
                    return .object(o)
                }),
            ]).prettyText)
        case .plain:
            for row in view.rows {
                if row.runsOn > 0 { print([row.model, String(row.runsOn), "usable"].joined(separator: "\t")) }
                for b in row.blocked {
                    print(([row.model, String(b.hostCount), "blocked"] + b.blockers).joined(separator: "\t"))
                }
            }
        case .table:
            let distinct = view.distinctHosts == view.hostCount ? "all different" : "\(view.distinctHosts) distinct"
            print("\(view.hostCount) hosts on \(view.machine) (\(distinct)):")
            var t = TextTable(header: ["MODEL", "LEVEL", "RUNS ON", "BLOCKED ON", "BLOCKERS"])
            for row in view.rows {
                let runs = "\(row.runsOn) of \(view.hostCount)"
                let l = X86Level.name(level(row.model))
                guard !row.blocked.isEmpty else {
                    t.rows.append([row.model, l, runs, "", ""])
                    continue
                }
                for (i, b) in row.blocked.enumerated() {
                    let names = b.examples.joined(separator: ", ") + (b.hostCount > b.examples.count ? ", ..." : "")
                    t.rows.append([i == 0 ? row.model : "", i == 0 ? l : "", i == 0 ? runs : "", b.hostCount == 1 ? "1 host" : "\(b.hostCount) hosts",
                                   b.blockers.joined(separator: " ") + " (\(names))"])
                }
            }
            print(t.render())
            var counts: [String: Int] = [:]
            for h in hostLevels { counts[X86Level.name(h.value), default: 0] += 1 }
            let common = X86Level.common(hostLevels.map(\.value))
            print("levels: " + counts.keys.sorted().map { "\(counts[$0]!) host(s) \($0)" }.joined(separator: ", ")
                  + "; every host runs " + (common.map { "x86-64 psABI level \($0)" } ?? "no common x86-64 psABI level"))
        }
    }

    static func json(_ row: FleetModels.Row) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(row.model), "runs-on": .int(row.runsOn),
            "blocked": .array(row.blocked.map { b in
                ["blockers": .array(b.blockers.map { .string($0) }), "hosts": .int(b.hostCount),
                 "examples": .array(b.examples.map { .string($0) })]
            }),
        ]
        if let a = row.aliasOf { o["alias-of"] = .string(a) }
        return .object(o)
    }
}
