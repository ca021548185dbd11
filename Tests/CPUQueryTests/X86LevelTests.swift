import CPUQuery
import Foundation
import QCPUTestSupport
import QMP
import Testing

/// x86-64 psABI levels on the real facts of the shipped QEMU 7.2.22 snapshot.
@Suite struct X86LevelTests {
    /// qemu64 v1, Nehalem v2, Haswell v3, Skylake-Server v4 on pc-q35-7.2, TCG and KVM rows.
    @Test func levelsOfModelsOnQ35() async throws {
        let snapshot = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let q = try CPUQuery(locator: SnapshotLocator(explicitFiles: [snapshot]), target: .init(version: "7.2.22"), mode: .offline)
        for accel in ["tcg", "kvm"] {
            let sets = try await q.modelFeatureSets(machine: "pc-q35-7.2", accel: accel).value
            #expect(X86Level.of(sets.models["qemu64"] ?? []) == .v1, "\(accel)")
            #expect(X86Level.of(sets.models["Nehalem"] ?? []) == .v2, "\(accel)")
            #expect(X86Level.of(sets.models["Haswell"] ?? []) == .v3, "\(accel)")
            #expect(X86Level.of(sets.models["Skylake-Server"] ?? []) == .v4, "\(accel)")
            #expect(X86Level.of(sets.models["qemu32"] ?? []) == nil, "\(accel): no long mode")
            // The level's features are QEMU's names of this target.
            for level in X86Level.allCases { for f in level.added { #expect(sets.space.resolve(f) == f, "\(f)") } }
        }
        // What Haswell lacks for v4 is exactly the AVX-512 part.
        let tcg = try await q.modelFeatureSets(machine: "pc-q35-7.2", accel: "tcg").value
        #expect(X86Level.missingForNext(tcg.models["Haswell"] ?? [])?.missing == X86Level.v4.added)
    }

    /// The CLI: `show` and `models` name the level; `--level` filters; a bad level is exit 64.
    @Test func cliLevels() throws {
        let base = ["--qemu-version", "7.2.22", "--machine", "pc-q35-7.2", "--offline"]
        for (model, level) in [("qemu64", "x86-64-v1"), ("Nehalem", "x86-64-v2"), ("Haswell", "x86-64-v3"), ("Skylake-Server", "x86-64-v4")] {
            let run = try TestSupport.runQCPU(["show", model, "--format", "json"] + base)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try JSONParser.parse(run.stdout)["level"]?.stringValue == level)
        }
        let v4 = try TestSupport.runQCPU(["models", "--level", "x86-64-v4", "--format", "json"] + base)
        let names = try JSONParser.parse(v4.stdout)["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("Skylake-Server") && names.contains("Cascadelake-Server"))
        #expect(!names.contains("Haswell") && !names.contains("qemu64"))
        let bad = try TestSupport.runQCPU(["models", "--level", "v9"] + base)
        #expect(bad.status == 64)
        #expect(bad.stderr.split(separator: "\n").count == 1)
        #expect(X86Level(name: "3") == .v3 && X86Level(name: "x86-64-v2") == .v2 && X86Level(name: "v5") == nil)
    }
}
