/// The `HW_CPU_X86_*` traits (os-traits names) OpenStack Nova's libvirt driver reports for a
/// host's CPU features.
///
/// Nova maps libvirt feature names to traits with `CPU_TRAITS_MAPPING` in
/// nova/virt/libvirt/utils.py and reports every trait of the table, true when the feature is
/// present (`cpu_features_to_traits`); `svm` and `vmx` each give two traits (the generic and the
/// vendor one). The keys are libvirt's names, so `sse3` never matches (libvirt calls it `pni`)
/// and Nova never sets `HW_CPU_X86_SSE3`; qcpu keeps that behaviour so its answer is Nova's.
public enum NovaTraits {
    /// Nova's table: libvirt feature name → traits.
    public static let mapping: [(feature: String, traits: [String])] = [
        ("3dnow", ["HW_CPU_X86_3DNOW"]), ("abm", ["HW_CPU_X86_ABM"]), ("aes", ["HW_CPU_X86_AESNI"]),
        ("amx-bf16", ["HW_CPU_X86_AMXBF16"]), ("amx-int8", ["HW_CPU_X86_AMXINT8"]), ("amx-tile", ["HW_CPU_X86_AMXTILE"]),
        ("avx", ["HW_CPU_X86_AVX"]), ("avx2", ["HW_CPU_X86_AVX2"]), ("avx512bw", ["HW_CPU_X86_AVX512BW"]),
        ("avx512cd", ["HW_CPU_X86_AVX512CD"]), ("avx512dq", ["HW_CPU_X86_AVX512DQ"]), ("avx512er", ["HW_CPU_X86_AVX512ER"]),
        ("avx512f", ["HW_CPU_X86_AVX512F"]), ("avx512pf", ["HW_CPU_X86_AVX512PF"]), ("avx512vl", ["HW_CPU_X86_AVX512VL"]),
        ("avx512vnni", ["HW_CPU_X86_AVX512VNNI"]), ("avx512vbmi", ["HW_CPU_X86_AVX512VBMI"]),
        ("avx512ifma", ["HW_CPU_X86_AVX512IFMA"]), ("avx512vbmi2", ["HW_CPU_X86_AVX512VBMI2"]),
        ("avx512bitalg", ["HW_CPU_X86_AVX512BITALG"]), ("vaes", ["HW_CPU_X86_AVX512VAES"]),
        ("gfni", ["HW_CPU_X86_AVX512GFNI"]), ("vpclmulqdq", ["HW_CPU_X86_AVX512VPCLMULQDQ"]),
        ("avx512-vpopcntdq", ["HW_CPU_X86_AVX512VPOPCNTDQ"]), ("bmi1", ["HW_CPU_X86_BMI"]), ("bmi2", ["HW_CPU_X86_BMI2"]),
        ("pclmuldq", ["HW_CPU_X86_CLMUL"]), ("f16c", ["HW_CPU_X86_F16C"]), ("fma", ["HW_CPU_X86_FMA3"]),
        ("fma4", ["HW_CPU_X86_FMA4"]), ("mmx", ["HW_CPU_X86_MMX"]), ("mpx", ["HW_CPU_X86_MPX"]), ("sha-ni", ["HW_CPU_X86_SHA"]),
        ("sse", ["HW_CPU_X86_SSE"]), ("sse2", ["HW_CPU_X86_SSE2"]), ("sse3", ["HW_CPU_X86_SSE3"]),
        ("sse4.1", ["HW_CPU_X86_SSE41"]), ("sse4.2", ["HW_CPU_X86_SSE42"]), ("sse4a", ["HW_CPU_X86_SSE4A"]),
        ("ssse3", ["HW_CPU_X86_SSSE3"]), ("svm", ["HW_CPU_X86_SVM", "HW_CPU_X86_AMD_SVM"]), ("tbm", ["HW_CPU_X86_TBM"]),
        ("vmx", ["HW_CPU_X86_VMX", "HW_CPU_X86_INTEL_VMX"]), ("xop", ["HW_CPU_X86_XOP"]),
    ]

    /// Every trait of the table, with whether `features` (libvirt's names) gives it, in the table's order.
    public static func traits(of features: Set<String>) -> [(trait: String, present: Bool, feature: String)] {
        mapping.flatMap { entry in entry.traits.map { ($0, features.contains(entry.feature), entry.feature) } }
    }
}
