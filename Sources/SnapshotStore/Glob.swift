import Foundation

/// Shell-style pattern matching (`pc-q35-*`, `Cascadelake-Server*`) with `fnmatch(3)`.
public enum Glob {
    /// Whether `name` matches any of `patterns`; an empty list matches everything.
    public static func matches(_ name: String, any patterns: [String]) -> Bool {
        patterns.isEmpty || patterns.contains { fnmatch($0, name, 0) == 0 }
    }

    /// Whether a machine type matches any of `patterns` by its name or its alias (`q35`, `pc`).
    public static func matches(_ machine: MachineRecord, any patterns: [String]) -> Bool {
        matches(machine.name, any: patterns)
            || (machine.info["alias"]?.stringValue).map { alias in matches(alias, any: patterns) } ?? false
    }
}
