import ArgumentParser
import Foundation
import Harvester
import QMP
import SnapshotStore

/// `qcpu harvest --libvirt-probe`: record libvirt's probe from the real QEMU, then import it.
extension HarvestCommand {
    func validateLibvirtProbe() throws {
        guard record != nil else { throw ValidationError("--libvirt-probe needs --record DIR for the .replies files") }
        guard !qemu.isEmpty else { throw ValidationError("--libvirt-probe needs --qemu PATH") }
        if replay != nil || shard != nil || !machine.isEmpty || !model.isEmpty {
            throw ValidationError("--libvirt-probe takes no --replay, --shard, --machine or --model: it asks what libvirt asks")
        }
        for a in accel where !["kvm", "tcg"].contains(a) { throw ValidationError("unknown accelerator '\(a)' (known: kvm, tcg)") }
    }

    func runLibvirtProbe() async throws {
        let epoch = try sourceDateEpoch()
        var paths: [String] = []
        for binary in qemu {
            var recorder = LibvirtProbeRecorder(
                qemu: binary, useKVM: (accel.isEmpty || accel.contains("kvm")) && HostFingerprint.kvmUsable)
            recorder.extraArguments = qemuArgs
            recorder.timeout = .milliseconds(Int64(timeout * 1000))
            do {
                paths.append(try await recorder.record(into: record!))
            } catch let error as QMPError {
                let status = [.launchFailed, .processExited].contains(error.code) ? ExitStatus.unavailable : ExitStatus.failure
                throw fail("\(binary): \(error)", status: status)
            }
        }
        let snapshot = try LibvirtRepliesCommand.imported(paths, epoch: epoch)
        var path = output
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            path = (path as NSString).appendingPathComponent("qemu-\(snapshot.meta.qemuVersion).sqlite")
        }
        try SnapshotWriter().write(snapshot, to: path)
        if !quiet { note("recorded \(paths.joined(separator: ", ")); wrote their import \(path)") }
    }
}
