import ArgumentParser
import CPUQuery
import Exports
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
            (--per-host lists every host). --libvirt also marks the models QEMU runs that \
            libvirt's CPU map would refuse (its default check='partial' compares the map's \
            definition with the host) and the map's features the host lacks. LEVEL is the \
            x86-64 psABI level of each model's features on the machine type (--level keeps \
            the models that reach one).
            """)

    @OptionGroup var query: QueryOptions

    @OptionGroup var session: SessionOptions

    @OptionGroup var hosts: HostOptions

    @Flag(name: .customLong("per-host"), help: "With several hosts, list every model on every host instead of the fleet view.")
    var perHost = false

    @Flag(name: .customLong("libvirt"), help: "With --host: also mark models QEMU runs that libvirt's CPU map would refuse, and why.")
    var libvirt = false

    @OptionGroup var cpuMap: CPUMapOptions

    @Option(name: .customLong("level"), help: ArgumentHelp("Only models whose features reach this x86-64 psABI level (x86-64-v1 ... x86-64-v4).",
                                                           valueName: "level"))
    var level: String?

    /// The `--level` asked for.
    func minimumLevel() throws -> X86Level? {
        guard let level else { return nil }
        guard let l = X86Level(name: level) else {
            throw fail("unknown level '\(level.prefix(20))': x86-64-v1, x86-64-v2, x86-64-v3 or x86-64-v4", status: ExitStatus.usage)
        }
        return l
    }

    func run() async throws {
        if hosts.given { return try await runForHosts() }
        try await reportingErrors {
            let minimum = try minimumLevel()
            let q = try query.makeQuery()
            let answer = try await q.models(machine: session.machine, accel: session.accel)
            let (machine, all) = answer.value
            let levels = await Self.levels(q, machine: machine, accel: session.accel)
            if minimum != nil && levels == nil {
                throw fail("--level needs the models' feature sets, which this snapshot does not hold for \(machine)", status: ExitStatus.usage)
            }
            let models = all.filter { m in minimum.map { min in (levels?[m.name] ?? nil).map { $0 >= min } ?? false } ?? true }
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary), "machine": .string(machine),
                           "accel": .string(session.accel), "models": .array(models.map { m in
                               var o = Self.json(m)
                               if let levels, case .object(var d) = o { d["level"] = (levels[m.name] ?? nil).map { .string($0.description) } ?? .null; o = .object(d) }
                               return o
                           })], source: answer.source, of: q)
            case .plain:
                for m in models {
                    print([m.name, m.aliasOf ?? "-", m.versions.joined(separator: ",")].joined(separator: "\t"))
                }
            case .table:
                var t = TextTable(header: levels == nil ? ["MODEL", "ALIAS OF", "FLAGS", "VERSIONS"] : ["MODEL", "ALIAS OF", "LEVEL", "FLAGS", "VERSIONS"])
                for m in models {
                    var flags: [String] = []
                    if m.deprecated { flags.append("deprecated") }
                    if m.isStatic { flags.append("static") }
                    if m.migrationSafe == false { flags.append("not-migration-safe") }
                    if let u = m.unavailableFeatures, !u.isEmpty { flags.append("unavailable:\(u.count)") }
                    let versions = m.versions.map { $0.replacingOccurrences(of: m.name + "-", with: "") }.joined(separator: " ")
                    if let levels {
                        t.rows.append([m.name, m.aliasOf ?? "", X86Level.name(levels[m.name] ?? nil), flags.joined(separator: ","), versions])
                    } else {
                        t.rows.append([m.name, m.aliasOf ?? "", flags.joined(separator: ","), versions])
                    }
                }
                print(t.render())
                printSource(answer.source, of: q, format: query.format)
            }
        }
    }

    /// Each model's x86-64 level on the machine type (nil: not an x86 target, or no feature sets).
    static func levels(_ q: CPUQuery, machine: String, accel: String) async -> [String: X86Level?]? {
        guard q.binary.hasSuffix("x86_64") || q.binary.hasSuffix("i386"),
              let sets = try? await q.modelFeatureSets(machine: machine, accel: accel).value else { return nil }
        return sets.models.mapValues { X86Level.of($0) }
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
            let minimum = try minimumLevel()
            let fleet = try await hosts.fleet(version: query.qemuVersion, machine: session.machine, snapshots: query.snapshots)
            if fleet.hostCount > 1 && !perHost && !libvirt { return printFleet(FleetModels(fleet), fleet: fleet, minimum: minimum) }
            let profiles = fleet.profiles
            let views = try libvirtViews(profiles)
            func shown(_ p: HostProfile) -> [String] {
                p.modelSets.models.keys.sorted().filter { m in minimum.map { min in X86Level.of(p.modelSets.models[m] ?? []).map { $0 >= min } ?? false } ?? true }
            }
            switch query.format {
            case .json:
                print(JSONValue.object(["schema": 1, "hosts": .array(profiles.enumerated().map { i, p in
                    ["host": .string(p.host), "machine": .string(p.machine), "level": Self.levelJSON(X86Level.of(p.offerable)),
                     "models": .array(shown(p).map { Self.json(p, model: $0, view: views?[i]) })]
                })]).prettyText)
            case .plain:
                for p in profiles {
                    for m in shown(p) {
                        let b = p.blockers(of: m) ?? []
                        print(([p.host, m, b.isEmpty ? "usable" : "blocked"] + b).joined(separator: "\t"))
                    }
                }
            case .table:
                for (i, p) in profiles.enumerated() {
                    if profiles.count > 1 { print("\(p.host) (\(p.machine)):") }
                    var t = TextTable(header: ["MODEL", "USABLE", "LEVEL", "BLOCKERS"] + (views == nil ? [] : ["LIBVIRT"]))
                    for m in shown(p) {
                        let b = p.blockers(of: m) ?? []
                        var row = [m, b.isEmpty ? "yes" : "no", X86Level.name(X86Level.of(p.modelSets.models[m] ?? [])), b.joined(separator: " ")]
                        if let view = views?[i] { row.append(Self.libvirtVerdict(view, model: m, usable: b.isEmpty)) }
                        t.rows.append(row)
                    }
                    print(t.render())
                    print(Self.levelLine(p))
                }
            }
        }
    }

    static func json(_ p: HostProfile, model: String, view: LibvirtView? = nil) -> JSONValue {
        let b = p.blockers(of: model) ?? []
        var o: [String: JSONValue] = ["name": .string(model), "usable": .bool(b.isEmpty), "blockers": .array(b.map { .string($0) }),
                                      "level": levelJSON(X86Level.of(p.modelSets.models[model] ?? []))]
        if let a = p.modelSets.aliasOf[model] { o["alias-of"] = .string(a) }
        if let view {
            let missing = view.missing(for: model)
            o["libvirt"] = ["in-map": .bool(missing != nil),
                            "refused": .bool(b.isEmpty && !(missing ?? []).isEmpty),
                            "missing-features": missing.map { .array($0.map { .string($0) }) } ?? .null]
        }
        return .object(o)
    }

    static func levelJSON(_ l: X86Level?) -> JSONValue { l.map { .string($0.description) } ?? .null }

    /// The host's level and what keeps it from the next one.
    static func levelLine(_ p: HostProfile) -> String {
        let level = X86Level.of(p.offerable)
        var line = "\(p.host) runs \(level.map { "x86-64 psABI level \($0)" } ?? "no x86-64 psABI level") on \(p.machine)"
        if let next = X86Level.missingForNext(p.offerable) { line += " (\(next.level) needs \(next.missing.joined(separator: " ")))" }
        return line
    }

    /// The views of `profiles` through libvirt's map, with --libvirt (nil without).
    func libvirtViews(_ profiles: [HostProfile]) throws -> [LibvirtView]? {
        guard libvirt else { return nil }
        guard let map = try cpuMap.load() else { throw fail("--libvirt needs libvirt's CPU map (install libvirt, or --cpu-map DIR)", status: ExitStatus.unavailable) }
        return profiles.map { LibvirtView(profile: $0, extraFeatures: [], vendorCPUID: "", map: map) }
    }

    /// `accepted`, `refused: needs F G` or `not in map`.
    static func libvirtVerdict(_ view: LibvirtView, model: String, usable: Bool) -> String {
        guard let missing = view.missing(for: model) else { return "not in map" }
        if !usable { return "" }
        return missing.isEmpty ? "accepted" : "refused: needs " + missing.joined(separator: " ")
    }
}
