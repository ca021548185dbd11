import Foundation
import QCPUTestSupport
import Testing

/// A light host record asked where its release snapshot is not: a clear refusal, not a guess.
@Suite struct HostRecordCLITests {
    @Test func aLightRecordWithoutItsReleaseSnapshotIsRefusedWithWhatIsMissing() async throws {
        let record = try await TestSupport.replayedHostRecord(TestSupport.fixture("host-amd-pvm"), named: "amd-pvm")
        // A copy of qcpu outside the checkout, with an empty home: no snapshot anywhere on its path.
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestSupport.qcpuBinary, toPath: dir + "/bin/qcpu")
        let home = dir + "/home"
        let (status, _, stderr) = try TestSupport.runQCPU(
            ["models", "--host", record, "--machine", "pc-q35-7.2"],
            environment: ["HOME": home, "XDG_CACHE_HOME": home + "/cache", "XDG_DATA_HOME": home + "/data", "QCPU_SNAPSHOT_PATH": ""],
            cwd: "/", executable: dir + "/bin/qcpu")
        #expect(status == 69)
        #expect(stderr.split(separator: "\n").count == 1)
        #expect(stderr.contains("no snapshot of QEMU 7.2.22 (or another 7.2.x) with KVM rows for qemu-system-x86_64"))
        #expect(stderr.contains("--kvm-models"))

        // Named with --snapshot, the release snapshot answers every host question there, and
        // each answer equals the one from the checkout's search path.
        let release = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"
        let isolated = ["HOME": home, "XDG_CACHE_HOME": home + "/cache", "XDG_DATA_HOME": home + "/data", "QCPU_SNAPSHOT_PATH": ""]
        for question in [["models", "--host", record, "--machine", "pc-q35-7.2", "--offline"],
                         ["check", "EPYC", "--host", record, "--machine", "pc-q35-7.2"],
                         ["baseline", "--host", record, "--machine", "pc-q35-7.2"],
                         ["cmdline", "--features", "avx2", "--host", record, "--machine", "pc-q35-7.2", "--offline"],
                         ["export", "libvirt-domcaps", "--host", record, "--machine", "pc-q35-7.2"],
                         ["host", "show", "--host", record, "--machine", "pc-q35-7.2"]] {
            let named = try TestSupport.runQCPU(question + ["--snapshot", release], environment: isolated,
                                                cwd: "/", executable: dir + "/bin/qcpu")
            let found = try TestSupport.runQCPU(question)
            #expect(named.status == found.status, "\(question): \(named.stderr)")
            #expect(named.status != 69, "\(question): \(named.stderr)")
            #expect(named.stdout == found.stdout, "\(question)")
            #expect(!named.stdout.isEmpty, "\(question)")
        }
    }
}
