/// Carries QMP messages between a client and one QEMU (or a recording of one).
///
/// Implementations: ``QEMUProcess`` (a live QEMU over `-qmp stdio`), ``TranscriptTransport``
/// (replays a `.replies` transcript), and ``RecordingTransport`` (records what another
/// transport carries).
public protocol QMPTransport: AnyObject {
    /// Reads QEMU's greeting, the `{"QMP": ...}` banner.
    func greeting(timeout: Duration) async throws(QMPError) -> JSONValue
    /// Sends one command object.
    func send(_ command: JSONValue) async throws(QMPError)
    /// Receives the next message (a reply or an event), waiting at most `timeout`.
    func receive(timeout: Duration) async throws(QMPError) -> JSONValue
    /// Receives the next message as the raw line QEMU printed, unparsed; nil when the
    /// transport has no raw lines (then ``receive(timeout:)`` is used).
    func receiveRaw(timeout: Duration) async throws(QMPError) -> [UInt8]?
}

extension QMPTransport {
    /// Transports without raw lines answer nil.
    public func receiveRaw(timeout: Duration) async throws(QMPError) -> [UInt8]? { nil }
}
