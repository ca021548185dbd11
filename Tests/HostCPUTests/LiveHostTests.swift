import CPUQuery
import Foundation
import HostCPU
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// qcpu's answers given back to a real QEMU.
@Suite struct LiveHostTests {
    /// The features of `cpu` (a `-cpu` model with props) as QEMU expands them.
    static func expand(_ client: QMPClient, _ guest: GuestCPU, space: FeatureSpace) async throws -> Set<String> {
        var props: [String: JSONValue] = [:]
        for f in guest.plus { props[f] = true }
        for f in guest.minus { props[f] = false }
        let reply = try await client.execute("query-cpu-model-expansion", arguments: [
            "type": "full", "model": ["name": .string(guest.model), "props": .object(props)]])
        guard let p = reply["model"]?["props"]?.objectValue else { throw QMPError(.protocolViolation, "no props") }
        return space.features(of: PropertySet(p))
    }

    /// Baseline of this host and two synthetic hosts, started with `enforce` on this host's QEMU:
    /// QEMU accepts it, realizes exactly its features, and the vCPU runs (`cont`, RESUME, exit 0).
    @Test func baselineStartsWithEnforceAndRunsOnThisHost() async throws {
        guard TestSupport.kvmUsable else {
            // Without KVM the baseline of the recorded host is still checked (HostQuestionsTests);
            // nothing here can be started, and capture must say so.
            await #expect(throws: (any Error).self) { _ = try await TestSupport.liveHostRecord(machines: ["pc-q35-7.2"]) }
            return
        }
        let record = try HostRecordFile(path: try await TestSupport.liveHostRecord(machines: ["pc-q35-7.2"]))
        #expect(record.runtimeProbed)
        let local = try record.profile(machine: "pc-q35-7.2")
        let hosts = [local, local.removing(["pse36", "ss", "movdiri"], name: "synthetic-1"),
                     local.removing(["mtrr", "la57", "umip", "cx16", "arat"], name: "synthetic-2")]
        for migratable in [false, true] {
            let b = try Baseline.compute(hosts, migratable: migratable)
            let features = try b.guest.features(in: local.modelSets, context: "test")
            for h in hosts {
                #expect(features.isSubset(of: h.supported))
                #expect(features.isDisjoint(with: h.runtimeRefused))
            }
            let words = try await QEMUProcess.withSession(
                executable: TestSupport.qemuX86,
                arguments: QEMUProcess.standardArguments(machine: "pc-q35-7.2", accel: "kvm") + ["-cpu", b.guest.option + ",enforce"]
            ) { client -> [JSONValue] in
                let path = try await client.execute("query-cpus-fast").arrayValue?.first?["qom-path"]?.stringValue ?? ""
                let filtered = try await client.execute("qom-get", arguments: ["path": .string(path), "property": "filtered-features"])
                // What QEMU gives the guest is exactly the baseline's feature set.
                let realized = try await client.pipeline(record.space.names.map {
                    ("qom-get", ["path": .string(path), "property": .string($0)] as JSONValue)
                })
                var on = Set<String>()
                for (name, r) in zip(record.space.names, realized) where try r.get().parsed().boolValue == true { on.insert(name) }
                #expect(on == features)
                return filtered.arrayValue ?? []
            }
            #expect(!words.isEmpty)
            #expect(words.allSatisfy { $0["features"]?.intValue == 0 })
            let run = try await QEMURun.start(cpu: b.guest.option, machine: "pc-q35-7.2")
            #expect(run.ran, "baseline \(b.guest.option): status \(run.status), \(run.stderr)")
        }
        // Each host's own CPU as a named model (cmdline --host, the domcaps host-model) runs too.
        for h in hosts {
            let line = try CommandLineSearch.shortest(for: h.hostModelFeatures, in: h.modelSets).guest.option
            let run = try await QEMURun.start(cpu: line, machine: "pc-q35-7.2")
            #expect(run.ran, "cmdline --host of \(h.host) \(line): status \(run.status), \(run.stderr)")
        }
    }

    /// `cmdline` for many feature sets QEMU itself produced, expanded again by QEMU.
    @Test func cmdlineGivesBackExactlyTheRequestedFeatureSets() async throws {
        let snapshot = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let query = try CPUQuery(locator: SnapshotLocator(explicitFiles: [snapshot], environment: [:]),
                                 target: .init(version: "7.2.22"), mode: .offline)
        let sets = try await query.modelFeatureSets(machine: "pc-q35-7.2", accel: "tcg").value
        var rng = SplitMix(state: 20261128)
        let models = sets.namedModels
        let names = sets.space.names
        try await QEMUProcess.withSession(
            executable: TestSupport.qemuX86, arguments: QEMUProcess.standardArguments(machine: "pc-q35-7.2", accel: "tcg")
        ) { client in
            var checked = 0
            var flagsSeen = 0
            for _ in 0..<120 {
                // A feature set QEMU makes: a model with a few random features switched.
                var seed = GuestCPU(model: models[Int(rng.next() % UInt64(models.count))])
                for _ in 0..<Int(rng.next() % 6) {
                    let f = names[Int(rng.next() % UInt64(names.count))]
                    if rng.next() % 2 == 0 { seed.plus.append(f) } else { seed.minus.append(f) }
                }
                let target = try await Self.expand(client, seed, space: sets.space)
                let answer = try CommandLineSearch.shortest(for: target, in: sets)
                let back = try await Self.expand(client, answer.guest, space: sets.space)
                #expect(back == target, "\(seed.option) -> \(answer.guest.option)")
                // No named model needs fewer flags; the seed's own model is among those tried.
                let all = CommandLineSearch.candidates(for: target, in: sets)
                #expect(all.allSatisfy { $0.cost >= answer.cost })
                #expect(all.contains { $0.model == seed.model } || sets.aliasOf[seed.model] != nil)
                checked += 1
                flagsSeen += answer.cost
            }
            #expect(checked == 120)
            #expect(flagsSeen > 0)
        }
    }

    /// `--host local` with a machine type (an alias here) captures only that machine type, and
    /// answers like a record of it.
    @Test func hostLocalCapturesOnlyTheMachineTypeAsked() async throws {
        let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let ask = { (host: String) in
            try TestSupport.runQCPU(["models", "--host", host, "--machine", "q35", "--format", "json", "--snapshot", shipped])
        }
        guard TestSupport.kvmUsable else {
            let r = try ask("local")
            #expect(r.status == 69 && r.stderr.contains("KVM is not usable"))
            return
        }
        let path = try await TestSupport.liveHostRecord(machines: ["q35"])
        let reader = try SnapshotReader(path: path)
        #expect(try reader.session(binary: "qemu-system-x86_64", machine: "pc-q35-7.2", accel: "kvm")?.status == "ok")
        #expect(try reader.session(binary: "qemu-system-x86_64", machine: "pc-i440fx-7.2", accel: "kvm") == nil)
        let local = try ask("local"), recorded = try ask(path)
        #expect(local.status == 0 && recorded.status == 0)
        #expect(local.stdout == recorded.stdout && local.stdout.contains("\"pc-q35-7.2\""))
    }
}
