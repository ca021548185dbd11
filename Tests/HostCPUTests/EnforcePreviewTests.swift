import Foundation
import Harvester
import HostCPU
import QCPUTestSupport
import SnapshotStore
import Testing

/// The offline enforce preview against QEMU's own `unavailable-features`.
@Suite struct EnforcePreviewTests {
    /// Every (machine type, model) of `path`: offline blockers vs the list QEMU reported.
    static func compare(_ path: String) throws -> (rows: Int, mismatches: [String]) {
        let record = try HostRecordFile(path: path)
        let reader = try SnapshotReader(path: path)
        var rows = 0
        var mismatches: [String] = []
        for m in try reader.machines(binary: record.binary) {
            guard let s = try reader.session(binary: record.binary, machine: m.name, accel: "kvm"), s.status == "ok" else { continue }
            let profile = try record.profile(machine: m.name)
            for d in try reader.definitions(binary: record.binary, machine: m.name, accel: "kvm") {
                let qemu = (d.unavailableFeatures ?? []).compactMap { record.space.resolve($0) }.sorted()
                let offline = profile.blockers(of: d.name)
                rows += 1
                if offline != qemu { mismatches.append("\(m.name) \(d.name): qcpu \(offline ?? []) QEMU \(qemu)") }
            }
        }
        return (rows, mismatches)
    }

    @Test func recordedCaptureMatchesQEMUExactly() async throws {
        let path = try await TestSupport.recordedHostRecord()
        let (rows, mismatches) = try Self.compare(path)
        #expect(rows == 2 * 132)
        #expect(mismatches == [])
        let record = try HostRecordFile(path: path)
        // The features QEMU's host model leaves off although KVM supports them.
        #expect(record.extraFeatures == ["kvm-hint-dedicated", "topoext"])
        let q35 = try record.profile(machine: "q35")
        #expect(q35.machine == "pc-q35-7.2")
        #expect(q35.blockers(of: "qemu64") == ["pni"])
        #expect(q35.blockers(of: "EPYC")?.contains("topoext") == false)
        #expect(q35.nonMigratable == ["invtsc"])
        // microvm's split irqchip lets KVM offer kvm-msi-ext-dest-id, which its models then carry.
        let microvm = try record.profile(machine: "microvm")
        #expect(microvm.supported.contains("kvm-msi-ext-dest-id"))
        #expect(!q35.supported.contains("kvm-msi-ext-dest-id"))
    }

    /// On this machine with KVM: every model on every machine type of the installed QEMU.
    @Test func liveCaptureOfEveryMachineTypeMatchesQEMUExactly() async throws {
        guard TestSupport.kvmUsable else {
            await #expect(throws: HarvestError.self) { _ = try await TestSupport.liveHostRecord() }
            return
        }
        let path = try await TestSupport.liveHostRecord()
        let (rows, mismatches) = try Self.compare(path)
        #expect(rows > 7_000)
        #expect(mismatches == [])
    }

    @Test func captureOfABinaryThatCannotUseKVMIsRefusedWithAReason() async throws {
        // qemu-system-aarch64 cannot use this x86 host's KVM: a host record has nothing to describe.
        var options = HarvestOptions()
        options.binaries = ["/usr/bin/qemu-system-aarch64"]
        options.machineGlobs = ["virt-7.2"]
        do {
            _ = try await HostCapture(options: options).run()
            Issue.record("a binary without KVM gave a host record")
        } catch let error as HarvestError {
            #expect(error.code == .noKVM)
            #expect(error.message.contains("KVM"))
        }
        let status = try TestSupport.runQCPU(["host", "capture", "--qemu", "/usr/bin/qemu-system-aarch64", "--machine", "virt-7.2",
                                              "-o", try TestSupport.temporaryDirectory() + "/h.sqlite"])
        #expect(status.status == 69)
        #expect(status.stderr.contains("KVM"))
    }
}
