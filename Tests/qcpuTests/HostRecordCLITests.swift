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
    }
}
