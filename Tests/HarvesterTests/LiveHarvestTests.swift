import Foundation
import Harvester
import QCPUTestSupport
import QMP
import SnapshotStore
import Synchronization
import Testing

/// The full harvest of the real qemu-system-x86_64 (TCG, and KVM when it works here), made once
/// and shared by the tests.
actor FullHarvest {
    static let shared = FullHarvest()
    private var task: Task<Snapshot, any Error>?

    func snapshot() async throws -> Snapshot {
        if task == nil {
            task = Task {
                var options = HarvestOptions()
                options.binaries = [TestSupport.qemuX86]
                options.accelerators = TestSupport.kvmUsable ? ["kvm", "tcg"] : ["tcg"]
                options.sourceDateEpoch = 0
                return try await Harvester(options: options).run().snapshot
            }
        }
        return try await task!.value
    }
}

/// Harvests the real `qemu-system-x86_64` (Debian 12's QEMU 7.2).
@Suite(.serialized) struct LiveHarvestTests {
    func harvest(_ configure: (inout HarvestOptions) -> Void) async throws -> Snapshot {
        var options = HarvestOptions()
        options.binaries = [TestSupport.qemuX86]
        options.sourceDateEpoch = 1_700_000_000
        configure(&options)
        return try await Harvester(options: options).run().snapshot
    }

    @Test func covers59MachineTypesTimes132ModelsUnderEachAccelerator() async throws {
        let s = try await FullHarvest.shared.snapshot()
        let accels = TestSupport.kvmUsable ? 2 : 1
        #expect(s.meta.qemuVersion == "7.2.22")
        #expect(s.machines.count == 59)
        #expect(s.sessions.count == 59 * accels)
        #expect(s.sessions.allSatisfy { $0.status == "ok" && $0.unsupported.isEmpty })
        #expect(s.sessions.allSatisfy { ($0.host == nil) == ($0.key.accel == "tcg") })
        if TestSupport.kvmUsable {
            #expect(Set(s.sessions.compactMap(\.host)) == [HostFingerprint.current()])
        }
        let perSession = Dictionary(grouping: s.definitions, by: \.session).mapValues(\.count)
        #expect(perSession.count == 59 * accels && perSession.values.allSatisfy { $0 == 132 })
        #expect(s.expansions.filter { $0.key.type == "full" && $0.key.variant.isEmpty }.count == 59 * 132 * accels)
        #expect(s.expansions.filter { $0.key.type == "static" }.count == 59 * 132 * accels)
        // host and max once more with migratable=off in every KVM session.
        #expect(s.expansions.filter { $0.key.variant == "migratable=off" }.count == (accels - 1) * 59 * 2)
        #expect(Set(s.definitions.filter { $0.aliasOf != nil }.map(\.name)).count == 55)
        #expect(s.definitions.filter(\.isStatic).allSatisfy { $0.name == "base" })
    }

    @Test func tcgFactsOfCascadelakeAndQemu64() async throws {
        let s = try await FullHarvest.shared.snapshot()
        #expect(s.props("Cascadelake-Server", machine: "pc-i440fx-3.1")?["mpx"] == true)
        #expect(s.props("Cascadelake-Server", machine: "pc-i440fx-3.1")?["stepping"] == 5)
        #expect(s.props("Cascadelake-Server", machine: "pc-q35-7.2")?["mpx"] == false)
        #expect(s.props("Cascadelake-Server", machine: "pc-q35-7.2")?["stepping"] == 6)
        #expect(s.definition("Cascadelake-Server", machine: "pc-q35-7.2")?.aliasOf == "Cascadelake-Server-v1")
        #expect(s.definition("Cascadelake-Server", machine: "pc-i440fx-4.0")?.aliasOf == nil)
        #expect(s.definition("Cascadelake-Server", machine: "microvm")?.aliasOf == "Cascadelake-Server-v5")
        #expect(s.props("qemu64", machine: "pc-i440fx-1.4")?["family"] == 6)
        #expect(s.props("qemu64", machine: "pc-i440fx-1.4")?["model-id"] == "QEMU Virtual CPU version 1.4.0")
        #expect(s.props("Cascadelake-Server", machine: "pc-q35-7.2")?.properties.count == 430)
        // `host` (and `max`) have two props of their own.
        let host = try #require(s.props("host", machine: "pc-q35-7.2"))
        #expect(host.properties.count == 432 && host["host-cache-info"] != nil && host["migratable"] == true)
    }

