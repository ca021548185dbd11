/// The x86-64 psABI microarchitecture levels (x86-64-v1 to -v4), from a feature set in QEMU's
/// canonical names.
///
/// The System V x86-64 psABI defines each level by CPUID features; these are QEMU's spellings of
/// them (the psABI's name → QEMU's): v1 CMOV CX8 FPU FXSR MMX SCE SSE SSE2 → `cmov cx8 fpu fxsr mmx
/// syscall sse sse2`, with `lm` (long mode: an x86-64 CPU; OSFXSR is the OS's part of FXSR); v2
/// CMPXCHG16B LAHF-SAHF POPCNT SSE3 SSE4_1 SSE4_2 SSSE3 → `cx16 lahf-lm popcnt pni sse4.1 sse4.2
/// ssse3`; v3 AVX AVX2 BMI1 BMI2 F16C FMA LZCNT MOVBE OSXSAVE → `avx avx2 bmi1 bmi2 f16c fma abm
/// movbe xsave` (QEMU's `abm` is CPUID's LZCNT bit; OSXSAVE is the OS enabling XSAVE); v4 AVX512F
/// AVX512BW AVX512CD AVX512DQ AVX512VL → `avx512f avx512bw avx512cd avx512dq avx512vl`.
public enum X86Level: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case v1 = 1, v2, v3, v4

    /// `x86-64-v1` ... `x86-64-v4`.
    public var description: String { "x86-64-v\(rawValue)" }

    /// The features this level adds to the one below, in QEMU's names.
    public var added: [String] {
        switch self {
        case .v1: return ["cmov", "cx8", "fpu", "fxsr", "lm", "mmx", "sse", "sse2", "syscall"]
        case .v2: return ["cx16", "lahf-lm", "pni", "popcnt", "sse4.1", "sse4.2", "ssse3"]
        case .v3: return ["abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"]
        case .v4: return ["avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"]
        }
    }

    /// Every feature the level needs (its own and the levels below).
    public var required: [String] { Self.allCases.filter { $0 <= self }.flatMap(\.added) }

    /// Parses `x86-64-v3`, `v3` or `3`.
    public init?(name: String) {
        var s = name.lowercased()
        if s.hasPrefix("x86-64-") { s.removeFirst(7) }
        if s.hasPrefix("v") { s.removeFirst() }
        guard let n = Int(s), let level = X86Level(rawValue: n) else { return nil }
        self = level
    }

    /// The highest level `features` (canonical names) reaches, or nil below v1 (not an x86-64 CPU).
    public static func of(_ features: Set<String>) -> X86Level? {
        var best: X86Level?
        for level in allCases {
            guard level.added.allSatisfy(features.contains) else { break }
            best = level
        }
        return best
    }

    /// What keeps `features` from the level above the one they reach (nil at v4).
    public static func missingForNext(_ features: Set<String>) -> (level: X86Level, missing: [String])? {
        let next = of(features).map { $0.rawValue + 1 } ?? 1
        guard let level = X86Level(rawValue: next) else { return nil }
        return (level, level.added.filter { !features.contains($0) })
    }

    /// `x86-64-v3`, or `-` for nil.
    public static func name(_ level: X86Level?) -> String { level?.description ?? "-" }

    /// The lowest of `levels` (the level all of them run), nil when any is nil or none is given.
    public static func common(_ levels: [X86Level?]) -> X86Level? {
        guard !levels.isEmpty else { return nil }
        var low = X86Level.v4
        for l in levels {
            guard let l else { return nil }
            low = min(low, l)
        }
        return low
    }

    public static func < (a: X86Level, b: X86Level) -> Bool { a.rawValue < b.rawValue }
}
