import Foundation
import SnapshotStore

/// Reads this host's CPU identity from `/proc/cpuinfo` and the kernel release from `uname`.
public enum HostFingerprint {
    /// The host record of this machine.
    public static func current(cpuinfo path: String = "/proc/cpuinfo") -> HostRecord {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { if !fields.isEmpty { break } else { continue } }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return HostRecord(
            vendor: fields["vendor_id"] ?? "unknown", family: Int(fields["cpu family"] ?? "") ?? 0,
            model: Int(fields["model"] ?? "") ?? 0, stepping: Int(fields["stepping"] ?? "") ?? 0,
            modelName: fields["model name"] ?? "unknown", microcode: fields["microcode"] ?? "unknown",
            kernel: release)
    }

    /// Whether `/dev/kvm` can be opened for reading and writing.
    public static var kvmUsable: Bool {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        if fd < 0 { return false }
        close(fd)
        return true
    }
}
