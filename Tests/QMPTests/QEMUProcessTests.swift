import Foundation
import QCPUTestSupport
import QMP
import Testing

/// Talks to the real `qemu-system-x86_64`.
@Suite(.serialized) struct QEMUProcessTests {
    func args(_ marker: String, machine: String = "none") -> [String] {
        QEMUProcess.standardArguments(machine: machine, accel: "tcg") + ["-name", marker]
    }

    @Test func answersQueriesAndLeavesNoProcess() async throws {
        let marker = "qcpu-test-\(UUID().uuidString)"
        let version = try await QEMUProcess.withSession(executable: TestSupport.qemuX86, arguments: args(marker)) { client in
            #expect(TestSupport.processes(matching: marker).count == 1)
            return try await client.execute("query-version")
        }
        #expect(version["qemu"]?["major"]?.intValue == 7)
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }

    @Test func errorRepliesAreTypedAndTheSessionGoesOn() async throws {
        let marker = "qcpu-test-\(UUID().uuidString)"
        try await QEMUProcess.withSession(executable: TestSupport.qemuX86, arguments: args(marker)) { client in
            do {
                try await client.execute("query-cpu-model-comparison", arguments: [
                    "modela": ["name": "qemu64"], "modelb": ["name": "base"]])
                Issue.record("x86 has no query-cpu-model-comparison")
            } catch let error as QMPError {
                #expect(error.code == .commandFailed)
                #expect(error.errorClass == "CommandNotFound")
                #expect(error.isUnsupported)
            }
            let result = try await client.attempt("query-cpu-model-expansion", arguments: [
                "type": "full", "model": ["name": "no-such-cpu"]])
            guard case .failure(let error) = result else { Issue.record("expected an error"); return }
            #expect(error.errorClass == "GenericError")
            #expect(!error.isUnsupported)
            #expect(try await client.execute("query-target")["arch"] == "x86_64")
        }
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }

    @Test func eventsAreSkippedAndKept() async throws {
        let marker = "qcpu-test-\(UUID().uuidString)"
        try await QEMUProcess.withSession(executable: TestSupport.qemuX86, arguments: args(marker, machine: "pc")) { client in
            try await client.execute("cont")
            try await client.execute("stop")
            let status = try await client.execute("query-status")
            #expect(status["status"] == "paused")
            let names = client.events.compactMap { $0["event"]?.stringValue }
            #expect(names.contains("STOP"))
        }
    }

    @Test func aMachineQEMURefusesEndsBeforeTheGreeting() async throws {
        let marker = "qcpu-test-\(UUID().uuidString)"
        await #expect {
            try await QEMUProcess.withSession(executable: TestSupport.qemuX86, arguments: args(marker, machine: "no-such-machine")) { _ in }
        } throws: { error in
            guard let error = error as? QMPError else { return false }
            return error.code == .processExited && error.beforeGreeting && error.exitStatus == "exited 1"
                && (error.stderr ?? "").contains("unsupported machine type")
        }
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }

    /// Runs a session of a wrapped QEMU that does `action` first; returns the error and whether
    /// any process of the session is left.
    func misbehaving(_ action: String, waitBeforeAsking: Bool = true,
                     wait: Duration = .milliseconds(600)) async throws -> (QMPError?, left: Bool) {
        let dir = try TestSupport.temporaryDirectory()
        let marker = "qcpu-test-\(UUID().uuidString)"
        let wrapper = try TestSupport.qemuWrapper(in: dir, marker: marker, trigger: "none", action: action)
        var caught: QMPError?
        do {
            try await QEMUProcess.withSession(executable: wrapper, arguments: QEMUProcess.standardArguments(machine: "none", accel: "tcg"),
                                              timeout: .seconds(1)) { client in
                if waitBeforeAsking { try await Task.sleep(for: wait) }
                _ = try await client.execute("query-version")
            }
        } catch let error as QMPError {
            caught = error
        }
        return (caught, !TestSupport.processes(matching: marker).isEmpty)
    }

    @Test func aHungQEMUTimesOutAndIsReaped() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (error, left) = try await misbehaving("(sleep 0.3; kill -STOP $$) &")
        #expect(error?.code == .timeout)
        #expect(clock.now - start < .seconds(10))
        #expect(!left)
    }

    @Test func aCrashedQEMUIsReportedWithItsSignal() async throws {
        // Late enough that QEMU has greeted even on a loaded CI machine: the crash is mid-session.
        let (error, left) = try await misbehaving("(sleep 1; kill -SEGV $$) &", wait: .milliseconds(1500))
        #expect(error?.code == .processExited)
        #expect(error?.exitStatus == "signal 11")
        #expect(error?.beforeGreeting == false)
        #expect(!left)
    }

    @Test func garbageOutputIsAProtocolViolation() async throws {
        let (error, left) = try await misbehaving("echo 'this is not QMP'", waitBeforeAsking: false)
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("this is not QMP") == true)
        #expect(!left)
    }

    @Test func cancellationKillsAndReaps() async throws {
        let marker = "qcpu-test-\(UUID().uuidString)"
        let args = args(marker)
        let task = Task {
            try await QEMUProcess.withSession(executable: TestSupport.qemuX86, arguments: args) { _ in
                try await Task.sleep(for: .seconds(60))
            }
        }
        for _ in 0..<100 where TestSupport.processes(matching: marker).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(TestSupport.processes(matching: marker).count == 1)
        task.cancel()
        _ = await task.result
        #expect(TestSupport.processes(matching: marker).isEmpty)
    }
}
