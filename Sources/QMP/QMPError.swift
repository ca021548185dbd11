/// An error of a QMP conversation: QEMU's own `error` reply, or a failure of the channel.
///
/// Modelled on SwiftNIO's `FileSystemError`: a ``Code`` that can grow without breaking
/// callers, a message, and for `error` replies QEMU's `class` and `desc`.
public struct QMPError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// QEMU answered the command with an `error` object.
        public static let commandFailed = Code("command-failed")
        /// QEMU did not answer within the command's timeout.
        public static let timeout = Code("timeout")
        /// QEMU's output ended (it exited or crashed) before the answer came.
        public static let processExited = Code("process-exited")
        /// QEMU printed something that is not a QMP message.
        public static let protocolViolation = Code("protocol-violation")
        /// QEMU could not be started.
        public static let launchFailed = Code("launch-failed")
        /// A replayed transcript does not hold the command that was sent next.
        public static let transcriptMismatch = Code("transcript-mismatch")
        /// A transcript file could not be read or parsed.
        public static let badTranscript = Code("bad-transcript")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// QEMU's error class (`GenericError`, `CommandNotFound`, ...) for ``Code/commandFailed``.
    public var errorClass: String?
    /// QEMU's error description for ``Code/commandFailed``.
    public var errorDescription: String?
    /// How the QEMU process ended (`exited 1`, `signal 11`), when it ended early.
    public var exitStatus: String?
    /// The last lines QEMU printed on stderr, when it ended early.
    public var stderr: String?
    /// Whether the failure came before QEMU's greeting (QEMU refused to start).
    public var beforeGreeting = false

    /// Creates an error.
    public init(_ code: Code, _ message: String, errorClass: String? = nil, errorDescription: String? = nil) {
        self.code = code
        self.message = message
        self.errorClass = errorClass
        self.errorDescription = errorDescription
    }

    /// True for the answers that mean "this target has no such command": `CommandNotFound`, or
    /// a `GenericError` saying the request is not supported.
    public var isUnsupported: Bool {
        guard code == .commandFailed else { return false }
        if errorClass == "CommandNotFound" { return true }
        let desc = (errorDescription ?? "").lowercased()
        return errorClass == "GenericError" && desc.contains("not supported")
    }

    /// A one-line description.
    public var description: String {
        if code == .commandFailed, let errorClass, let errorDescription {
            return "\(message): \(errorClass): \(errorDescription)"
        }
        return message
    }
}
