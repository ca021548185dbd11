/// Why an export could not be written.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// The libvirt CPU map directory (or a file it includes) is missing or unreadable.
        public static let mapNotFound = Code("map-not-found")
        /// A CPU map file is not what libvirt reads (bad XML, unknown feature, missing ancestor).
        public static let badMap = Code("bad-map")
        /// A nova.conf, option value or flag list that cannot be read.
        public static let badInput = Code("bad-input")
        /// The question needs something this host record or architecture does not have.
        public static let unsupported = Code("unsupported")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what would fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
