import HostCPU
import QMP

/// `qcpu models --host-dir DIR` over more than one host: the fleet view.
extension ModelsCommand {
    /// Prints, per model, on how many hosts it runs and what blocks it on the others.
    func printFleet(_ view: FleetModels) {
        switch query.format {
        case .json:
            print(JSONValue.object([
                "schema": 1, "machine": .string(view.machine), "host-count": .int(view.hostCount),
                "distinct-hosts": .int(view.distinctHosts), "models": .array(view.rows.map(Self.json)),
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
            var t = TextTable(header: ["MODEL", "RUNS ON", "BLOCKED ON", "BLOCKERS"])
            for row in view.rows {
                let runs = "\(row.runsOn) of \(view.hostCount)"
                guard !row.blocked.isEmpty else {
                    t.rows.append([row.model, runs, "", ""])
                    continue
                }
                for (i, b) in row.blocked.enumerated() {
                    let names = b.examples.joined(separator: ", ") + (b.hostCount > b.examples.count ? ", ..." : "")
                    t.rows.append([i == 0 ? row.model : "", i == 0 ? runs : "", b.hostCount == 1 ? "1 host" : "\(b.hostCount) hosts",
                                   b.blockers.joined(separator: " ") + " (\(names))"])
                }
            }
            print(t.render())
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
