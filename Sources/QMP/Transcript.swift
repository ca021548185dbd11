import Foundation

/// A recorded QMP conversation in libvirt's `.replies` format: pretty-printed JSON objects
/// separated by one empty line, alternating command and reply, ids `libvirt-N` restarting at
/// every `qmp_capabilities`.
public struct Transcript: Sendable, Equatable {
    /// One command and the reply QEMU gave to it.
    public struct Exchange: Sendable, Equatable {
        /// The command object (`execute`, optional `arguments`, `id`).
        public var command: JSONValue
        /// The reply object (`return` or `error`, and `id`).
        public var reply: JSONValue
        /// Creates an exchange.
        public init(command: JSONValue, reply: JSONValue) {
            self.command = command
            self.reply = reply
        }
    }

    /// The exchanges in order.
    public var exchanges: [Exchange]

    /// Creates a transcript.
    public init(exchanges: [Exchange] = []) { self.exchanges = exchanges }

    /// Parses the text of a `.replies` file.
    public init(parsing text: String, name: String = "transcript") throws(QMPError) {
        var objects: [JSONValue] = []
        var chunk: [Substring] = []
        func flush() throws(QMPError) {
            guard !chunk.isEmpty else { return }
            let joined = chunk.joined(separator: "\n")
            chunk.removeAll()
            do { objects.append(try JSONParser.parse(joined)) } catch {
                throw QMPError(.badTranscript, "\(name): object \(objects.count + 1): \(error)")
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) { try flush() } else { chunk.append(line) }
        }
        try flush()
        guard objects.count % 2 == 0 else {
            throw QMPError(.badTranscript, "\(name): missing reply for the last command")
        }
        exchanges = stride(from: 0, to: objects.count, by: 2).map {
            Exchange(command: objects[$0], reply: objects[$0 + 1])
        }
        for (i, e) in exchanges.enumerated() where e.command["execute"]?.stringValue == nil {
            throw QMPError(.badTranscript, "\(name): object \(2 * i + 1) is not a command")
        }
    }

    /// Reads a `.replies` file.
    public init(contentsOf path: String) throws(QMPError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QMPError(.badTranscript, "cannot read transcript \(path)")
        }
        try self.init(parsing: String(decoding: data, as: UTF8.self), name: path)
    }

    /// The text of the transcript in `.replies` layout, ending with one newline.
    public var text: String {
        exchanges.flatMap { [$0.command.prettyText, $0.reply.prettyText] }.joined(separator: "\n\n") + "\n"
    }

    /// Writes the transcript to `path` atomically.
    public func write(to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
