import Foundation
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A live QEMU started paused with `-qmp stdio`, driven through a ``QMPClient``.
///
/// ``withSession(executable:arguments:timeout:body:)`` is the only way in: the QEMU process
/// exists only for the duration of the body and is killed and reaped on every path (success,
/// error reply, timeout, garbage output, crash, cancellation). When `setpriv` is available the
/// process also gets `PR_SET_PDEATHSIG=SIGKILL`, so it cannot outlive a killed harvester
/// (``tiedToThisProcess(_:_:)``).
public enum QEMUProcess {
    /// How the session ended when QEMU did not behave.
    public struct Termination: Sendable, CustomStringConvertible {
        /// `exited N` or `signal N`.
        public var status: String
        /// The last lines QEMU printed on stderr.
        public var stderr: String
        /// One line.
        public var description: String {
            stderr.isEmpty ? status : "\(status): \(stderr)"
        }
    }

    /// Arguments that start QEMU paused, without devices or a display, speaking QMP on stdio.
    public static func standardArguments(machine: String, accel: String) -> [String] {
        ["-machine", "\(machine),accel=\(accel)", "-S", "-nodefaults", "-no-user-config",
         "-display", "none", "-serial", "none", "-monitor", "none", "-qmp", "stdio"]
    }

    /// Starts `executable` with `arguments`, negotiates QMP, runs `body` with the client, sends
    /// `quit`, and waits for the process to end.
    ///
    /// - Parameter timeout: limit for every command and for the greeting.
    /// - Parameter launcher: a program that runs `executable` (given as its first argument, before
    ///   `arguments`) and ends up as the QEMU process (it `exec`s it), e.g. to use another tree's
    ///   loader and libraries; nil runs `executable` itself.
    /// - Parameter wrap: puts another transport (a recorder) between the client and QEMU.
    /// - Throws: ``QMPError``; a QEMU that exits early gives ``QMPError/Code/processExited``
    ///   with its exit status and stderr in the message.
    public static func withSession<R: Sendable>(
        executable: String,
        arguments: [String],
        launcher: String? = nil,
        timeout: Duration = .seconds(30),
        wrap: ((any QMPTransport) -> any QMPTransport)? = nil,
        body: (QMPClient) async throws -> R
    ) async throws -> R {
        ignoreSIGPIPE
        let errFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("qcpu-qemu-stderr-\(UUID().uuidString)").path
        let fd = open(errFile, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw QMPError(.launchFailed, "cannot create \(errFile)") }
        defer { unlink(errFile) }
        let (program, programArgs) = launched(executable, arguments, launcher: launcher)
        let (exe, args) = tiedToThisProcess(program, programArgs)
        let watchdog = Watchdog()
        let outcome: ExecutionResult<Result<R, QMPError>, SequenceOutput, FileDescriptorOutput>
        do {
            outcome = try await Subprocess.run(
                .path(FilePath(exe)), arguments: Arguments(args),
                // No audio backend probing: its warnings depend on which optional packages are installed.
                environment: .inherit.updating(["QEMU_AUDIO_DRV": "none"]),
                input: .inputWriter, output: .sequence,
                error: .fileDescriptor(FileDescriptor(rawValue: fd), closeAfterSpawningProcess: true)
            ) { execution -> Result<R, QMPError> in
                try await withThrowingTaskGroup(of: Void.self) { group -> Result<R, QMPError> in
                    group.addTask { await watchdog.run { try? execution.send(signal: .kill) } }
                    defer { group.cancelAll() }
                    let transport = LiveTransport(
                        writer: execution.standardInputWriter,
                        iterator: execution.standardOutput.makeAsyncIterator(), watchdog: watchdog)
                    let client = QMPClient(transport: wrap?(transport) ?? transport, timeout: timeout)
                    do {
                        do throws(QMPError) { try await client.start() } catch {
                            var error = error
                            error.beforeGreeting = true
                            throw error
                        }
                        let value = try await body(client)
                        try await client.execute("quit")
                        try await transport.drain(timeout: timeout)
                        return .success(value)
                    } catch let error as QMPError {
                        try? execution.send(signal: .kill)
                        try? await transport.drain(timeout: .seconds(5))
                        return .failure(error)
                    } catch {
                        try? execution.send(signal: .kill)
                        throw error
                    }
                }
            }
        } catch let error as QMPError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw QMPError(.launchFailed, "cannot run \(executable): \(error)")
        }
        switch outcome.closureResult {
        case .success(let value): return value
        case .failure(var error):
            if error.code == .processExited || error.code == .protocolViolation || error.code == .timeout {
                let termination = Termination(status: describe(outcome.terminationStatus),
                                              stderr: readTail(errFile).replacingOccurrences(
                                                of: executable, with: (executable as NSString).lastPathComponent))
                error.exitStatus = termination.status
                error.stderr = termination.stderr
                if error.code == .processExited {
                    error.message = "QEMU ended before answering (\(termination))"
                } else if !termination.stderr.isEmpty, error.code == .protocolViolation {
                    error.message += " (stderr: \(termination.stderr))"
                }
            }
            throw error
        }
    }

    /// The program and arguments that run `executable`: through `launcher` when there is one.
    static func launched(_ executable: String, _ arguments: [String], launcher: String?) -> (String, [String]) {
        guard let launcher else { return (executable, arguments) }
        return (launcher, [executable] + arguments)
    }

    private static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): return "exited \(code)"
        case .signaled(let sig):
            return sig == SIGKILL ? "killed" : "signal \(sig)"
        }
    }

    private static func readTail(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let text = String(decoding: data.suffix(2048), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).suffix(8).joined(separator: " | ")
    }

    /// The command that runs `executable` so that it dies with this process: `setpriv
    /// --pdeathsig KILL`, then a `/bin/sh` that goes on to `exec` it only if this process is
    /// still its parent (this process may have died before the death signal was armed; the
    /// orphan then exits 125 instead of starting QEMU). Unchanged when `setpriv` is missing.
    static func tiedToThisProcess(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        guard let setpriv = setprivPath else { return (executable, arguments) }
        guard hasShell else {
            return (setpriv, ["--pdeathsig", "KILL", "--", executable] + arguments)
        }
        let check = "[ \"$PPID\" = \(getpid()) ] || exit 125; exec \"$0\" \"$@\""
        return (setpriv, ["--pdeathsig", "KILL", "--", "/bin/sh", "-c", check, executable] + arguments)
    }

    /// Whether `/bin/sh` runs the parent check (looked up once, not per QEMU start).
    static let hasShell = FileManager.default.isExecutableFile(atPath: "/bin/sh")

    static let setprivPath: String? = {
        ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()
}

/// Kills the QEMU when a command's deadline passes.
final class Watchdog: Sendable {
    private struct State { var deadline: ContinuousClock.Instant?; var fired = false }
    private let state = Mutex(State())

    func arm(_ timeout: Duration) { state.withLock { $0.deadline = .now + timeout } }
    func disarm() { state.withLock { $0.deadline = nil } }
    var fired: Bool { state.withLock { $0.fired } }

    func run(kill: () -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            let expired = state.withLock { s -> Bool in
                guard let d = s.deadline, d < .now, !s.fired else { return false }
                s.fired = true
                return true
            }
            if expired { kill() }
        }
    }
}
