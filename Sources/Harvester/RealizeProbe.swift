import QMP
import SnapshotStore

/// Finds the features KVM supports that QEMU's `host` expansion leaves off.
///
/// QEMU's `host` model turns on every feature KVM reports, except those it never auto-enables
/// (`topoext`, `kvm-hint-dedicated`): the expansion then says "off" although `-cpu X,enforce`
/// accepts them. After the ``RuntimeProbe`` (whose findings it also returns), the probe starts one
/// paused QEMU with `-cpu host,<every named feature the host offers but the refused ones>,F=on,...`
/// for every feature name the `host,migratable=off` expansion leaves off, and reads back which of
/// them the realized CPU kept. A feature whose request stops
/// QEMU from starting (KVM refuses the vCPU) is found by halving the list and counts as
/// unsupported; such refusals are returned in ``refusals`` for the recording's manifest.
struct RealizeProbe: Sendable {
    var snapshot: Snapshot
    var binary: String
    var executable: String
    var extraArguments: [String]
    var provider: any QMPSessionProvider
    /// Refusals of a recording being replayed: session name → QEMU's message.
    var recordedRefusals: [String: String] = [:]
    /// Whether to run the runtime and realize probes (false replaying a recording that predates them).
    var probeRuntime = true
    /// The machine type to realize on, chosen before the sessions ran (probing alongside them).
    var chosenMachine: String?
    /// QEMU starts and refusals of both probes (one ``run()`` per probe).
    let log = ProbeLog()
    /// Sessions QEMU refused to start or aborted: session name → QEMU's message.
    var refusals: [String: String] { log.refusals }
    /// QEMU processes started.
    var sessions: Int { log.sessions }

    /// The machine type the CPU is realized on: the default one, else the first harvested; when only
    /// `none` was harvested (x86 `-machine none` runs no vCPU), the binary's default machine type.
    var machine: String? {
        if let chosenMachine { return chosenMachine }
        let ok = Set(snapshot.sessions.filter { $0.key.binary == binary && $0.status == "ok" }.map(\.key.machine))
        let machines = snapshot.machines.filter { $0.binary == binary && ok.contains($0.name) && $0.name != "none" }
        if let chosen = machines.first(where: { $0.isDefault }) ?? machines.first { return chosen.name }
        guard ok.contains("none") else { return nil }
        return snapshot.machines.first { $0.binary == binary && $0.isDefault }?.name
    }

    /// The machine type ``machine`` will pick once the sessions of `machines` have run, assuming
    /// each starts: the default one, else the first that is not `none`, else the binary's default.
    static func expectedMachine(binary: String, machines: [MachineRecord], globs: [String]) -> String? {
        let binaryMachines = machines.filter { $0.binary == binary }.sorted { $0.name < $1.name }
        let wanted = binaryMachines.filter { Glob.matches($0, any: globs) && $0.name != "none" }
        return (wanted.first { $0.isDefault } ?? wanted.first ?? binaryMachines.first { $0.isDefault })?.name
    }

    /// What the probes found: features supported but not auto-enabled, features offered but refused
    /// by a running vCPU, and `max`'s static expansion (its boolean props are the target's names).
    struct Findings: Sendable {
        /// nil when not probed (a replayed recording older than these probes).
        var extra: [String]?
        var runtimeRefused: [String]?
        var maxStatic: ExpansionRecord
    }

