import Foundation
import QCPUTestSupport
import QMP
import Testing

/// `qcpu diff QEMU-A QEMU-B`: two real QEMU binaries, read from snapshots or probed live through
/// the query fallback into a cache that lives in a temporary directory.
@Suite struct BinaryDiffTests {
    let qemu72 = TestSupport.qemuX86
    let qemu10 = TestSupport.packageRoot + "/vendor/qemu-backports/usr/bin/qemu-system-x86_64"
    let firmware10 = ["--qemu-arg", "-L", "--qemu-arg", TestSupport.packageRoot + "/vendor/qemu-backports/usr/share/qemu"]
    let shipped72 = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
    let shipped10 = TestSupport.packageRoot + "/Snapshots/qemu-10.0.2.sqlite"
    let twoMachines = ["--machine", "pc-q35-7.2", "--machine", "pc-i440fx-7.2"]

    /// A cache and an empty snapshot directory of the test's own (never the real ~/.cache).
    func environment() throws -> (dir: String, env: [String: String]) {
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/snapshots", withIntermediateDirectories: true)
        return (dir, ["XDG_CACHE_HOME": dir + "/cache", "XDG_DATA_HOME": dir + "/data", "QCPU_SNAPSHOT_PATH": dir + "/snapshots"])
    }

    @Test func twoBinariesProbedLiveFindWhatTheirSnapshotsFindOnTheProbedMachineTypes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: qemu10), "run scripts/fetch-qemu-backports.sh (make test does)")
        let (dir, env) = try environment()
        let live = try TestSupport.runQCPU(["diff", "--abi", "--format", "json", "--live", qemu72, qemu10] + twoMachines + firmware10,
                                           environment: env)
        #expect(live.status == 0)
        #expect(live.stderr.contains("probing \(qemu72) live: machine types pc-q35-7.2 pc-i440fx-7.2, every model, under TCG"))
        #expect(live.stderr.contains("probed \(qemu10): 2 sessions"))
        // The same two binaries answered from their shipped snapshots (TCG rows, as a binary's side is).
        var shippedEnv = env
        shippedEnv["QCPU_SNAPSHOT_PATH"] = TestSupport.packageRoot + "/Snapshots"
        let snapshots = try TestSupport.runQCPU(["diff", "--abi", "--format", "json", "--offline", qemu72, qemu10] + twoMachines + firmware10,
                                                environment: shippedEnv)
        #expect(snapshots.status == 0)
        let fromLive = try JSONParser.parse(live.stdout), fromSnapshots = try JSONParser.parse(snapshots.stdout)
        #expect(fromLive["changes"] == fromSnapshots["changes"])
        #expect(fromLive["abi"] == fromSnapshots["abi"])
        #expect(fromLive["machine-patterns"] == ["pc-q35-7.2", "pc-i440fx-7.2"])
        // Where each side came from: a live probe, cached in the test's cache.
        #expect(fromLive["old"]?["source"] == ["kind": "live", "qemu": .string(qemu72), "file": .string(dir + "/cache/qcpu/qemu-7.2.22.sqlite")])
        #expect(fromLive["new"]?["source"]?["kind"] == "live")
        #expect(fromLive["new"]?["qemu-version"] == "10.0.2")
        // Real findings: models QEMU 10.0 added, machine types it added and dropped, no ABI break.
        let changes = fromLive["changes"]?.arrayValue ?? []
        func has(_ kind: String, _ subject: String) -> Bool {
            changes.contains { $0["kind"]?.stringValue == kind && $0["subject"]?.stringValue == subject }
        }
        #expect(has("model-added", "SapphireRapids-v3") && has("model-added", "EPYC-v4") && has("model-added", "GraniteRapids"))
        #expect(has("machine-added", "pc-q35-10.0") && has("machine-removed", "pc-i440fx-1.4"))
        #expect(!changes.contains { $0["kind"]?.stringValue == "model-removed" })
        #expect(fromLive["abi"]?["compared-expansions"]?.intValue == 2 * 132 * 2)
        #expect(fromLive["abi"]?["breaks"]?.intValue == 0)

        // Asked again, the cache answers: no QEMU, and the table says so.
        let again = try TestSupport.runQCPU(["diff", "--abi", qemu72, qemu10] + twoMachines, environment: env)
        #expect(again.status == 0)
        #expect(!again.stderr.contains("probing"))
        #expect(again.stdout.hasPrefix("""
            QEMU 7.2.22 -> 10.0.2
            old: \(qemu72) (QEMU 7.2.22): cache \(dir)/cache/qcpu/qemu-7.2.22.sqlite
            new: \(qemu10) (QEMU 10.0.2): cache \(dir)/cache/qcpu/qemu-10.0.2.sqlite
            machine types matching: pc-q35-7.2 pc-i440fx-7.2

            """))
        #expect(again.stdout.contains("ABI: 528 expansions compared, 0 breaks"))
    }

    @Test func aBinaryAgainstItselfIsEmpty() throws {
        var (dir, env) = try environment()
        // From the shipped snapshot of its version: every binary of it, nothing started.
        env["QCPU_SNAPSHOT_PATH"] = TestSupport.packageRoot + "/Snapshots"
        let offline = try TestSupport.runQCPU(["diff", "--abi", "--offline", qemu72, qemu72], environment: env)
        #expect(offline.status == 0)
        #expect(offline.stderr.isEmpty)
        #expect(offline.stdout == """
            QEMU 7.2.22 -> 7.2.22
            old: \(qemu72) (QEMU 7.2.22): snapshot \(shipped72)
            new: \(qemu72) (QEMU 7.2.22): snapshot \(shipped72)
            no catalogue changes
            ABI: 23646 expansions compared, 0 breaks

            """)
        // Two live probes of one machine type agree with each other.
        let live = try TestSupport.runQCPU(["diff", "--abi", "--live", "--machine", "pc-q35-7.2", qemu72, qemu72], environment: env)
        #expect(live.status == 0)
        #expect(live.stdout.contains("no catalogue changes\nABI: 264 expansions compared, 0 breaks\n"))
        #expect(live.stdout.contains("old: \(qemu72) (QEMU 7.2.22): live \(qemu72) (cached in \(dir)/cache/qcpu/qemu-7.2.22.sqlite)"))
    }

    @Test func aProgramThatIsNotQEMUOrAMissingFileIsAClearError() throws {
        let (dir, env) = try environment()
        let notQEMU = try TestSupport.runQCPU(["diff", "/bin/true", shipped72], environment: env)
        #expect(notQEMU.status == 69)
        #expect(notQEMU.stderr == "qcpu: /bin/true is a program but not a QEMU binary ('/bin/true --version' names no QEMU version); give a snapshot file or a qemu-system-* binary\n")
        let missing = try TestSupport.runQCPU(["diff", dir + "/qemu-system-x86_64", shipped72], environment: env)
        #expect(missing.status == 66)
        #expect(missing.stderr == "qcpu: \(dir)/qemu-system-x86_64: no such file\n")
        // A QEMU of a version no snapshot has, with probing forbidden.
        let fake = dir + "/qemu-system-x86_64"
        try "#!/bin/sh\necho 'QEMU emulator version 9.9.9'\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let offline = try TestSupport.runQCPU(["diff", "--offline", fake, shipped72], environment: env)
        #expect(offline.status == 69)
        #expect(offline.stderr.contains("no snapshot has the catalogue of qemu-system-x86_64 (every machine type, every model, under TCG) for QEMU 9.9.9, and --offline forbids probing"))
        // A machine-type pattern that matches nothing.
        var withSnapshots = env
        withSnapshots["QCPU_SNAPSHOT_PATH"] = TestSupport.packageRoot + "/Snapshots"
        let unknown = try TestSupport.runQCPU(["diff", "--machine", "pc-q35-99*", qemu72, shipped10], environment: withSnapshots)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix("qcpu: unknown machine type 'pc-q35-99*' for qemu-system-x86_64 (QEMU 7.2.22)"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache/qcpu"))
    }
}
