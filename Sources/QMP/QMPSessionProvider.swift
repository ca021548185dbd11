import Foundation

/// Opens QMP sessions with one QEMU configuration each: live, or replayed from transcripts.
///
/// The harvester asks for sessions by a stable name (`qemu-system-x86_64/pc-q35-7.2+tcg`);
/// a live provider starts QEMU (and may record the conversation under that name), a replay
/// provider reads `<directory>/<name>.replies`.
public protocol QMPSessionProvider: Sendable {
    /// Runs `body` with a started client for `executable` with `arguments`.
    func withSession<R: Sendable>(
        name: String, executable: String, arguments: [String],
        body: (QMPClient) async throws -> R
    ) async throws -> R

    /// What `executable` with `arguments` prints on stdout when it is not a QMP session
    /// (`-cpu help`): run live (and recorded as `<name>.txt`), or read back from the recording.
    func commandOutput(name: String, executable: String, arguments: [String]) async throws -> String
}

/// Starts a real QEMU per session; with `recordDirectory`, writes each conversation there.
public struct LiveSessionProvider: QMPSessionProvider {
    /// The per-command timeout.
    public var timeout: Duration
    /// Where transcripts are written, or nil.
    public var recordDirectory: String?
    /// A program that runs each QEMU (the binary's path is its first argument), or nil.
    public var launcher: String?

    /// Creates a provider.
    public init(timeout: Duration = .seconds(30), recordDirectory: String? = nil, launcher: String? = nil) {
        self.timeout = timeout
        self.recordDirectory = recordDirectory
        self.launcher = launcher
    }

    public func withSession<R: Sendable>(
        name: String, executable: String, arguments: [String],
        body: (QMPClient) async throws -> R
    ) async throws -> R {
        guard let recordDirectory else {
            return try await QEMUProcess.withSession(
                executable: executable, arguments: arguments, launcher: launcher, timeout: timeout, body: body)
        }
        var recorder: RecordingTransport?
        let value = try await QEMUProcess.withSession(
            executable: executable, arguments: arguments, launcher: launcher, timeout: timeout,
            wrap: { inner in
                let r = RecordingTransport(recording: inner)
                recorder = r
                return r
            }, body: body)
        let recorded = recorder?.transcript
        let path = (recordDirectory as NSString).appendingPathComponent(name + ".replies")
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try recorded?.write(to: path)
        return value
    }
}

extension LiveSessionProvider {
    public func commandOutput(name: String, executable: String, arguments: [String]) async throws -> String {
        let text = try await QEMUProcess.output(executable: executable, arguments: arguments, launcher: launcher,
                                                  timeout: timeout)
        if let recordDirectory {
            let path = (recordDirectory as NSString).appendingPathComponent(name + ".txt")
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        return text
    }
}

/// Answers sessions from `<directory>/<name>.replies` transcripts.
public struct ReplaySessionProvider: QMPSessionProvider {
    /// The directory holding the transcripts.
    public var directory: String
    /// Whether recorded exchanges that are not asked for may be skipped (commands must still come
    /// in the recorded order).
    public var skipsUnasked: Bool

    /// Creates a provider.
    public init(directory: String, skipsUnasked: Bool = false) {
        self.directory = directory
        self.skipsUnasked = skipsUnasked
    }

    public func withSession<R: Sendable>(
        name: String, executable: String, arguments: [String],
        body: (QMPClient) async throws -> R
    ) async throws -> R {
        let path = (directory as NSString).appendingPathComponent(name + ".replies")
        let transcript = try Transcript(contentsOf: path)
        let client = QMPClient(transport: TranscriptTransport(transcript: transcript, name: path, skipsUnasked: skipsUnasked))
        try await client.start()
        let value = try await body(client)
        try await client.execute("quit")
        return value
    }

    public func commandOutput(name: String, executable: String, arguments: [String]) async throws -> String {
        let path = (directory as NSString).appendingPathComponent(name + ".txt")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QMPError(.badTranscript, "cannot read recorded output \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
