import Synchronization

/// What concurrent probe sessions report back: QEMU starts and refusals (session name → message).
final class ProbeLog: Sendable {
    private let state = Mutex<(sessions: Int, refusals: [String: String])>((0, [:]))

    /// Counts one QEMU start.
    func started() { state.withLock { $0.sessions += 1 } }
    /// Records that QEMU refused or failed the session `name`.
    func refused(_ name: String, _ message: String) { state.withLock { $0.refusals[name] = message } }
    /// QEMU starts so far.
    var sessions: Int { state.withLock { $0.sessions } }
    /// Refusals so far.
    var refusals: [String: String] { state.withLock { $0.refusals } }
}
