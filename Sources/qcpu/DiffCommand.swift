import ArgumentParser
import CPUDiff
import CPUQuery
import QMP
import SnapshotStore

/// `qcpu diff`: two snapshots or QEMU binaries (releases), or two machine types of one QEMU.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Diff two snapshots or QEMU binaries (releases), or two machine types of one QEMU.",
        discussion: """
            qcpu diff A.sqlite B.sqlite: models, aliases, machine types, default CPU types and feature \
            names added, removed or changed; with --abi, every expansion present in both is compared and \
            a changed value on a versioned machine type is a guest-ABI break (exit status 1). Machine \
            types without a version (microvm, isapc, none, x-remote) promise no stable ABI and are \
            reported apart; props that appear or disappear are listed, not counted as breaks.

            qcpu diff QEMU-A QEMU-B: the same for two QEMU binaries. Each is read from the snapshot of \
            its version on the search path (or the cache) that has its whole catalogue under TCG, else \
            probed live and cached like a query's answer; the output says which. A live probe starts \
            one QEMU per machine type (tens of seconds for every machine type of an x86_64 QEMU); --machine \
            PATTERN limits the diff to those machine types, --offline forbids probing, --live forces it, \
            --qemu-arg passes an argument to every QEMU started (-L DIR for an unpacked QEMU).

            qcpu diff --machine M1 --machine M2 [--model X] [--accel A]: what M1 changes against M2 in \
            each model's resolved props (the effect of compat properties).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, markdown }

    @Argument(help: ArgumentHelp("Two snapshot files or QEMU binaries, old then new.", valueName: "snapshot-or-qemu"), completion: .file())
    var files: [String] = []

    @Flag(help: "Compare every expansion present in both and exit 1 on a guest-ABI break.")
    var abi = false

    @Option(name: .customLong("machine"), help: ArgumentHelp("A machine type (give two); with two snapshots or binaries, a pattern limiting the release diff to the machine types it matches (repeatable).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machines: [String] = []

    @Option(help: ArgumentHelp("Only this CPU model (machine-type diff).", valueName: "model"), completion: .custom(Completion.models))
    var model: String?

    @Option(help: "Accelerator (machine-type diff).")
    var accel: String = "tcg"

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("The snapshot for a machine-type diff (default: the search path).", valueName: "file"))
    var snapshot: String?

    @Option(help: ArgumentHelp("Target architecture (machine-type diff).", valueName: "arch"))
    var arch: String = "x86_64"

    @Flag(help: "Release diff of binaries: never start QEMU, answer from snapshots or fail.")
    var offline = false

    @Flag(help: "Release diff of binaries: probe live even when a snapshot has the catalogue (and refresh the cache).")
    var live = false

    @Option(name: .customLong("qemu-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("An extra argument for every QEMU a release diff of binaries starts (repeatable).", valueName: "arg"))
    var qemuArgs: [String] = []

    @Option(help: "Output format.")
    var format: Format = .table

    func validate() throws {
        if files.isEmpty && machines.count != 2 { throw ValidationError("give two snapshot files or QEMU binaries, or --machine twice") }
        if !files.isEmpty && files.count != 2 { throw ValidationError("a release diff takes exactly two snapshot files or QEMU binaries") }
        if offline && live { throw ValidationError("--offline and --live cannot be combined") }
    }

    func run() async throws {
        try await reportingErrors {
            if files.isEmpty { try machineDiff() } else { try await releaseDiff() }
        }
    }

    private func machineDiff() throws {
        let locator = SnapshotLocator(explicitFiles: snapshot.map { [$0] } ?? [], executable: executablePath())
        let q = try CPUQuery(locator: locator, target: .init(arch: arch), mode: .offline)
        guard let reader = q.snapshotReaders().first else { throw QueryError(.noSnapshot, "no snapshot for QEMU \(q.version)") }
        let known = Set(try reader.machines(binary: q.binary).map(\.name))
        for m in machines where !known.contains(m) {
            throw QueryError(.unknownName, "unknown machine type '\(m)' for \(q.binary) (QEMU \(q.version))",
                             suggestions: Suggestions.closest(to: m, in: Array(known)))
        }
        let diff = try MachineDiff(reader: reader, binary: q.binary, first: machines[0], second: machines[1], accel: accel, model: model)
        if let model, diff.models.isEmpty {
            throw QueryError(.unknownName, "no expansion of '\(model)' on both \(machines[0]) and \(machines[1]) under \(accel)")
        }
        switch format {
        case .json:
            print(JSONValue.object([
                "schema": 1, "qemu-version": .string(q.version), "binary": .string(q.binary), "accel": .string(accel),
                "machines": [.string(diff.first), .string(diff.second)], "models-compared": .int(diff.models.count),
                "changes": .array(diff.changes.map { ["model": .string($0.model), "prop": .string($0.prop),
                                                      "first": $0.first ?? .null, "second": $0.second ?? .null] }),
            ]).prettyText)
        case .markdown:
            print("# \(diff.first) against \(diff.second) (\(q.binary), QEMU \(q.version), \(accel))\n")
            print("\(diff.models.count) models compared, \(Set(diff.changes.map(\.model)).count) differ.\n")
            print("| model | prop | \(diff.first) | \(diff.second) |\n|---|---|---|---|")
            for c in diff.changes { print("| \(c.model) | \(c.prop) | \(Self.text(c.first)) | \(Self.text(c.second)) |") }
        case .table:
            var t = TextTable(header: ["MODEL", "PROP", diff.first.uppercased(), diff.second.uppercased()])
            for c in diff.changes { t.rows.append([c.model, c.prop, Self.text(c.first), Self.text(c.second)]) }
            print(t.render())
            note("\(diff.models.count) models compared under \(accel); \(diff.changes.count) differences")
        }
    }

    private func releaseDiff() async throws {
        let mode: CPUQuery.Mode = offline ? .offline : (live ? .live : .auto)
        let a = try await DiffSide.open(files[0], machines: machines, mode: mode, qemuArguments: qemuArgs)
        let b = try await DiffSide.open(files[1], machines: machines, mode: mode, qemuArguments: qemuArgs)
        // A binary's side is its TCG catalogue (what a live probe asks), so both sides compare TCG.
        let diff = try ReleaseDiff(a.reader, b.reader, machines: machines,
                                   accels: a.source != nil || b.source != nil ? ["tcg"] : [])
        let versionA = a.version, versionB = b.version
        let shown = abi ? diff.props : []
        for line in ReleaseDiff.coverageNotes(old: try a.reader.partialCoverage(), new: try b.reader.partialCoverage(),
                                              names: (files[0], files[1])) { note(line) }  // an imported snapshot covers less
        switch format {
        case .json:
            var o: [String: JSONValue] = [
                "schema": 1, "old": a.json, "new": b.json,
                "changes": .array(diff.changes.map { c in
                    var x: [String: JSONValue] = ["kind": .string(c.kind), "binary": .string(c.binary), "subject": .string(c.subject)]
                    if let o = c.old { x["old"] = .string(o) }
                    if let n = c.new { x["new"] = .string(n) }
                    return .object(x)
                }),
            ]
            if !machines.isEmpty { o["machine-patterns"] = .array(machines.map { .string($0) }) }
            if abi {
                o["abi"] = ["compared-expansions": .int(diff.comparedExpansions), "breaks": .int(diff.breaks.count),
                            "findings": .array(shown.map { p in
                                ["class": .string(p.classification.rawValue), "binary": .string(p.binary), "machine": .string(p.machine),
                                 "accel": .string(p.accel), "host-dependent": .bool(p.hostDependent), "model": .string(p.model),
                                 "type": .string(p.type), "variant": .string(p.variant), "prop": .string(p.prop),
                                 "old": p.old ?? .null, "new": p.new ?? .null]
                            }),
                            "props-added-or-removed": .array(diff.presence.map { p in
                                ["class": .string(p.classification.rawValue), "prop": .string(p.prop), "value": p.value,
                                 "host-dependent": .bool(p.hostDependent), "rows": .int(p.rows),
                                 "examples": .array(p.examples.map { .string($0) })]
                            })]
            }
            print(JSONValue.object(o).prettyText)
        case .markdown, .table:
            let md = format == .markdown
            print(md ? "# QEMU \(versionA) → \(versionB)\n" : "QEMU \(versionA) -> \(versionB)")
            let sources = [a.line("old"), b.line("new")].compactMap { $0 }
                + (machines.isEmpty ? [] : ["machine types matching: " + machines.joined(separator: " ")])
            for line in sources { print(md ? "- \(line)" : line) }
            if md && !sources.isEmpty { print() }
            if diff.changes.isEmpty { print(md ? "No catalogue changes.\n" : "no catalogue changes") }
            var t = TextTable(header: ["CHANGE", "BINARY", "WHAT", "OLD -> NEW"])
            for c in diff.changes {
                let values = c.old == nil && c.new == nil ? "" : "\(c.old ?? "-") -> \(c.new ?? "-")"
                if md { print("- `\(c.kind)` \(c.binary): \(c.subject) \(values)") } else { t.rows.append([c.kind, c.binary, c.subject, values]) }
            }
            if !md && !diff.changes.isEmpty { print(t.render()) }
            if abi {
                print(md ? "\n## Guest ABI (\(diff.comparedExpansions) expansions compared, \(diff.breaks.count) breaks)\n"
                         : "ABI: \(diff.comparedExpansions) expansions compared, \(diff.breaks.count) breaks")
                for dependent in [false, true] {
                    let rows = diff.presence.filter { $0.hostDependent == dependent }
                    guard !rows.isEmpty else { continue }
                    let title = "props added or removed, \(dependent ? "host-dependent (KVM)" : "host-independent (TCG)") (\(rows.count))"
                    print(md ? "\n### \(title)\n" : "\(title):")
                    for p in rows {
                        let line = "\(p.classification == .propAdded ? "+" : "-")\(p.prop) = \(p.value.canonicalText): \(p.rows) rows (\(p.examples.joined(separator: "; "))\(p.rows > 3 ? "; ..." : ""))"
                        print(md ? "- `\(line)`" : "  \(line)")
                    }
                }
                for cls in ReleaseDiff.Class.allCases {
                    for dependent in [false, true] {
                        let rows = shown.filter { $0.classification == cls && $0.hostDependent == dependent }
                        guard !rows.isEmpty else { continue }
                        print(md ? "\n### \(cls.rawValue), \(dependent ? "host-dependent (KVM)" : "host-independent (TCG)") (\(rows.count))\n"
                                 : "\(cls.rawValue) \(dependent ? "(host-dependent)" : "(host-independent)"): \(rows.count)")
                        // One line per (prop, old, new), with how many rows and a few of them.
                        var groups: [String: [ReleaseDiff.PropChange]] = [:]
                        var order: [String] = []
                        for p in rows {
                            let key = "\(p.prop) \(Self.text(p.old)) -> \(Self.text(p.new))"
                            if groups[key] == nil { order.append(key) }
                            groups[key, default: []].append(p)
                        }
                        for key in order {
                            let g = groups[key]!
                            let examples = g.prefix(3).map { "\($0.machine) \($0.model) \($0.type)\($0.variant.isEmpty ? "" : " " + $0.variant)" }
                            let line = "\(key): \(g.count) rows (\(examples.joined(separator: "; "))\(g.count > 3 ? "; ..." : ""))"
                            print(md ? "- `\(key)`: \(g.count) rows (\(examples.joined(separator: "; "))\(g.count > 3 ? "; ..." : ""))" : "  \(line)")
                        }
                    }
                }
            }
        }
        if abi && !diff.breaks.isEmpty { throw ExitCode(1) }
    }

    static func text(_ v: JSONValue?) -> String { v?.canonicalText ?? "(absent)" }
}