    @Test func theFullHarvestStoresFewDistinctSets() async throws {
        let s = try await FullHarvest.shared.snapshot()
        var sets = Set<PropertySet>()
        var tcg = Set<PropertySet>()
        for e in s.expansions {
            guard case .expanded(_, let p) = e.outcome else { continue }
            sets.insert(p)
            if e.key.session.accel == "tcg" { tcg.insert(p) }
        }
        // 15,576 TCG expansions, but only some hundreds of distinct property sets.
        #expect(tcg.count > 500 && tcg.count < 2000)
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(s, to: dir + "/x86.sqlite")
        let counts = try SnapshotReader(path: dir + "/x86.sqlite").counts()
        #expect(counts.distinctPropertySets == sets.count)
        #expect(counts.expansions == s.expansions.count)
        #expect(s.expansions.filter { $0.key.session.accel == "tcg" }.count == 15_576)
        // Under 5 MB with KVM too (the target for the full x86_64 harvest).
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/x86.sqlite")[.size] as? Int ?? 0
        #expect(size < 5_000_000)
    }

    @Test func kvmAnswersAreTiedToThisHost() async throws {
        if TestSupport.kvmUsable {
            let s = try await harvest { $0.accelerators = ["kvm"]; $0.machineGlobs = ["pc-q35-7.2", "microvm"] }
            let here = HostFingerprint.current()
            #expect(s.sessions.count == 2 && s.sessions.allSatisfy { $0.host == here })
            #expect(s.props("Cascadelake-Server", machine: "pc-q35-7.2", accel: "kvm")?["vendor"] == .string(here.vendor))
            #expect(s.definitions.allSatisfy { $0.unavailableFeatures != nil })
            let hostOff = s.expansions.filter { $0.key.variant == "migratable=off" }.map(\.key.model).sorted()
            #expect(hostOff == ["host", "host", "max", "max"])
        } else {
            await #expect {
                _ = try await harvest { $0.accelerators = ["kvm"]; $0.machineGlobs = ["pc-q35-7.2"] }
            } throws: { ($0 as? HarvestError)?.code == .noKVM }
        }
    }

    @Test func equalInputGivesIdenticalBytesWhateverTheParallelism() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let machines = ["pc-i440fx-3.1", "pc-q35-7.2", "microvm"]
        let a = try await harvest { $0.machineGlobs = machines; $0.jobs = 1 }
        let b = try await harvest { $0.machineGlobs = machines.reversed(); $0.jobs = 3 }
        try SnapshotWriter().write(a, to: dir + "/a.sqlite")
        try SnapshotWriter().write(b, to: dir + "/b.sqlite")
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
    }

    @Test func aRecordingReplaysToTheSameBytes() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let live = try await harvest {
            $0.machineGlobs = ["pc-i440fx-1.4", "pc-q35-7.2"]
            $0.recordDirectory = dir + "/rec"
        }
        var options = HarvestOptions()
        options.replayDirectory = dir + "/rec"
        options.sourceDateEpoch = 1_700_000_000
        let replayed = try await Harvester(options: options).run().snapshot
        try SnapshotWriter().write(live, to: dir + "/live.sqlite")
        try SnapshotWriter().write(replayed, to: dir + "/replay.sqlite")
        #expect(try TestSupport.sha256(dir + "/live.sqlite") == TestSupport.sha256(dir + "/replay.sqlite"))
    }

    @Test(arguments: [
        ("crash", "(sleep 0.2; kill -SEGV $$) &", "signal 11"),
        ("hang", "(sleep 0.2; kill -STOP $$) &", "timeout"),
        ("garbage", "(sleep 0.2; echo '<<garbage>>') &", "protocol-violation"),
    ])
    func aMisbehavingQEMUIsReportedAndTheRestGoesOn(kind: String, action: String, expected: String) async throws {
        let dir = try TestSupport.temporaryDirectory()
        let marker = "qcpu-test-\(UUID().uuidString)"
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "pc-q35-7.2,accel=tcg", action: action)
        let finished = Mutex<[String]>([])
        var options = HarvestOptions()
        options.binaries = [wrapper]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["pc-q35-7.1", "pc-q35-7.2", "pc-i440fx-7.2"]
        options.timeout = .seconds(2)
        await #expect {
            _ = try await Harvester(options: options).run { _, _, key in finished.withLock { $0.append(key.machine) } }
        } throws: { error in
            guard let error = error as? HarvestError, error.code == .sessionsFailed, error.failures.count == 1 else { return false }
            let failure = error.failures[0]
            return failure.hasPrefix("qemu-system-x86_64 pc-q35-7.2 tcg:") && failure.contains(expected)
        }
        #expect(finished.withLock { $0.sorted() } == ["pc-i440fx-7.2", "pc-q35-7.1", "pc-q35-7.2"], "\(kind)")
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }
}
