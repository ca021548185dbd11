import Foundation
import LibvirtImport
import QCPUTestSupport
import SnapshotStore
import Testing

/// Which snapshot answers an imported record's models, checked against the shipped snapshots.
@Suite struct ReleaseSnapshotMatchTests {
    static let shipped = ["qemu-7.2.22.sqlite", "qemu-10.0.2.sqlite"].map { TestSupport.packageRoot + "/Snapshots/" + $0 }

    static func refusal(_ version: String, _ binary: String) -> String? {
        do { _ = try ReleaseSnapshotMatch.find(qemuVersion: version, binary: binary, file: "f.xml", in: shipped); return nil } catch {
            guard let e = error as? LibvirtImportError, e.code == .noReleaseSnapshot else { return "other error: \(error)" }
            return e.message
        }
    }

    @Test func aReleaseNoSnapshotHasIsNamedWithTheOnesThereAre() {
        #expect(Self.refusal("9.1.0", "qemu-system-x86_64") == "no snapshot of QEMU 9.1 (f.xml is QEMU 9.1.0) on the search path (it has QEMU 7.2.22, 10.0.2): an imported record takes its models' KVM definitions from the snapshot of its release; harvest QEMU 9.1 with KVM on a machine that has it (qcpu harvest --qemu PATH-TO-qemu-system-x86_64 -o qemu-9.1.x.sqlite) and put the file on the snapshot search path (qcpu path)")
        #expect(Self.refusal("7.20.0", "qemu-system-x86_64")?.hasPrefix("no snapshot of QEMU 7.20 ") == true)
    }

    @Test func aBinaryTheSnapshotLacksOrHasOnlyUnderTCGIsNamed() {
        #expect(Self.refusal("10.0.0", "qemu-system-s390x")?.hasPrefix(
            "the QEMU 10.0 snapshot (qemu-10.0.2.sqlite) has no qemu-system-s390x (f.xml is of that binary): harvest QEMU 10.0 with KVM") == true)
        // The 7.2 snapshot has qemu-system-riscv64 under TCG only.
        #expect(Self.refusal("7.2.0", "qemu-system-riscv64")?.hasPrefix(
            "the QEMU 7.2 snapshot (qemu-7.2.22.sqlite) has no KVM rows of qemu-system-riscv64 on machine type none") == true)
        #expect(Self.refusal("7.2.0", "qemu-system-loongarch64")?.hasPrefix("the QEMU 7.2 snapshot (qemu-7.2.22.sqlite) has no qemu-system-loongarch64") == true)
    }

    /// The newest snapshot of the series with the binary's KVM rows on none wins, with a note.
    @Test func theNewestOfTheSeriesWithKVMRowsAnswers() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let probe = dir + "/probe.sqlite"
        try SnapshotWriter().write(try LibvirtImporter(sourceDateEpoch: 0).snapshot(
            from: [TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies"]), to: probe)
        let match = try ReleaseSnapshotMatch.find(qemuVersion: "7.2.0", binary: "qemu-system-x86_64", file: "f.xml",
                                                  in: Self.shipped + [probe])
        #expect(match.path == probe && match.qemuVersion == "7.2.22" && match.isOtherVersion)
        #expect(match.note == "QEMU 7.2.0's models will be answered from probe.sqlite (QEMU 7.2.22, the newest of the 7.2 series here)")
        // A host record on the search path is not a release snapshot.
        let record = dir + "/record.sqlite"
        let host = HostRecordImporter(sourceDateEpoch: 0)
        try SnapshotWriter().write(try host.record(of: try host.read(TestSupport.fixture("libvirt-amd") + "/caps_7.2.22_x86_64.replies")), to: record)
        #expect(throws: LibvirtImportError.self) {
            try ReleaseSnapshotMatch.find(qemuVersion: "7.2.22", binary: "qemu-system-x86_64", file: "f.xml", in: [record])
        }
    }
}
