import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

extension QEMUProcess {
    /// Runs `executable` with `arguments` to completion (e.g. `-cpu help`) and returns its stdout.
    ///
    /// The process gets `PR_SET_PDEATHSIG=SIGKILL` like a session and is killed when `timeout`
    /// passes; it is always reaped before this returns.
    /// - Parameter launcher: runs `executable` as in ``withSession(executable:arguments:launcher:timeout:wrap:body:)``.
    /// - Throws: ``QMPError`` (`launchFailed`, `timeout`, or `processExited` for a non-zero exit).
    public static func output(executable: String, arguments: [String], launcher: String? = nil,
                              timeout: Duration = .seconds(30)) async throws -> String {
        let (program, programArgs) = launched(executable, arguments, launcher: launcher)
        let (exe, args) = tiedToThisProcess(program, programArgs)
        let result: Collected
        do {
            result = try await withThrowingTaskGroup(of: Collected?.self) { group in
                group.addTask {
                    let r = try await Subprocess.run(.path(FilePath(exe)), arguments: Arguments(args),
                                                     output: .string(limit: 1 << 22), error: .string(limit: 1 << 16))
                    return Collected(status: r.terminationStatus, stdout: r.standardOutput ?? "", stderr: r.standardError ?? "")
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw QMPError(.timeout, "\(executable) \(arguments.joined(separator: " ")): no answer within \(timeout)")
                }
                return value
            }
        } catch let error as QMPError {
            throw error
        } catch {
            throw QMPError(.launchFailed, "cannot run \(executable): \(error)")
        }
        guard case .exited(0) = result.status else {
            var error = QMPError(.processExited, "\(executable) \(arguments.joined(separator: " ")) failed: \(result.status)")
            error.stderr = result.stderr
            throw error
        }
        return result.stdout
    }

    private struct Collected: Sendable {
        var status: TerminationStatus
        var stdout: String, stderr: String
    }
}
