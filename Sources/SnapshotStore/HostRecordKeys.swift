/// The `meta` keys of host records.
public enum HostRecordKeys {
    /// `host_record`: the record format; `"2"` is a light record (models come from the snapshot).
    public static let format = "host_record"
    /// The value of ``format`` for light records.
    public static let light = "2"
    /// `host_runtime_refused`: JSON array of features KVM offers that a running vCPU refuses.
    public static let runtimeRefused = "host_runtime_refused"
    /// `host_not_probed`: why the runtime and realize probes did not run (replayed old recordings).
    public static let notProbed = "host_not_probed"
    /// `host_source`: where an imported record's facts came from.
    public static let source = "host_source"
    /// `kvm_extra_features:<binary>` in a release snapshot: features any host's KVM accepts that
    /// QEMU's `host` model does not turn on (QEMU adds them to KVM's supported set itself).
    public static func snapshotExtra(binary: String) -> String { "kvm_extra_features:\(binary)" }
}
