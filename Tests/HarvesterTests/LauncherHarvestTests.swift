import Foundation
import Harvester
import QCPUTestSupport
import SnapshotStore
import Testing

/// Harvests through a launcher (`--qemu-launcher`, as for a QEMU of another Debian suite run by its
/// own loader), and a QEMU that aborts before its greeting: Debian 12's QEMU 7.2, live.
@Suite struct LauncherHarvestTests {
    @Test func everyQEMURunsThroughTheLauncherAndTheBinaryIsStillTheRealOne() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let launcher = dir + "/launch"
        try "#!/bin/sh\necho \"$1\" >> \(dir)/launched\nexec \"$@\"\n".write(toFile: launcher, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: launcher)
        var options = HarvestOptions()
        options.binaries = [TestSupport.qemuX86]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["microvm"]
        options.modelGlobs = ["qemu64"]
        options.launcher = launcher
        options.sourceDateEpoch = 0
        let s = try await Harvester(options: options).run().snapshot
        let launched = try String(contentsOfFile: dir + "/launched", encoding: .utf8).split(separator: "\n")
        // The probe and the microvm session (the binary itself, first argument).
        #expect(launched == [Substring(TestSupport.qemuX86), Substring(TestSupport.qemuX86)])
        let binary = try #require(s.binaries.first)
        #expect(binary.name == "qemu-system-x86_64")
        #expect(binary.sha256 == (try TestSupport.sha256(TestSupport.qemuX86)))
        #expect(s.props("qemu64", machine: "microvm")?["family"] == 15)

        // Without the launcher: the same snapshot.
        options.launcher = nil
        #expect(try await Harvester(options: options).run().snapshot == s)
    }

    @Test func aQEMUThatAbortsBeforeItsGreetingRefusedTheMachineType() async throws {
        let dir = try TestSupport.temporaryDirectory()
        let marker = "qcpu-test-\(UUID().uuidString)"
        // abort() before QEMU has said anything, as QEMU 11.1 does for a board whose firmware is missing.
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "pc-q35-7.2,accel=tcg", action: "kill -ABRT $$")
        var options = HarvestOptions()
        options.binaries = [wrapper]
        options.accelerators = ["tcg"]
        options.machineGlobs = ["pc-q35-7.2", "pc-i440fx-7.2"]
        options.modelGlobs = ["qemu64"]
        options.sourceDateEpoch = 0
        let s = try await Harvester(options: options).run().snapshot
        let session = try #require(s.sessions.first { $0.key.machine == "pc-q35-7.2" })
        #expect(session.status == "refused")
        #expect(session.message == "signal 6")
        #expect(s.sessions.first { $0.key.machine == "pc-i440fx-7.2" }?.status == "ok")
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }
}
