import ArgumentParser
import CPUHistory
import CPUQuery
import Foundation
import QMP

/// `qcpu history MODEL`: one CPU model across every QEMU release the snapshots cover.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a CPU model across QEMU releases: exists, versions, alias-of, deprecation, feature changes.",
        discussion: """
            One row per release the snapshots cover (one whole harvest per QEMU version) and machine \
            type looked at: each release's newest machine types (its own version's, else its default), \
            or --machine (a name or alias, looked up in every release). CHANGES are what changed \
            against the release before on the same machine name (or family): alias-of, identity props \
            (family, model, stepping, model-id, ...) and the features the model's full expansion turns \
            on (+) or off (-); offline, from the snapshots alone.
            """)

    @Argument(help: ArgumentHelp("The CPU model.", valueName: "model"), completion: .custom(Completion.models))
    var model: String

    @Option(help: ArgumentHelp("A machine type or alias to look at in every release (default: each release's newest).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @Option(help: ArgumentHelp("A feature whose value to show per release.", valueName: "feature"))
    var feature: String?

    @Option(help: "Accelerator of the expansions: tcg or kvm.")
    var accel: String = "tcg"

    @Option(help: ArgumentHelp("Target architecture.", valueName: "arch"))
    var arch: String = "x86_64"

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("A snapshot file (repeatable; default: the search path).", valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var snapshots: [String] = []

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func run() async throws {
        try await reportingErrors {
            let locator = SnapshotLocator(explicitFiles: snapshots, executable: executablePath())
            let timeline = try ReleaseTimeline.open(locator: locator, binary: "qemu-system-\(arch)")
            let history = try ModelHistory.build(model: model, timeline: timeline, accel: accel, machine: machine, feature: feature)
            switch format {
            case .json: print(HistoryJSON.document(history).prettyText)
            case .plain:
                for row in HistoryRows.rows(history) { print(row.joined(separator: "\t")) }
            case .table:
                var header = ["QEMU", "MACHINE", "ALIAS-OF", "VERSIONS", "FLAGS", "CHANGES"]
                if let f = history.feature { header.insert(f, at: 4) }
                var t = TextTable(header: header)
                t.rows = HistoryRows.rows(history).map { $0.map { $0 == "-" ? "" : $0 } }
                print(t.render())
                for e in history.entries { note("\(e.version): \(e.file) (\(e.package))") }
            }
        }
    }
}

/// The table and plain rows of a history: one per release and machine type.
enum HistoryRows {
    static func rows(_ h: ModelHistory) -> [[String]] {
        var rows: [[String]] = []
        for e in h.entries {
            let versions = e.versions.map { $0.hasPrefix(h.model + "-") ? String($0.dropFirst(h.model.count + 1)) : $0 }
                .joined(separator: ",")
            func row(_ machine: String, _ alias: String, _ value: String?, _ flags: [String], _ changes: String) -> [String] {
                var r = [e.version, machine, alias, versions.isEmpty ? "-" : versions, flags.isEmpty ? "-" : flags.joined(separator: ","), changes]
                if h.feature != nil { r.insert(value ?? "-", at: 4) }
                return r
            }
            if !e.harvested { rows.append(row("-", "-", nil, ["no-\(h.accel)-rows"], "-")); continue }
            if !e.exists { rows.append(row("-", "-", nil, ["absent"], "-")); continue }
            if let missing = e.missingMachine { rows.append(row(missing, "-", nil, ["no-such-machine"], "-")); continue }
            if e.machines.isEmpty { rows.append(row("-", "-", nil, ["not-harvested"], "-")) }
            for m in e.machines {
                var flags: [String] = []
                if m.deprecated { flags.append("deprecated") }
                if m.machineDeprecated { flags.append("machine-deprecated") }
                let value = m.featureValue.map { $0 ? "on" : "off" } ?? (e.featureKnown == false ? "unknown" : nil)
                rows.append(row(m.machine, m.aliasOf ?? "-", value, flags, changes(m)))
            }
        }
        return rows
    }

    static func changes(_ m: ModelHistory.MachineEntry) -> String {
        guard let before = m.comparedWith else { return "first" }
        var parts: [String] = []
        if let alias = m.aliasBefore { parts.append("alias-of \(alias ?? "none") -> \(m.aliasOf ?? "none")") }
        parts += m.identityChanges.map { "\($0.prop) \($0.old?.canonicalText ?? "none") -> \($0.new?.canonicalText ?? "none")" }
        if let added = m.added, let removed = m.removed {
            parts += added.map { "+" + $0 } + removed.map { "-" + $0 }
        } else {
            parts.append("features not compared")
        }
        let text = parts.isEmpty ? "none" : parts.joined(separator: " ")
        return before == m.machine ? text : "\(text) (vs \(before))"
    }
}

/// The JSON document of `qcpu history` (docs/JSON.md).
enum HistoryJSON {
    static func document(_ h: ModelHistory) -> JSONValue {
        var doc: [String: JSONValue] = [
            "schema": 1, "model": .string(h.model), "binary": .string(h.binary), "accel": .string(h.accel),
            "machine": h.machine.map { .string($0) } ?? .null, "feature": h.feature.map { .string($0) } ?? .null,
            "first-release": h.firstRelease.map { .string($0) } ?? .null,
            "releases-without": .array(h.releasesWithout.map { .string($0) }),
        ]
        doc["releases"] = .array(h.entries.map { e in
            var o: [String: JSONValue] = [
                "qemu-version": .string(e.version), "qemu-package": .string(e.package), "file": .string(e.file),
                "harvested": .bool(e.harvested), "exists": .bool(e.exists), "versions": .array(e.versions.map { .string($0) }),
                "missing-machine": e.missingMachine.map { .string($0) } ?? .null,
            ]
            o["machines"] = .array(e.machines.map { m in
                var mo: [String: JSONValue] = [
                    "machine": .string(m.machine), "machine-deprecated": .bool(m.machineDeprecated),
                    "alias-of": m.aliasOf.map { .string($0) } ?? .null, "deprecated": .bool(m.deprecated),
                    "compared-with": m.comparedWith.map { .string($0) } ?? .null,
                    "features-added": m.added.map { .array($0.map { .string($0) }) } ?? .null,
                    "features-removed": m.removed.map { .array($0.map { .string($0) }) } ?? .null,
                ]
                if let alias = m.aliasBefore { mo["alias-of-before"] = alias.map { .string($0) } ?? .null }
                if m.comparedWith != nil, m.features != nil {
                    mo["identity-changes"] = .array(m.identityChanges.map { c in
                        ["prop": .string(c.prop), "old": c.old ?? .null, "new": c.new ?? .null]
                    })
                }
                if h.feature != nil { mo["feature-value"] = m.featureValue.map { .bool($0) } ?? .null }
                return .object(mo)
            })
            return .object(o)
        })
        return .object(doc)
    }
}
