/// A QMP client: negotiates capabilities, tags commands with ids, skips events, and turns
/// `error` replies into ``QMPError``.
///
/// One client talks to one QEMU from one task; it is not shared between tasks.
public final class QMPClient {
    /// A reply's `return` value: parsed, or as the raw JSON text QEMU printed.
    public enum Reply {
        /// The raw JSON text of the `return` member.
        case text(ArraySlice<UInt8>)
        /// The parsed `return` member.
        case value(JSONValue)

        /// The parsed value.
        public func parsed() throws(QMPError) -> JSONValue {
            switch self {
            case .value(let v): return v
            case .text(let bytes):
                do { return try JSONParser.parse(bytes) } catch {
                    throw QMPError(.protocolViolation, "QEMU sent garbage (\(error))")
                }
            }
        }
    }

    /// The transport the client talks over.
    public let transport: any QMPTransport
    /// The timeout applied to every command that does not give its own.
    public var defaultTimeout: Duration
    /// The prefix of command ids (`qcpu-1`, `qcpu-2`, ...).
    public let idPrefix: String
    /// The greeting QEMU sent, once ``start()`` has run.
    public private(set) var greeting: JSONValue?
    /// Events QEMU sent while the client waited for replies, in order.
    public private(set) var events: [JSONValue] = []
    /// Time spent waiting for QEMU: the greeting and every reply.
    public private(set) var waitTime: Duration = .zero
    private var nextID = 1
    private let clock = ContinuousClock()

    /// Creates a client over `transport`.
    public init(transport: any QMPTransport, timeout: Duration = .seconds(30), idPrefix: String = "qcpu") {
        self.transport = transport
        self.defaultTimeout = timeout
        self.idPrefix = idPrefix
    }

    /// Reads the greeting and negotiates capabilities (`qmp_capabilities`).
    public func start() async throws(QMPError) {
        let started = clock.now
        let banner = try await transport.greeting(timeout: defaultTimeout)
        waitTime += clock.now - started
        guard banner["QMP"] != nil else {
            throw QMPError(.protocolViolation, "expected the QMP greeting, got \(String(banner.canonicalText.prefix(200)))")
        }
        greeting = banner
        _ = try await execute("qmp_capabilities")
    }

    /// Runs one command and returns its `return` value.
    ///
    /// - Throws: ``QMPError`` with code ``QMPError/Code/commandFailed`` for an `error` reply,
    ///   or the transport's error (timeout, exit, garbage).
    @discardableResult
    public func execute(_ command: String, arguments: JSONValue? = nil, timeout: Duration? = nil)
        async throws(QMPError) -> JSONValue
    {
        try await executeReply(command, arguments: arguments, timeout: timeout).parsed()
    }

    /// Runs one command; when QEMU's reply has its usual shape `{"return": ..., "id": ...}`
    /// the `return` member comes back unparsed, so a caller can look it up by content first.
    public func executeReply(_ command: String, arguments: JSONValue? = nil, timeout: Duration? = nil)
        async throws(QMPError) -> Reply
    {
        let started = clock.now
        let id = try await send(command, arguments: arguments)
        defer { waitTime += clock.now - started }
        return try await reply(to: command, id: id, timeout: timeout ?? defaultTimeout)
    }

    /// Runs commands pipelined: up to `window` are sent ahead of the replies, so QEMU never
    /// waits for the client between commands. Error replies come back as failures, in order.
    public func pipeline(_ commands: [(command: String, arguments: JSONValue?)], window: Int = 16,
                         timeout: Duration? = nil) async throws(QMPError) -> [Result<Reply, QMPError>]
    {
        var ids: [String] = []
        var results: [Result<Reply, QMPError>] = []
        results.reserveCapacity(commands.count)
        while ids.count < min(window, commands.count) {
            ids.append(try await send(commands[ids.count].command, arguments: commands[ids.count].arguments))
        }
        while results.count < commands.count {
            let i = results.count
            let started = clock.now
            do {
                results.append(.success(try await reply(to: commands[i].command, id: ids[i], timeout: timeout ?? defaultTimeout)))
            } catch where error.code == .commandFailed {
                results.append(.failure(error))
            }
            waitTime += clock.now - started
            if ids.count < commands.count {
                ids.append(try await send(commands[ids.count].command, arguments: commands[ids.count].arguments))
            }
        }
        return results
    }

    private func send(_ command: String, arguments: JSONValue?) async throws(QMPError) -> String {
        let id = "\(idPrefix)-\(nextID)"
        nextID += 1
        var message: [String: JSONValue] = ["execute": .string(command), "id": .string(id)]
        if let arguments { message["arguments"] = arguments }
        try await transport.send(.object(message))
        return id
    }

    private func reply(to command: String, id: String, timeout limit: Duration) async throws(QMPError) -> Reply {
        while true {
            let reply: JSONValue
            if let line = try await transport.receiveRaw(timeout: limit) {
                let prefix = Self.returnPrefix, suffix = Array(", \"id\": \"\(id)\"}".utf8)
                if line.count > prefix.count + suffix.count, line.starts(with: prefix),
                   line[(line.count - suffix.count)...].elementsEqual(suffix) {
                    return .text(line[prefix.count..<(line.count - suffix.count)])
                }
                reply = try LiveTransport.parse(line)
            } else {
                reply = try await transport.receive(timeout: limit)
            }
            if reply["event"] != nil { events.append(reply); continue }
            guard reply["id"]?.stringValue == id else {
                throw QMPError(.protocolViolation,
                               "reply to \(command) has id \(reply["id"]?.canonicalText ?? "none"), expected \(id)")
            }
            if let error = reply["error"] {
                throw QMPError(.commandFailed, "\(command) failed",
                               errorClass: error["class"]?.stringValue ?? "unknown",
                               errorDescription: error["desc"]?.stringValue ?? "")
            }
            guard let value = reply["return"] else {
                throw QMPError(.protocolViolation, "reply to \(command) has neither return nor error")
            }
            return .value(value)
        }
    }

    private static let returnPrefix = Array("{\"return\": ".utf8)

    /// Runs one command and returns its value, or the error reply as a value
    /// (a `Result`) so a harvest can record it; transport failures still throw.
    public func attempt(_ command: String, arguments: JSONValue? = nil, timeout: Duration? = nil)
        async throws(QMPError) -> Result<JSONValue, QMPError>
    {
        switch try await attemptReply(command, arguments: arguments, timeout: timeout) {
        case .success(let reply): return .success(try reply.parsed())
        case .failure(let error): return .failure(error)
        }
    }

    /// Like ``attempt(_:arguments:timeout:)``, but keeps a usual-shape reply unparsed.
    public func attemptReply(_ command: String, arguments: JSONValue? = nil, timeout: Duration? = nil)
        async throws(QMPError) -> Result<Reply, QMPError>
    {
        do {
            return .success(try await executeReply(command, arguments: arguments, timeout: timeout))
        } catch where error.code == .commandFailed {
            return .failure(error)
        }
    }
}
