import QMP
import SnapshotStore

/// Finds the features KVM supports that QEMU's `host` expansion leaves off.
///
/// QEMU's `host` model turns on every feature KVM reports, except those it never auto-enables
/// (`topoext`, `kvm-hint-dedicated`): the expansion then says "off" although `-cpu X,enforce`
/// accepts them. The probe starts one paused QEMU with `-cpu host,migratable=off,F=on,...` for
/// every feature the `host` expansion lacks (the target's feature names, and any prop some model
/// turns on), and reads back which of them the realized CPU kept. A feature whose request stops
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
    /// Sessions QEMU refused to start in the last ``run()``: session name → QEMU's message.
    private(set) var refusals: [String: String] = [:]
    /// QEMU processes started by the last ``run()``.
    private(set) var sessions = 1

    /// The machine type the CPU is realized on: the default one, else the first harvested.
    var machine: String? {
        let ok = Set(snapshot.sessions.filter { $0.key.binary == binary && $0.status == "ok" }.map(\.key.machine))
        let machines = snapshot.machines.filter { $0.binary == binary && ok.contains($0.name) }
        return (machines.first { $0.isDefault } ?? machines.first)?.name
    }

    /// Feature names the `host,migratable=off` expansion of `machine` leaves off, and boolean props
    /// on in some model's expansion but off in the same machine type's `host` expansion.
    func candidates(featureNames: Set<String>, machine: String) -> [String] {
        var hostProps: [String: PropertySet] = [:]
        for e in snapshot.expansions where e.key.session.binary == binary && e.key.model == "host"
            && e.key.variant == "migratable=off" {
            if case .expanded(_, let props) = e.outcome { hostProps[e.key.session.machine] = props }
        }
        var result = Set(featureNames.filter { hostProps[machine]?[$0]?.boolValue == false })
        for e in snapshot.expansions where e.key.session.binary == binary && e.key.type == "full" && e.key.variant.isEmpty
            && !SessionProbe.hostModels.contains(e.key.model) {
            guard case .expanded(_, let props) = e.outcome, let host = hostProps[e.key.session.machine] else { continue }
            for p in props.properties where p.value.boolValue == true && host[p.name]?.boolValue == false {
                result.insert(p.name)
            }
        }
        return result.sorted()
    }

    /// The supported-but-not-auto-enabled features, and `max`'s static expansion (its boolean
    /// props are the target's canonical feature names).
    mutating func run() async throws -> (extra: [String], maxStatic: ExpansionRecord) {
        guard let machine else { throw HarvestError(.noKVM, "\(binary): no machine type ran under KVM") }
        let key = SessionKey(binary: binary, machine: machine, accel: "kvm")
        sessions = 1
        refusals = [:]
        let maxStatic = try await provider.withSession(
            name: "\(binary)/\(HostCapture.realizeSession)-names", executable: executable,
            arguments: QEMUProcess.standardArguments(machine: machine, accel: "kvm") + extraArguments
        ) { client in
            let reply = try await client.attemptReply("query-cpu-model-expansion", arguments: [
                "type": "static", "model": ["name": "max"]])
            return try ReplyRecords.expansion(reply, key: .init(session: key, model: "max", type: "static"), cache: ExpansionCache())
        }
        var names = Set<String>()
        if case .expanded(_, let props) = maxStatic.outcome {
            names = Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
        }
        let kept = try await realize(candidates(featureNames: names, machine: machine), machine: machine, part: "")
        return (kept.sorted(), maxStatic)
    }

    private mutating func realize(_ features: [String], machine: String, part: String) async throws -> [String] {
        guard !features.isEmpty else { return [] }
        let cpu = (["host", "migratable=off"] + features.map { "\($0)=on" }).joined(separator: ",")
        sessions += 1
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
            // Some requested feature makes KVM refuse the vCPU: halve until it is found.
            refusals[name] = error.message
            if features.count == 1 { return [] }
            let half = features.count / 2
            return try await realize(Array(features[..<half]), machine: machine, part: part + "a")
                + realize(Array(features[half...]), machine: machine, part: part + "b")
        }
    }
}
