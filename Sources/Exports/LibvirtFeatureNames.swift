/// libvirt's spellings of QEMU's x86 feature names.
///
/// libvirt translates a few QEMU names with a table in its QEMU driver
/// (`virQEMUCapsCPUFeaturesX86` in src/qemu/qemu_capabilities.c, the same 11 CPU entries in
/// libvirt 9.0 and 11.3, which adds a VMX and three Hyper-V ones); every other name is the same in
/// both. Newer maps also list QEMU's spellings as `<alias source='qemu'>` of their features, which
/// ``LibvirtCPUMap/libvirtName(qemu:)`` uses when the table has no entry.
public enum LibvirtFeatureNames {
    /// libvirt's table, as (libvirt, QEMU) pairs.
    public static let table: [(libvirt: String, qemu: String)] = [
        ("cmp_legacy", "cmp-legacy"), ("ds_cpl", "ds-cpl"), ("fxsr_opt", "fxsr-opt"),
        ("kvm_pv_eoi", "kvm-pv-eoi"), ("kvm_pv_unhalt", "kvm-pv-unhalt"), ("lahf_lm", "lahf-lm"),
        ("nodeid_msr", "nodeid-msr"), ("pclmuldq", "pclmulqdq"), ("perfctr_core", "perfctr-core"),
        ("perfctr_nb", "perfctr-nb"), ("tsc_adjust", "tsc-adjust"),
        ("vmx-invvpid-single-context-noglobals", "vmx-invept-single-context-noglobals"),
        ("hv-vendor_id", "hv-vendor-id"), ("hv-emsr_bitmap", "hv-emsr-bitmap"), ("hv-xmm_input", "hv-xmm-input"),
    ]

    private static let fromQEMUTable = Dictionary(uniqueKeysWithValues: table.map { ($0.qemu, $0.libvirt) })
    private static let toQEMUTable = Dictionary(uniqueKeysWithValues: table.map { ($0.libvirt, $0.qemu) })

    /// libvirt's name for a QEMU name (the name itself when the table has no entry).
    public static func fromQEMU(_ name: String) -> String { fromQEMUTable[name] ?? name }

    /// QEMU's name for a libvirt name (the name itself when the table has no entry).
    public static func toQEMU(_ name: String) -> String { toQEMUTable[name] ?? name }
}

/// The order QEMU lists x86 CPU models in (`query-cpu-definitions`, so libvirt's custom list).
///
/// QEMU sorts the CPU classes (`x86_cpu_list_compare` in target/i386/cpu.c: by the class's
/// `ordering`, then by model name with `strcmp`) and builds the reply by prepending each entry, so
/// the reply is that order reversed: `max`, `host`, `base`, then the models by descending name.
public enum QEMUModelOrder {
    /// QEMU's `ordering` of a model class: 9 for `host` and `max`, 8 for `base`, else 0.
    static func ordering(_ model: String) -> Int {
        switch model {
        case "host", "max": return 9
        case "base": return 8
        default: return 0
        }
    }

    /// `models` in the order of QEMU's `query-cpu-definitions` reply.
    public static func sorted(_ models: some Sequence<String>) -> [String] {
        models.sorted { a, b in
            let oa = ordering(a), ob = ordering(b)
            if oa != ob { return oa > ob }
            return b.utf8.lexicographicallyPrecedes(a.utf8)
        }
    }
}
