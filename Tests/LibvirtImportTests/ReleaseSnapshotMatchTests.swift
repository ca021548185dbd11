import CPUQuery
import Foundation
import HostCPU
import LibvirtImport
import QCPUTestSupport
import SnapshotStore
import Testing

/// Which snapshot answers an imported record's models, checked against the shipped snapshots.
@Suite struct ReleaseSnapshotMatchTests {
    static let shipped = ["qemu-7.2.22.sqlite", "qemu-10.0.2.sqlite"].map { TestSupport.packageRoot + "/Snapshots/" + $0 }

    static func releases(_ files: [String]) -> ReleaseSnapshots { ReleaseSnapshots(locator: SnapshotLocator(explicitFiles: files)) }

    static func refusal(_ version: String, _ binary: String, in files: [String] = shipped) -> String? {
        do { _ = try ReleaseSnapshotMatch.find(qemuVersion: version, binary: binary, file: "f.xml", in: releases(files)); return nil } catch {
            guard let e = error as? LibvirtImportError, e.code == .noReleaseSnapshot else { return "other error: \(error)" }
            return e.message
        }
    }

    @Test func aReleaseOrBinaryNoSnapshotHasIsNamedWithHowToGetIt() {
        #expect(Self.refusal("9.1.0", "qemu-system-x86_64") == "QEMU 9.1.0, qemu-system-x86_64: an imported record takes its models from a release snapshot, and there is no snapshot of QEMU 9.1.0 (or another 9.1.x) with KVM rows for qemu-system-x86_64 on the search path (qcpu path): install the snapshot of that release, or harvest one where that QEMU runs with KVM: qcpu harvest --qemu PATH --accel tcg --accel kvm --kvm-models -o qemu-9.1.0.sqlite")
        #expect(Self.refusal("7.20.0", "qemu-system-x86_64")?.contains("no snapshot of QEMU 7.20.0 (or another 7.20.x)") == true)
        // The 10.0 snapshot has only qemu-system-x86_64; the 7.2 one has riscv64 under TCG only.
        #expect(Self.refusal("10.0.0", "qemu-system-s390x")?.contains("with KVM rows for qemu-system-s390x on the search path") == true)
        #expect(Self.refusal("7.2.0", "qemu-system-riscv64")?.contains("with KVM rows for qemu-system-riscv64 on the search path") == true)
    }

    /// The same version, else the newest of the series; a note says which.
    @Test func theSnapshotOfTheSeriesAnswers() throws {
        let old = try ReleaseSnapshotMatch.find(qemuVersion: "7.2.0", binary: "qemu-system-x86_64", file: "f.xml", in: Self.releases(Self.shipped))
        #expect(old.path == Self.shipped[0] && old.qemuVersion == "7.2.22" && old.isOtherVersion)
        #expect(old.note == "QEMU 7.2.0's models will be answered from qemu-7.2.22.sqlite (QEMU 7.2.22, the newest of the 7.2 series here)")
        let ten = try ReleaseSnapshotMatch.find(qemuVersion: "10.0.0", binary: "qemu-system-x86_64", file: "f.xml", in: Self.releases(Self.shipped))
        #expect(ten.path == Self.shipped[1] && ten.qemuVersion == "10.0.2")
        let same = try ReleaseSnapshotMatch.find(qemuVersion: "7.2.22", binary: "qemu-system-x86_64", file: "f.xml", in: Self.releases(Self.shipped))
        #expect(!same.isOtherVersion && same.note == "QEMU 7.2.22's models will be answered from qemu-7.2.22.sqlite")
    }

    /// KVM rows of other machine types do not answer a record of machine type none; a host record
    /// on the search path is no release snapshot.
    @Test func kvmRowsOnNoneAreNeededAndHostRecordsAreNoReleases() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let harvest = dir + "/q35.sqlite"
        try SnapshotWriter().write(try await TestSupport.replay("x86_64"), to: harvest)
        #expect(Self.refusal("7.2.22", "qemu-system-x86_64", in: [harvest])?.hasPrefix(
            "the snapshot of QEMU 7.2.22 (\(harvest)) has no KVM rows of qemu-system-x86_64 on machine type none, the imported record's machine type") == true)
        let record = dir + "/record.sqlite"
        let host = HostRecordImporter(sourceDateEpoch: 0)
        try SnapshotWriter().write(try host.record(of: try host.read(TestSupport.amdRecordings + "/libvirt-probe-7.2.22/caps_7.2.22_x86_64.replies")), to: record)
        #expect(Self.refusal("7.2.22", "qemu-system-x86_64", in: [record])?.contains("no snapshot of QEMU 7.2.22") == true)
    }
}
