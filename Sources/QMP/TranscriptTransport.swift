/// Replays a recorded ``Transcript``: each command sent must be the next recorded one
/// (same `execute` and `arguments`), and the recorded reply is returned with the caller's id.
/// With `skipsUnasked`, recorded exchanges before the matching one are passed over instead.
public final class TranscriptTransport: QMPTransport {
    private let transcript: Transcript
    private let name: String
    private var next = 0
    private var pending: [JSONValue] = []
    private let skipsUnasked: Bool

    /// Creates a transport replaying `transcript`; `name` appears in errors.
    public init(transcript: Transcript, name: String, skipsUnasked: Bool = false) {
        self.transcript = transcript
        self.name = name
        self.skipsUnasked = skipsUnasked
    }

    /// Replays carry no greeting; this returns a banner that says it is a replay.
    public func greeting(timeout: Duration) async throws(QMPError) -> JSONValue {
        ["QMP": ["replay": .string(name), "capabilities": []]]
    }

    public func send(_ command: JSONValue) async throws(QMPError) {
        guard next < transcript.exchanges.count else {
            throw QMPError(.transcriptMismatch,
                           "\(name): transcript ended, but \(command["execute"]?.stringValue ?? "?") was sent")
        }
        if skipsUnasked, let found = transcript.exchanges[next...].firstIndex(where: {
            $0.command["execute"] == command["execute"] && $0.command["arguments"] == command["arguments"]
        }) {
            next = found
        }
        let recorded = transcript.exchanges[next]
        next += 1
        guard recorded.command["execute"] == command["execute"],
              recorded.command["arguments"] == command["arguments"]
        else {
            throw QMPError(.transcriptMismatch,
                           "\(name): exchange \(next): sent \(Self.summary(command)), recorded \(Self.summary(recorded.command))")
        }
        guard case .object(var reply) = recorded.reply else {
            throw QMPError(.badTranscript, "\(name): exchange \(next): reply is not an object")
        }
        if reply["id"] != nil { reply["id"] = command["id"] }
        pending.append(.object(reply))
    }

    public func receive(timeout: Duration) async throws(QMPError) -> JSONValue {
        guard !pending.isEmpty else {
            throw QMPError(.transcriptMismatch, "\(name): waiting for a reply to no command")
        }
        return pending.removeFirst()
    }

    private static func summary(_ command: JSONValue) -> String {
        var text = command["execute"]?.stringValue ?? "?"
        if let args = command["arguments"] { text += " " + args.canonicalText }
        return String(text.prefix(160))
    }
}
