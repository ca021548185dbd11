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

    /// Largest transcript file, bytes (libvirt's largest `.replies` files are about 3 MB).
    public static let maxBytes = 64 << 20
    /// Most JSON objects (commands and replies) in one transcript.
    public static let maxObjects = 1_000_000

    /// Parses the text of a `.replies` file.
    public init(parsing text: String, name: String = "transcript") throws(QMPError) {
        try self.init(parsing: Array(text.utf8), name: name)
    }

    /// Parses the bytes of a `.replies` file: JSON objects separated by blank lines. One pass;
    /// an error names the object and its line, with a short excerpt.
    public init(parsing bytes: [UInt8], name: String = "transcript") throws(QMPError) {
        guard bytes.count <= Self.maxBytes else {
            throw QMPError(.badTranscript, "\(name): \(bytes.count) bytes: larger than the limit of \(Self.maxBytes)")
        }
        var objects: [JSONValue] = []
        var chunkStart: Int?, chunkLine = 0, chunkEnd = 0
        func flush() throws(QMPError) {
            guard let start = chunkStart else { return }
            chunkStart = nil
            guard objects.count < Self.maxObjects else {
                throw QMPError(.badTranscript, "\(name): more than \(Self.maxObjects) objects")
            }
            do { objects.append(try JSONParser.parse(bytes[start..<chunkEnd])) } catch {
                let line = chunkLine + bytes[start..<min(chunkEnd, start + error.offset)].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
                throw QMPError(.badTranscript, "\(name): object \(objects.count + 1) (line \(line)): \(error)")
            }
        }
        var lineStart = 0, line = 1
        while lineStart <= bytes.count {
            var lineEnd = lineStart
            var blank = true
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A {
                let b = bytes[lineEnd]
                if b != 0x20, b != 0x09, b != 0x0D { blank = false }
                lineEnd += 1
            }
            if blank {
                try flush()
            } else {
                if chunkStart == nil { (chunkStart, chunkLine) = (lineStart, line) }
                chunkEnd = lineEnd
            }
            lineStart = lineEnd + 1
            line += 1
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

    /// Reads a `.replies` file (a regular file of at most ``maxBytes``).
    public init(contentsOf path: String) throws(QMPError) {
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, maxBytes: Self.maxBytes) } catch {
            throw QMPError(.badTranscript, "cannot read transcript \(path): \(error)")
        }
        try self.init(parsing: bytes, name: path)
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
