/// The parts of a versioned machine-type name (`pc-q35-7.2` → family `pc-q35`, version `7.2`).
///
/// Only versioned machine types promise the same guest ABI in later QEMU releases; `microvm`,
/// `isapc`, `none` and `x-remote` have no version.
public enum MachineTypeName {
    /// The family and version of `machine`, or nil when it has no version.
    public static func split(_ machine: String) -> (family: String, version: String)? {
        guard let dash = machine.lastIndex(of: "-") else { return nil }
        let version = machine[machine.index(after: dash)...]
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        return (String(machine[..<dash]), String(version))
    }
}
