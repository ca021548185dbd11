import Foundation

/// A libvirtd started by a test, in a private mount namespace so it touches none of the
/// machine's libvirt state: its cache, run and state directories and its network definitions are
/// empty directories of the test's, and its `qemu.conf` runs QEMU as root (a container's
/// `/dev/kvm` is often root's only, where Debian's udev would give it to group `kvm`). It runs in
/// the foreground as the test's child (`-p` writes its pid file); ``stop()`` signals the pid in
/// that file and reaps the process.
public final class LibvirtDaemon {
    /// Why no daemon could be started, said in the test's output.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What is missing.
        public var description: String
    }

    static let libvirtd = "/usr/sbin/libvirtd", virsh = "/usr/bin/virsh"
    /// The test's directory for the daemon.
    public let directory: String
    /// The daemon's process (its pid is the pid file's).
    let process: Process
    private var stopped = false

    /// The connection URI (the namespace's `/run/libvirt/libvirt-sock`, seen from outside).
    public var uri: String { "qemu:///system?socket=\(directory)/run/libvirt-sock" }
    /// Where libvirt writes its QEMU capabilities cache.
    public var capabilitiesDirectory: String { directory + "/cache/qemu/capabilities" }
    /// The daemon's log.
    public var log: String { directory + "/libvirtd.log" }

    /// Whether libvirt's daemon and client are installed, else what to install.
    public static var missing: String? {
        let absent = [libvirtd, virsh].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if absent.isEmpty { return nil }
        return "libvirt is not installed (\(absent.joined(separator: ", ")) missing): apt-get install libvirt-daemon-system libvirt-clients (make test installs them)"
    }

    /// Starts a daemon and waits for its socket (up to 20 s).
    public init() throws {
        if let missing = Self.missing { throw Unavailable(description: missing) }
        let directory = try TestSupport.temporaryDirectory()
        self.directory = directory
        for d in ["cache", "run", "lib", "networks"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + d, withIntermediateDirectories: true)
        }
        try "user = \"root\"\ngroup = \"root\"\n".write(toFile: directory + "/qemu.conf", atomically: true, encoding: .utf8)
        try "log_outputs = \"3:file:\(directory)/libvirtd.log\"\n".write(toFile: directory + "/libvirtd.conf", atomically: true, encoding: .utf8)
        let binds = [("qemu.conf", "/etc/libvirt/qemu.conf"), ("cache", "/var/cache/libvirt"), ("run", "/run/libvirt"),
                     ("lib", "/var/lib/libvirt"), ("networks", "/etc/libvirt/qemu/networks")]
        let script = "mkdir -p /var/cache/libvirt /run/libvirt /var/lib/libvirt /etc/libvirt/qemu/networks && "
            + binds.map { "mount --bind '\(directory)/\($0.0)' '\($0.1)'" }.joined(separator: " && ")
            + " && exec \(Self.libvirtd) -p '\(directory)/libvirtd.pid' -f '\(directory)/libvirtd.conf'"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let socket = directory + "/run/libvirt-sock"
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) && process.isRunning { usleep(100_000) }
        guard process.isRunning, FileManager.default.fileExists(atPath: socket) else {
            stop()
            let log = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Unavailable(description: "libvirtd did not start (unshare and mount need root): \(log.suffix(300))")
        }
    }

    /// Runs `virsh -c URI arguments...`; its status and output.
    public func virsh(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.virsh)
        p.arguments = ["-c", uri] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? out.fileHandleForReading.close()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The pid the daemon wrote, if it did.
    public var pidFromFile: Int32? {
        (try? String(contentsOfFile: directory + "/libvirtd.pid", encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Stops the daemon: SIGTERM to the pid in its pid file (SIGKILL after 10 s), then reaps it.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            // The pid file names the daemon; it is this child (unshare and sh exec it), and
            // nothing else is signalled.
            let pid = process.processIdentifier
            if let filed = pidFromFile, filed != pid { print("note: libvirtd's pid file says \(filed), its process is \(pid)") }
            kill(pid, SIGTERM)
            for _ in 0..<100 where process.isRunning { usleep(100_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    /// Removes the directory (after ``stop()``).
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
