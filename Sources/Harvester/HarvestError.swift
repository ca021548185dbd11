/// Why a harvest could not run or did not finish cleanly.
public struct HarvestError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// Bad options or environment (`SOURCE_DATE_EPOCH`, `--shard`, an unknown accelerator).
        public static let badInput = Code("bad-input")
        /// No QEMU binary found or given.
        public static let noQEMU = Code("no-qemu")
        /// A QEMU binary could not be probed at all.
        public static let probeFailed = Code("probe-failed")
        /// Some sessions failed (crash, hang, garbage); the others completed.
        public static let sessionsFailed = Code("sessions-failed")
        /// The binaries are not one QEMU build.
        public static let mixedBuilds = Code("mixed-builds")
        /// KVM is not usable here, and the capture needs it (a host record).
        public static let noKVM = Code("no-kvm")
        /// A replay directory lacks what the harvest needs.
        public static let badRecording = Code("bad-recording")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong.
    public var message: String
    /// Each failed session, `binary machine accel: reason`.
    public var failures: [String]

    /// Creates an error.
    public init(_ code: Code, _ message: String, failures: [String] = []) {
        self.code = code
        self.message = message
        self.failures = failures
    }

    /// The message.
    public var description: String { message }
}
