import CPUQuery
import Foundation
import Harvester
import QCPUTestSupport
import SnapshotStore
import Synchronization
import Testing

/// Counts the live probes it forwards to the real harvester.
final class CountingProber: LiveProbing {
    let probes = Mutex<[ProbeRequest]>([])
    func probe(_ request: ProbeRequest) async throws -> Snapshot {
        probes.withLock { $0.append(request) }
        return try await LiveProber().probe(request)
    }
}

/// Missing rows are probed once from the real QEMU, cached, and then answered offline.
@Suite(.serialized) struct LiveFallbackTests {
    /// A snapshot with one session only (pc-q35-7.2, TCG), in a directory of its own.
    func partialSnapshot() async throws -> (dir: String, env: [String: String]) {
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/snapshots", withIntermediateDirectories: true)
        let s = try await TestSupport.replay("x86_64") { $0.machineGlobs = ["pc-q35-7.2"]; $0.accelerators = ["tcg"] }
        try SnapshotWriter().write(s, to: dir + "/snapshots/qemu-7.2.22.sqlite")
        let env = ["QCPU_SNAPSHOT_PATH": dir + "/snapshots", "HOME": dir, "XDG_CACHE_HOME": dir + "/cache",
                   "XDG_DATA_HOME": dir + "/data", "PATH": "/usr/bin:/bin"]
        return (dir, env)
    }

    @Test func aMissingMachineTypeIsProbedOnceThenCached() async throws {
        let (dir, env) = try await partialSnapshot()
        let prober = CountingProber()
        let locator = SnapshotLocator(environment: env, executable: "", adminDirectory: dir + "/admin")
        let first = try CPUQuery(locator: locator, prober: prober)
        // The partial snapshot answers what it has, with no probe.
        let q35 = try await first.detail(model: "Cascadelake-Server", machine: "pc-q35-7.2")
        #expect(q35.source == .snapshot(dir + "/snapshots/qemu-7.2.22.sqlite"))
        #expect(prober.probes.withLock { $0.isEmpty })
        // pc-i440fx-3.1 is missing: one live probe, then the cache has it.
        let old = try await first.detail(model: "Cascadelake-Server", machine: "pc-i440fx-3.1")
        let cache = dir + "/cache/qcpu/qemu-7.2.22.sqlite"
        #expect(old.source == .live(qemu: "/usr/bin/qemu-system-x86_64", cachedIn: cache))
        #expect(old.value.features.first { $0.name == "mpx" }?.enabled == true)
        #expect(old.value.identity.first { $0.name == "stepping" }?.value == 5)
        #expect(prober.probes.withLock { $0 } == [ProbeRequest(qemu: "/usr/bin/qemu-system-x86_64", machines: ["pc-i440fx-3.1"], accel: "tcg")])
        #expect(try SnapshotValidator().validate(path: cache) == [])
        // A new process, offline: the cache answers.
        let second = try CPUQuery(locator: locator, mode: .offline, prober: prober)
        let again = try await second.detail(model: "Cascadelake-Server", machine: "pc-i440fx-3.1")
        #expect(again.source == .cache(cache))
        #expect(again.value.features.map(\.name) == old.value.features.map(\.name))
        #expect(again.value.features.map(\.enabled) == old.value.features.map(\.enabled))
        #expect(prober.probes.withLock { $0.count } == 1)
    }

    @Test func offlineNamesWhatIsMissingAndWritesNothing() async throws {
        let (dir, env) = try await partialSnapshot()
        let q = try CPUQuery(locator: SnapshotLocator(environment: env, executable: "", adminDirectory: dir + "/admin"),
                             mode: .offline, prober: CountingProber())
        await #expect {
            _ = try await q.detail(model: "qemu64", machine: "pc-i440fx-1.4")
        } throws: { error in
            guard let error = error as? QueryError else { return false }
            return error.code == .qemuUnavailable && error.message.contains("-machine pc-i440fx-1.4,accel=tcg")
                && error.message.contains("--offline forbids probing")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache"))
    }

    @Test func liveModeAsksQEMUEvenWhenASnapshotHasTheRow() async throws {
        let (dir, env) = try await partialSnapshot()
        let prober = CountingProber()
        let q = try CPUQuery(locator: SnapshotLocator(environment: env, executable: "", adminDirectory: dir + "/admin"),
                             mode: .live, prober: prober)
        let answer = try await q.models(machine: "pc-q35-7.2")
        #expect(answer.source == .live(qemu: "/usr/bin/qemu-system-x86_64", cachedIn: dir + "/cache/qcpu/qemu-7.2.22.sqlite"))
        #expect(answer.value.models.first { $0.name == "Cascadelake-Server" }?.versions.count == 5)
        #expect(prober.probes.withLock { $0.count } == 2)  // machine types (-machine none), then the session
    }

    @Test func aVersionWithNoSnapshotAndNoQEMUSaysWhatWouldFixIt() async throws {
        let (dir, env) = try await partialSnapshot()
        let q = try CPUQuery(locator: SnapshotLocator(environment: env, executable: "", adminDirectory: dir + "/admin"),
                             target: .init(version: "10.0.2"), prober: CountingProber())
        await #expect {
            _ = try await q.machines()
        } throws: { error in
            guard let error = error as? QueryError else { return false }
            return error.code == .qemuUnavailable && error.message.contains("install QEMU 10.0.2 (qemu-system-x86_64)")
        }
    }
}