    /// Runs the runtime probe, then realizes `host` with every feature its expansion leaves off.
    func run() async throws -> Findings {
        guard let machine else { throw HarvestError(.noKVM, "\(binary): no machine type ran under KVM") }
        let key = SessionKey(binary: binary, machine: machine, accel: "kvm")
        log.started()
        var hostProps: [String: JSONValue] = [:], migratableProps: [String: JSONValue] = [:]
        for e in snapshot.expansions where e.key.session == key && e.key.model == "host" && e.key.type == "full" {
            if case .expanded(_, let props) = e.outcome {
                for p in props.properties {
                    if e.key.variant == "migratable=off" { hostProps[p.name] = p.value } else { migratableProps[p.name] = p.value }
                }
            }
        }
        // A harvest of host-independent KVM rows has no host expansions: ask for them here.
        let askHost = hostProps.isEmpty
        let (maxStatic, asked) = try await provider.withSession(
            name: "\(binary)/\(HostCapture.realizeSession)-names", executable: executable,
            arguments: QEMUProcess.standardArguments(machine: machine, accel: "kvm") + extraArguments
        ) { client in
            let reply = try await client.attemptReply("query-cpu-model-expansion", arguments: [
                "type": "static", "model": ["name": "max"]])
            var asked: [[String: JSONValue]] = []
            for migratable in askHost ? [true, false] : [] {
                let host = try await client.execute("query-cpu-model-expansion", arguments: [
                    "type": "full", "model": ["name": "host", "props": ["migratable": .bool(migratable)]]])
                asked.append(host["model"]?["props"]?.objectValue ?? [:])
            }
            return (try ReplyRecords.expansion(reply, key: .init(session: key, model: "max", type: "static"), cache: ExpansionCache()),
                    asked)
        }
        if asked.count == 2 { (migratableProps, hostProps) = (asked[0], asked[1]) }
        var names = Set<String>()
        if case .expanded(_, let props) = maxStatic.outcome {
            names = Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
        }
        let offered = Set(names.filter { hostProps[$0]?.boolValue == true })
        let migratable = Set(names.filter { migratableProps[$0]?.boolValue == true })
        guard probeRuntime else {
            return Findings(extra: nil, runtimeRefused: nil, maxStatic: maxStatic)
        }
        let runtime = RuntimeProbe(binary: binary, executable: executable, machine: machine, extraArguments: extraArguments,
                                   provider: provider, recordedRefusals: recordedRefusals, offered: offered,
                                   migratable: migratable, log: log)
        let refused = try await runtime.run()
        let candidates = names.filter { hostProps[$0]?.boolValue == false }.sorted()
        let kept = try await realize(candidates, base: runtime.hostLine(removing: refused), machine: machine, part: "")
        return Findings(extra: kept.sorted(), runtimeRefused: refused, maxStatic: maxStatic)
    }

    /// Realizes `base` (the runtime probe's line) with `features` on; what the CPU kept.
    private func realize(_ features: [String], base: [String], machine: String, part: String) async throws -> [String] {
        guard !features.isEmpty else { return [] }
        let cpu = (base + features.map { "\($0)=on" }).joined(separator: ",")
        log.started()
        let name = "\(binary)/\(HostCapture.realizeSession)\(part.isEmpty ? "" : "-" + part)"
        do {
            if let refusal = recordedRefusals[name] {
                var error = QMPError(.processExited, refusal)
                error.beforeGreeting = true
                throw error
            }
            return try await provider.withSession(
                name: name, executable: executable,
                arguments: QEMUProcess.standardArguments(machine: machine, accel: "kvm") + ["-cpu", cpu] + extraArguments
            ) { client in
                let cpus = try await client.execute("query-cpus-fast")
                guard let path = cpus.arrayValue?.first?["qom-path"]?.stringValue else {
                    throw HarvestError(.probeFailed, "\(binary): query-cpus-fast named no CPU")
                }
                let replies = try await client.pipeline(features.map {
                    ("qom-get", ["path": .string(path), "property": .string($0)] as JSONValue)
                })
                var kept: [String] = []
                for (name, reply) in zip(features, replies) where try reply.get().parsed().boolValue == true {
                    kept.append(name)
                }
                return kept
            }
        } catch let error as QMPError where error.code == .processExited && error.beforeGreeting {
            // Some requested feature makes KVM refuse the vCPU: halve until it is found (both halves at once).
            log.refused(name, error.message)
            if features.count == 1 { return [] }
            let half = features.count / 2
            async let first = realize(Array(features[..<half]), base: base, machine: machine, part: part + "a")
            async let second = realize(Array(features[half...]), base: base, machine: machine, part: part + "b")
            return try await first + second
        }
    }
}
