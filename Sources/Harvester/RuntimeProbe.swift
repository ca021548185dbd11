import QMP
import SnapshotStore

/// Finds the features KVM offers on this host that a running vCPU cannot take.
///
/// QEMU's `host` expansion lists what KVM reports as supported, and `enforce` checks only that;
/// the vCPU state is written to KVM later, when the CPU is reset and run. On some hosts a value
/// QEMU derives from the offered features is refused then: on AMD EPYC KVM guests KVM offers the
/// `arch-capabilities` MSR bits (`rdctl-no`, `mds-no`, ...), yet writing MSR 0x10a with them fails
/// and QEMU aborts (`failed to set MSR 0x10a`, exit 134), while `+arch-capabilities` alone runs.
///
/// The probe starts `-cpu host` with every named feature of the `host,migratable=off` expansion
/// switched on (so the line holds exactly what a `-cpu` line qcpu proposes can hold: named
/// features, not the unnamed MSR bits `migratable=off` passes through) under KVM, `cont`s it and
/// asks `query-status`. When
/// that does not run, it learns QEMU's feature dependencies from expansions (`host` with one feature
/// off: the features that go off with it depend on it), and bisects the features on in the `host`
/// expansion, dependents first, keeping every other feature on: a group that does not run holds a
/// culprit. Parent features are searched only when the run fails with every dependent removed, so
/// `arch-capabilities` itself stays offered when only its MSR bits are refused.
struct RuntimeProbe: Sendable {
    /// Session name prefix in recordings.
    static let sessionName = "host-run"

    var binary: String
    var executable: String
    var machine: String
    var extraArguments: [String]
    var provider: any QMPSessionProvider
    /// Refusals of a recording being replayed: session name → QEMU's message.
    var recordedRefusals: [String: String] = [:]
    /// Named features on in the `host,migratable=off` expansion.
    var offered: Set<String>
    /// Those on in the `host` expansion (migratable).
    var migratable: Set<String>
    /// Where QEMU starts and refusals are counted.
    var log: ProbeLog

    /// The offered features that a running vCPU refuses, with the features that depend on them;
    /// empty when the host's whole named feature set runs.
    func run() async throws -> [String] {
        if try await runs(removing: [], part: "") { return [] }
        let dependents = try await dependencies(of: offered.sorted())
        let leaves = offered.filter { (dependents[$0] ?? []).isEmpty }.sorted()
        let parents = offered.subtracting(leaves).sorted { (dependents[$0]?.count ?? 0, $0) < (dependents[$1]?.count ?? 0, $1) }
        var refused: [String] = []
        if !(try await runs(removing: leaves, part: "l")) {
            refused += try await search(parents, all: parents, off: Set(leaves), part: "p")
        }
        refused += try await search(leaves, all: leaves, off: Set(refused), part: "")
        var result = Set(refused)
        for f in refused { result.formUnion(dependents[f] ?? []) }
        guard try await runs(removing: result.sorted(), part: "check") else {
            throw HarvestError(.probeFailed, "\(binary): -cpu host (named features) does not run under KVM on \(machine) even with \(result.sorted().joined(separator: ",")) off; QEMU said: \(log.refusals.values.sorted().first ?? "?")")
        }
        return result.sorted()
    }

    /// For every feature, the other offered features that go off when it is switched off.
    private func dependencies(of features: [String]) async throws -> [String: Set<String>] {
        log.started()
        return try await provider.withSession(
            name: "\(binary)/\(Self.sessionName)-deps", executable: executable,
            arguments: QEMUProcess.standardArguments(machine: machine, accel: "kvm") + extraArguments
        ) { client in
            let replies = try await client.pipeline(features.map { f in
                ("query-cpu-model-expansion",
                 ["type": "full", "model": ["name": "host", "props": ["migratable": false, f: false]]]
                    as JSONValue)
            })
            var result: [String: Set<String>] = [:]
            let offered = Set(features)
            for (f, reply) in zip(features, replies) {
                guard let props = try reply.get().parsed()["model"]?["props"]?.objectValue else { continue }
                let off = props.filter { offered.contains($0.key) && $0.key != f && $0.value.boolValue == false }.map(\.key)
                result[f] = Set(off)
            }
            return result
        }
    }

    /// The members of `group` whose presence stops the vCPU from running, with `off` switched off
    /// and the rest of `all` on: halves the group until each culprit is alone.
    private func search(_ group: [String], all: [String], off: Set<String>, part: String) async throws -> [String] {
        guard !group.isEmpty else { return [] }
        let inGroup = Set(group)
        let removed = off.union(all.filter { !inGroup.contains($0) })
        if try await runs(removing: removed.sorted(), part: "g" + part) { return [] }
        if group.count == 1 { return group }
        let half = group.count / 2
        // Both halves at once: each holds a culprit or not, independently.
        async let first = search(Array(group[..<half]), all: all, off: off, part: part + "a")
        async let second = search(Array(group[half...]), all: all, off: off, part: part + "b")
        return try await first + second
    }

    /// `-cpu host` with every offered named feature but `removing`, as a list of `-cpu` parts.
    func hostLine(removing: some Sequence<String>) -> [String] {
        let removed = Set(removing)
        return ["host"] + offered.subtracting(migratable).subtracting(removed).sorted().map { "\($0)=on" }
            + migratable.intersection(removed).sorted().map { "\($0)=off" }
    }

    /// Whether `-cpu host` with the offered features but `removing` starts, resumes and keeps running.
    private func runs(removing: [String], part: String) async throws -> Bool {
        let cpu = hostLine(removing: removing).joined(separator: ",")
        let name = "\(binary)/\(Self.sessionName)\(part.isEmpty ? "" : "-" + part)"
        log.started()
        if let refusal = recordedRefusals[name] {
            log.refused(name, refusal)
            return false
        }
        do {
            return try await provider.withSession(
                name: name, executable: executable,
                arguments: QEMUProcess.standardArguments(machine: machine, accel: "kvm") + ["-cpu", cpu] + extraArguments
            ) { client in
                _ = try await client.execute("cont")
                _ = try await client.execute("query-cpus-fast")
                let status = try await client.execute("query-status")
                return status["status"]?.stringValue == "running"
            }
        } catch let error as QMPError where error.code == .processExited {
            log.refused(name, error.message)
            return false
        }
    }
}
