import ArgumentParser
import CPUQuery
import HostCPU
import QMP

/// `qcpu models`: the CPU models on a machine type and accelerator.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List CPU models on a machine type: alias-of, versions, deprecated, static, migration-safe.",
        discussion: """
            With --host, lists each model as usable or not on each host under KVM, with its \
            blockers: the features -cpu MODEL,enforce would refuse there (libvirt's \
            domcapabilities custom-mode list, but per machine type), computed offline. With more \
            than one host (--host-dir), shows the fleet instead: per model, on how many hosts it \
            runs and what blocks it on the others, hosts grouped by their blockers \
            (--per-host lists every host).
            """)

    @OptionGroup var query: QueryOptions

    @OptionGroup var session: SessionOptions

    @OptionGroup var hosts: HostOptions

    @Flag(name: .customLong("per-host"), help: "With several hosts, list every model on every host instead of the fleet view.")
    var perHost = false

    func run() async throws {
        if hosts.given { return try await runForHosts() }
        try await reportingErrors {
            let q = try query.makeQuery()
            let answer = try await q.models(machine: session.machine, accel: session.accel)
            let (machine, models) = answer.value
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary), "machine": .string(machine),
                           "accel": .string(session.accel), "models": .array(models.map(Self.json))], source: answer.source)
            case .plain:
                for m in models {
                    print([m.name, m.aliasOf ?? "-", m.versions.joined(separator: ",")].joined(separator: "\t"))
                }
            case .table:
                var t = TextTable(header: ["MODEL", "ALIAS OF", "FLAGS", "VERSIONS"])
                for m in models {
                    var flags: [String] = []
                    if m.deprecated { flags.append("deprecated") }
                    if m.isStatic { flags.append("static") }
                    if m.migrationSafe == false { flags.append("not-migration-safe") }
                    if let u = m.unavailableFeatures, !u.isEmpty { flags.append("unavailable:\(u.count)") }
                    t.rows.append([m.name, m.aliasOf ?? "", flags.joined(separator: ","),
                                   m.versions.map { $0.replacingOccurrences(of: m.name + "-", with: "") }.joined(separator: " ")])
                }
                print(t.render())
                printSource(answer.source, format: query.format)
            }
        }
    }

    static func json(_ m: ModelSummary) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(m.name), "versions": .array(m.versions.map { .string($0) }),
            "deprecated": .bool(m.deprecated), "static": .bool(m.isStatic),
        ]
        if let a = m.aliasOf { o["alias-of"] = .string(a) }
        if let s = m.migrationSafe { o["migration-safe"] = .bool(s) }
        if let u = m.unavailableFeatures { o["unavailable-features"] = .array(u.map { .string($0) }) }
        return .object(o)
    }

    /// `models --host`: usable or not, with blockers, per host.
    func runForHosts() async throws {
        try await reportingErrors {
            let fleet = try await hosts.fleet(version: query.qemuVersion, machine: session.machine, snapshots: query.snapshots)
            if fleet.hostCount > 1 && !perHost { return printFleet(FleetModels(fleet)) }
            let profiles = fleet.profiles
            switch query.format {
            case .json:
                print(JSONValue.object(["schema": 1, "hosts": .array(profiles.map { p in
                    ["host": .string(p.host), "machine": .string(p.machine),
                     "models": .array(p.modelSets.models.keys.sorted().map { Self.json(p, model: $0) })]
                })]).prettyText)
            case .plain:
                for p in profiles {
                    for m in p.modelSets.models.keys.sorted() {
                        let b = p.blockers(of: m) ?? []
                        print(([p.host, m, b.isEmpty ? "usable" : "blocked"] + b).joined(separator: "\t"))
                    }
                }
            case .table:
                for p in profiles {
                    if profiles.count > 1 { print("\(p.host) (\(p.machine)):") }
                    var t = TextTable(header: ["MODEL", "USABLE", "BLOCKERS"])
                    for m in p.modelSets.models.keys.sorted() {
                        let b = p.blockers(of: m) ?? []
                        t.rows.append([m, b.isEmpty ? "yes" : "no", b.joined(separator: " ")])
                    }
                    print(t.render())
                }
            }
        }
    }

    static func json(_ p: HostProfile, model: String) -> JSONValue {
        let b = p.blockers(of: model) ?? []
        var o: [String: JSONValue] = ["name": .string(model), "usable": .bool(b.isEmpty), "blockers": .array(b.map { .string($0) })]
        if let a = p.modelSets.aliasOf[model] { o["alias-of"] = .string(a) }
        return .object(o)
    }
}
