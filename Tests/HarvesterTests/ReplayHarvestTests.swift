import Foundation
import Harvester
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// Harvests recorded transcripts of the real QEMU 7.2: no QEMU needed.
@Suite struct ReplayHarvestTests {
    @Test func cascadelakeServerDependsOnTheMachineType() async throws {
        let s = try await TestSupport.replay("x86_64")
        let old = try #require(s.props("Cascadelake-Server", machine: "pc-i440fx-3.1"))
        #expect(old["mpx"] == true)
        #expect(old["stepping"] == 5)
        let new = try #require(s.props("Cascadelake-Server", machine: "pc-q35-7.2"))
        #expect(new["mpx"] == false)
        #expect(new["stepping"] == 6)
        // Versioned models are separate QOM types: compat props for the alias do not reach -v1.
        #expect(s.props("Cascadelake-Server-v1", machine: "pc-i440fx-3.1")?["mpx"] == false)
    }

    @Test func aliasOfIsResolvedPerMachineType() async throws {
        let s = try await TestSupport.replay("x86_64")
        #expect(s.definition("Cascadelake-Server", machine: "pc-q35-7.2")?.aliasOf == "Cascadelake-Server-v1")
        let legacy = try #require(s.definition("Cascadelake-Server", machine: "pc-i440fx-4.0"))
        #expect(legacy.aliasOf == nil)
        #expect(s.definition("Cascadelake-Server", machine: "microvm")?.aliasOf == "Cascadelake-Server-v5")
        #expect(s.props("Cascadelake-Server", machine: "microvm") == s.props("Cascadelake-Server-v5", machine: "microvm"))
    }

    @Test func qemu64OnPc14() async throws {
        let s = try await TestSupport.replay("x86_64")
        let props = try #require(s.props("qemu64", machine: "pc-i440fx-1.4"))
        #expect(props["family"] == 6)
        #expect(props["model-id"] == "QEMU Virtual CPU version 1.4.0")
        #expect(s.props("qemu64", machine: "pc-q35-7.2")?["family"] == 15)
    }

    @Test func machineTypesKeepEveryField() async throws {
        let s = try await TestSupport.replay("x86_64")
        #expect(s.machines.count == 59)
        let q35 = try #require(s.machines.first { $0.name == "pc-q35-7.2" })
        #expect(q35.alias == "q35")
        #expect(q35.defaultCPUType == "qemu64-x86_64-cpu")
        #expect(q35.info["hotpluggable-cpus"] == true)
        #expect(s.machines.first { $0.name == "pc-i440fx-7.2" }?.isDefault == true)
        #expect(s.machines.first { $0.name == "pc-i440fx-1.4" }?.deprecated == true)
    }

    @Test func kvmRowsAreTiedToTheRecordedHost() async throws {
        let s = try await TestSupport.replay("x86_64")
        let kvm = try #require(s.sessions.first { $0.key.accel == "kvm" })
        #expect(kvm.host?.vendor == "GenuineIntel")
        #expect(s.sessions.filter { $0.key.accel == "tcg" }.allSatisfy { $0.host == nil })
        // Named models report the host's vendor under KVM; TCG keeps the model's own.
        #expect(s.props("Cascadelake-Server", machine: "pc-q35-7.2", accel: "kvm")?["vendor"] == "GenuineIntel")
        let hostOff = s.expansions.first {
            $0.key.model == "host" && $0.key.variant == "migratable=off" && $0.key.session.accel == "kvm"
        }
        #expect(hostOff != nil)
        #expect(s.binaries.first?.accelerators == ["kvm", "tcg"])
    }

    @Test func staticExpansionsOfX86AreBase() async throws {
        let s = try await TestSupport.replay("x86_64")
        let e = try #require(s.expansions.first {
            $0.key.model == "Cascadelake-Server" && $0.key.type == "static" && $0.key.session.machine == "pc-q35-7.2"
        })
        guard case .expanded(let model, let props) = e.outcome else { Issue.record("no static expansion"); return }
        #expect(model == "base")
        #expect(props["avx512f"] == true)
    }

    @Test func armHasNoStaticExpansionAndThatIsRecorded() async throws {
        let s = try await TestSupport.replay("aarch64")
        let session = try #require(s.sessions.first)
        #expect(session.unsupported == ["query-cpu-model-expansion static"])
        #expect(s.props("cortex-a57", machine: "virt-7.2", binary: "qemu-system-aarch64")?["aarch64"] == true)
        #expect(s.binaries.first?.arch == "aarch64")
        #expect(s.binaries.first?.accelerators == ["tcg"])
    }

    @Test func replayIsReproducibleToTheByte() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let a = try await TestSupport.replay("x86_64", epoch: 1_700_000_000)
        let b = try await TestSupport.replay("x86_64", epoch: 1_700_000_000) { $0.jobs = 1 }
        try SnapshotWriter().write(a, to: dir + "/a.sqlite")
        try SnapshotWriter().write(b, to: dir + "/b.sqlite")
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
    }

    @Test func aTranscriptThatDoesNotMatchIsRefused() async throws {
        await #expect {
            _ = try await TestSupport.replay("x86_64") { $0.modelGlobs = ["qemu64"] }
        } throws: { error in
            guard let error = error as? HarvestError else { return false }
            return error.code == .probeFailed && error.message.contains("recorded qom-list-properties")
        }
    }

    @Test func aReplayCanTakeASubsetOfTheRecordedSessions() async throws {
        let s = try await TestSupport.replay("x86_64") { $0.machineGlobs = ["pc-q35-7.2"]; $0.accelerators = ["tcg"] }
        #expect(s.sessions.map(\.key.description) == ["qemu-system-x86_64/pc-q35-7.2+tcg"])
    }

    @Test func shardsMergeToTheWholeHarvest() async throws {
        let whole = try await TestSupport.replay("x86_64")
        var parts: [Snapshot] = []
        for k in 1...3 { parts.append(try await TestSupport.replay("x86_64") { $0.shard = Shard("\(k)/3") }) }
        #expect(parts.map(\.sessions.count) == [4, 3, 3])
        #expect(try Snapshot.merged(parts) == whole)
        let dir = try TestSupport.temporaryDirectory()
        try SnapshotWriter().write(whole, to: dir + "/whole.sqlite")
        try SnapshotWriter().write(try Snapshot.merged(parts.reversed()), to: dir + "/merged.sqlite")
        #expect(try TestSupport.sha256(dir + "/whole.sqlite") == TestSupport.sha256(dir + "/merged.sqlite"))
    }
}
