import Foundation
import QCPUTestSupport
@testable import QMP
import Testing

/// A QEMU started by qcpu dies with it: the death signal, and the parent check that covers
/// qcpu dying before the signal is armed (a killed `qcpu harvest` is tested in qcpuTests).
@Suite struct QEMULifetimeTests {
    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? out.fileHandleForReading.close()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theTiedCommandRunsQEMUForItsParent() throws {
        let (exe, args) = QEMUProcess.tiedToThisProcess(TestSupport.qemuX86, ["--version"])
        #expect(exe == "/usr/bin/setpriv")
        #expect(args.prefix(5) == ["--pdeathsig", "KILL", "--", "/bin/sh", "-c"])
        let direct = try run(exe, args)
        #expect(direct.status == 0)
        #expect(direct.stdout.hasPrefix("QEMU emulator version 7.2.22"))
    }

    @Test func anOrphanNeverStartsQEMU() throws {
        // Started by another process than this one (as after this one died before setpriv
        // armed the death signal): the check refuses to exec QEMU.
        let marker = "qcpu-test-\(UUID().uuidString)"
        let (exe, args) = QEMUProcess.tiedToThisProcess(
            TestSupport.qemuX86, QEMUProcess.standardArguments(machine: "none", accel: "tcg") + ["-name", marker])
        let orphan = try run("/bin/sh", ["-c", "\"$@\" </dev/null", "sh", exe] + args)
        #expect(orphan.status == 125)
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }
}
