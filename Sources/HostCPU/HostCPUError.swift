import CPUQuery
import QMP

/// Why a host question could not be answered.
public struct HostCPUError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// A file is a snapshot but not a host record (no KVM sessions or no realize probe).
        public static let notHostRecord = Code("not-host-record")
        /// Files named as host records (in `--host-dir` or `--host`) that cannot be read as one.
        public static let unreadableRecords = Code("unreadable-records")
        /// Host records (or a record and the snapshot) of different QEMU versions or architectures.
        public static let mismatch = Code("mismatch")
        /// No host was given where at least one is needed.
        public static let noHosts = Code("no-hosts")
        /// A model, machine type or feature name the host record does not know.
        public static let unknownName = Code("unknown-name")
        /// A `-cpu` string or libvirt `<cpu>` element that cannot be read.
        public static let badGuest = Code("bad-guest")
        /// No named model can express the request.
        public static let noModel = Code("no-model")
        /// The snapshot has no CPU model table for the binary (QEMU compares and baselines models
        /// only on s390x, and only harvests that recorded the table have one).
        public static let noModelTable = Code("no-model-table")
        /// No release snapshot holds the models a light host record needs.
        public static let noSnapshot = Code("no-snapshot")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what would fix it.
    public var message: String
    /// Names close to an unknown one.
    public var suggestions: [String]

    /// Creates an error.
    public init(_ code: Code, _ message: String, suggestions: [String] = []) {
        self.code = code
        self.message = message
        self.suggestions = suggestions
    }

    /// The message, with "did you mean" when there are suggestions.
    public var description: String {
        guard !suggestions.isEmpty else { return message }
        return message + "; did you mean " + suggestions.map { "'\(InputExcerpt.of($0))'" }.joined(separator: ", ") + "?"
    }

    /// An unknown-name error suggesting the closest of `known`.
    static func unknown(_ what: String, _ name: String, among known: [String], context: String) -> HostCPUError {
        HostCPUError(.unknownName, "unknown \(what) '\(InputExcerpt.of(name))' \(context)", suggestions: Suggestions.closest(to: name, in: known))
    }
}
