/// Why libvirt files (`.replies`, capabilities XML) could not be imported.
public struct LibvirtImportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; the CLI maps it to an exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// A file does not exist or cannot be read.
        public static let unreadable = Code("unreadable")
        /// A file is not a libvirt `.replies` transcript (garbage, truncated, out of order).
        public static let badFile = Code("bad-file")
        /// The files are of different QEMU builds (version or package string).
        public static let mixedBuilds = Code("mixed-builds")
        /// Two files are of one binary (architecture).
        public static let duplicateBinary = Code("duplicate-binary")
        /// No file was given.
        public static let noInput = Code("no-input")
        /// A file holds no KVM host data (libvirt probed that QEMU without KVM).
        public static let noKVM = Code("no-kvm")
        /// No snapshot on the search path has the file's QEMU release series and binary under KVM.
        public static let noReleaseSnapshot = Code("no-release-snapshot")
        /// The short name of the code.
        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// The file concerned, if one.
    public var file: String?
    /// What is wrong, in one line.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, file: String? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    /// `file: message`.
    public var description: String { file.map { "\($0): \(message)" } ?? message }
}
