/// Why a snapshot could not be read, validated or written.
public struct SnapshotError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// The file does not exist.
        public static let notFound = Code("not-found")
        /// The file exists but cannot be read.
        public static let unreadable = Code("unreadable")
        /// The file is not an SQLite database.
        public static let notSQLite = Code("not-sqlite")
        /// The file is SQLite but not a qcpu snapshot (wrong application id).
        public static let notSnapshot = Code("not-a-snapshot")
        /// The file is shorter than its header says.
        public static let truncated = Code("truncated")
        /// The file's schema version is newer than this qcpu reads.
        public static let schemaTooNew = Code("schema-too-new")
        /// The file's schema version is older than this qcpu reads.
        public static let schemaTooOld = Code("schema-too-old")
        /// SQLite's integrity check or qcpu's invariants failed.
        public static let corrupt = Code("corrupt")
        /// Snapshots that cannot be combined (different QEMU builds).
        public static let incompatible = Code("incompatible")
        /// The output could not be written.
        public static let cannotWrite = Code("cannot-write")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// The file concerned.
    public var path: String
    /// What is wrong, in one line.
    public var reason: String

    /// Creates an error.
    public init(_ code: Code, path: String, _ reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}
