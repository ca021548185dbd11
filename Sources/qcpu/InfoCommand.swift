import ArgumentParser
import Foundation
import QMP
import SnapshotStore

/// `qcpu info`: a snapshot's metadata and counts.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print a snapshot's metadata and counts.")

    @Argument(help: ArgumentHelp("The snapshot file.", valueName: "file"))
    var file: String

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func run() async throws {
        try await reportingErrors {
            let reader = try SnapshotReader(path: file)
            let meta = try reader.meta()
            let counts = try reader.counts()
            let coverage = try reader.coverage()
            let unsupported = try reader.metaStrings("unsupported") ?? []
            let binaries = try reader.binaryRecords().map(BinarySummary.init)
            switch format {
            case .json:
                let json: JSONValue = [
                    "schema": 1,
                    "file": .string(file),
                    "schema-version": .int(reader.header.schemaVersion),
                    "qemu-version": .string(meta["qemu_version"] ?? ""),
                    "qemu-package": .string(meta["qemu_package"] ?? ""),
                    "qcpu-version": .string(meta["qcpu_version"] ?? ""),
                    "harvest-time": .string(meta["harvest_time"] ?? ""),
                    "binaries": .array(binaries.map(\.json)),
                    "coverage": coverage,
                    "unsupported": .array(unsupported.map { .string($0) }),
                    "counts": [
                        "binaries": .int(counts.binaries), "machine-types": .int(counts.machineTypes),
                        "models": .int(counts.models), "sessions": .int(counts.sessions),
                        "definitions": .int(counts.definitions), "expansions": .int(counts.expansions),
                        "failed-expansions": .int(counts.failedExpansions),
                        "distinct-property-sets": .int(counts.distinctPropertySets),
                        "distinct-properties": .int(counts.distinctProperties),
                    ],
                ]
                print(json.prettyText)
            case .table, .plain:
                var rows: [(String, String)] = [
                    ("file", file),
                    ("schema version", String(reader.header.schemaVersion)),
                    ("QEMU", "\(meta["qemu_version"] ?? "?") (\(meta["qemu_package"] ?? ""))"),
                    ("written by", "qcpu \(meta["qcpu_version"] ?? "?")"),
                    ("harvest time", meta["harvest_time"] ?? "?"),
                ]
                for b in binaries { rows.append(("binary", b.line)) }
                rows += [
                    ("host-dependent", coverage["host-dependent"]?.boolValue == true ? "yes (KVM rows)" : "no"),
                    ("machine types", String(counts.machineTypes)),
                    ("models", String(counts.models)),
                    ("sessions", String(counts.sessions)),
                    ("definitions", String(counts.definitions)),
                    ("expansions", "\(counts.expansions) (\(counts.failedExpansions) errors)"),
                    ("property sets", "\(counts.distinctPropertySets) distinct, \(counts.distinctProperties) distinct props"),
                ]
                for u in unsupported { rows.append(("unsupported", u)) }
                let width = rows.map(\.0.count).max() ?? 0
                for (k, v) in rows {
                    print(format == .plain ? "\(k)\t\(v)" : k.padding(toLength: width + 2, withPad: " ", startingAt: 0) + v)
                }
            }
        }
    }
}

/// One binary's line in `qcpu info`.
struct BinarySummary {
    var name: String, arch: String, accelerators: [String], size: Int64, sha256: String

    init(_ b: BinaryRecord) {
        (name, arch, accelerators, size, sha256) = (b.name, b.arch, b.accelerators, b.size, b.sha256)
    }

    var line: String { "\(name) (\(arch); \(accelerators.joined(separator: ", ")); sha256 \(sha256.prefix(12)))" }

    var json: JSONValue {
        ["name": .string(name), "arch": .string(arch), "accelerators": .array(accelerators.map { .string($0) }),
         "size": .number(String(size)), "sha256": .string(sha256)]
    }
}
