/// QEMU's spellings of CPU feature names.
///
/// x86 full expansions list each feature under every spelling QEMU accepts (`sse4.1`, `sse4-1`,
/// `sse4_1`; `pni` and `sse3`), while static expansions use one canonical name. qcpu shows the
/// canonical names and accepts every spelling.
public enum FeatureNames {
    /// Aliases that are not just `_`/`.`/`-` variants (from `target/i386/cpu.c`).
    static let aliases: [String: String] = [
        "sse3": "pni", "pclmuldq": "pclmulqdq", "xd": "nx", "ffxsr": "fxsr-opt", "i64": "lm",
    ]

    /// The spelling-independent form: lowercase, `_` and `.` as `-`.
    public static func normalized(_ name: String) -> String {
        var bytes = Array(name.utf8)
        for i in bytes.indices {
            switch bytes[i] {
            case 0x41...0x5A: bytes[i] += 0x20
            case 0x5F, 0x2E: bytes[i] = 0x2D
            default: break
            }
        }
        let n = String(decoding: bytes, as: UTF8.self)
        if let target = aliases[n] { return normalized(target) }
        return n
    }

    /// Props that identify a CPU rather than describe its features (x86).
    public static let identity = ["vendor", "family", "model", "stepping", "model-id", "level", "xlevel"]
}
