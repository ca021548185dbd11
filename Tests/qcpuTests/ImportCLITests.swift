import Foundation
import QCPUTestSupport
import SnapshotStore
import Testing

/// `qcpu import libvirt-replies` and `qcpu harvest --libvirt-probe` through the built binary.
@Suite struct ImportCLITests {
    static let x86 = TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies"
    static let riscv = TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies"

    @Test func importsTheRecordedProbeReproducibly() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let run = try TestSupport.runQCPU(["import", "libvirt-replies", Self.x86, Self.riscv, "-o", "a.sqlite"], environment: env, cwd: dir)
        #expect(run.status == 0 && run.stdout.isEmpty)
        #expect(run.stderr == "wrote a.sqlite: QEMU 7.2.22, qemu-system-riscv64, qemu-system-x86_64; 3 sessions on machine type none, 264 CPU definitions, 5 expansions (host, max)\n")
        #expect(try TestSupport.runQCPU(["validate", "a.sqlite"], cwd: dir).stdout == "a.sqlite: ok\n")
        #expect(try SnapshotReader(path: dir + "/a.sqlite").meta()["harvest_epoch"] == "1700000000")
        // An existing output is kept unless --force.
        let again = try TestSupport.runQCPU(["import", "libvirt-replies", Self.riscv, Self.x86, "-o", "a.sqlite"], environment: env, cwd: dir)
        #expect(again.status == 73 && again.stderr == "qcpu: a.sqlite exists; pass --force to replace it\n")
        #expect(try TestSupport.runQCPU(["import", "libvirt-replies", "--force", Self.riscv, Self.x86, "-o", "b.sqlite"],
                                        environment: env, cwd: dir).status == 0)
        #expect(try TestSupport.sha256(dir + "/a.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
    }

    @Test func badInputHasItsExitStatusAndWritesNothing() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try String(contentsOfFile: Self.x86, encoding: .utf8)
        try String(text.prefix(5000)).write(toFile: dir + "/cut.replies", atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["cut.replies"], 65, "qcpu: cut.replies: not a libvirt .replies transcript: object 10 (line 226): invalid JSON at byte 4364: unexpected end of input\n"),
            (["missing.replies"], 66, "qcpu: missing.replies: cannot read (no such file)\n"),
            ([Self.x86, Self.x86], 65, "qcpu: caps_7.2.22_x86_64.replies: caps_7.2.22_x86_64.replies is also of qemu-system-x86_64; one file per architecture\n"),
        ]
        for (files, status, stderr) in cases {
            let run = try TestSupport.runQCPU(["import", "libvirt-replies"] + files + ["-o", "out.sqlite"], cwd: dir)
            #expect(run.status == status, "\(files)")
            #expect(run.stderr.hasPrefix(stderr), "\(files): \(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["cut.replies"])
    }

    @Test func queriesAndDiffsSayWhatTheImportCannotAnswer() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try TestSupport.runQCPU(["import", "libvirt-replies", Self.x86, "-o", "imported.sqlite"], cwd: dir).status == 0)
        let show = try TestSupport.runQCPU(
            ["show", "Cascadelake-Server", "--machine", "pc-q35-7.2", "--snapshot", "imported.sqlite", "--offline"], cwd: dir)
        #expect(show.status == 69)
        #expect(show.stderr.contains("imported.sqlite was imported from libvirt probe data and covers only machine type 'none' (its CPU definitions), the machine-type list and the host/max expansions libvirt asked for"))
        let models = try TestSupport.runQCPU(["models", "--machine", "none", "--snapshot", "imported.sqlite", "--offline", "--format", "plain"], cwd: dir)
        #expect(models.status == 0 && models.stdout.contains("Cascadelake-Server"))
        let shipped = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let diff = try TestSupport.runQCPU(["diff", "imported.sqlite", shipped], cwd: dir)
        #expect(diff.status == 0)
        #expect(diff.stderr.hasPrefix("note: imported.sqlite was imported from libvirt probe data and covers only machine type 'none'"))
        #expect(diff.stderr.contains("were not compared"))
    }

    @Test func harvestLibvirtProbeRecordsTheRealQEMUAndImportsIt() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try TestSupport.runQCPU(["harvest", "--libvirt-probe", "--accel", "tcg", "--qemu", "/usr/bin/qemu-system-ppc64",
                                           "--record", "rec", "-o", "ppc.sqlite"], cwd: dir)
        #expect(run.status == 0)
        #expect(run.stderr == "recorded rec/caps_7.2.22_ppc64.replies; wrote their import ppc.sqlite\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/rec").sorted() == [
            "caps_7.2.22_ppc64.recording.json", "caps_7.2.22_ppc64.replies"])
        let s = try SnapshotReader(path: dir + "/ppc.sqlite").load()
        #expect(s.sessions.map(\.key.description) == ["qemu-system-ppc64/none+tcg"] && s.expansions.isEmpty)
        #expect(s.definitions.contains { $0.name == "power9_v2.0" })
        #expect(s.meta.partialCoverage?.expandedModels == [])
        let usage = try TestSupport.runQCPU(["harvest", "--libvirt-probe", "--qemu", TestSupport.qemuX86, "-o", "x.sqlite"], cwd: dir)
        #expect(usage.status == 64 && usage.stderr.contains("--libvirt-probe needs --record DIR"))
    }
}
