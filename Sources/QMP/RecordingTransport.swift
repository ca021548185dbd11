/// Records what another transport carries, as a ``Transcript`` in libvirt's conventions
/// (greeting and events left out, ids renumbered `libvirt-N` from each `qmp_capabilities`).
public final class RecordingTransport: QMPTransport {
    private let inner: any QMPTransport
    private var waiting: [JSONValue] = []
    private var sequence = 0
    /// What has been recorded so far.
    public private(set) var transcript = Transcript()

    /// Creates a recorder around `inner`.
    public init(recording inner: any QMPTransport) { self.inner = inner }

    public func greeting(timeout: Duration) async throws(QMPError) -> JSONValue {
        try await inner.greeting(timeout: timeout)
    }

    public func send(_ command: JSONValue) async throws(QMPError) {
        try await inner.send(command)
        if command["execute"]?.stringValue == "qmp_capabilities" { sequence = 0 }
        sequence += 1
        waiting.append(Self.renumbered(command, sequence))
    }

    public func receive(timeout: Duration) async throws(QMPError) -> JSONValue {
        let message = try await inner.receive(timeout: timeout)
        if message["event"] == nil, !waiting.isEmpty {
            let command = waiting.removeFirst()
            let n = Int((command["id"]?.stringValue ?? "").split(separator: "-").last ?? "") ?? sequence
            transcript.exchanges.append(.init(command: command, reply: Self.renumbered(message, n)))
        }
        return message
    }

    private static func renumbered(_ message: JSONValue, _ n: Int) -> JSONValue {
        guard case .object(var members) = message, members["id"] != nil else { return message }
        members["id"] = .string("libvirt-\(n)")
        return .object(members)
    }
}
