import ArgumentParser
import CPUQuery
import Foundation
import QMP

/// `qcpu builds`: the QEMU builds, binaries, targets and accelerators the snapshots cover.
struct BuildsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builds", abstract: "List the QEMU builds, binaries, targets and accelerators the snapshots cover.")

    @Option(name: .customLong("snapshot"), help: ArgumentHelp("A snapshot file (repeatable; default: the search path).", valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var snapshots: [String] = []

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func run() async throws {
        try await reportingErrors {
            let q = try CPUQuery(locator: SnapshotLocator(explicitFiles: snapshots, executable: executablePath()), mode: .offline)
            let builds = try q.builds()
            switch format {
            case .json:
                let list: [JSONValue] = builds.map { b in
                    ["qemu-version": .string(b.version), "qemu-package": .string(b.package), "file": .string(b.file),
                     "origin": .string(b.origin),
                     "binaries": .array(b.binaries.map { ["name": .string($0.name), "arch": .string($0.arch),
                                                          "accelerators": .array($0.accelerators.map { .string($0) })] })]
                }
                print(JSONValue.object(["schema": 1, "builds": .array(list)]).prettyText)
            case .plain:
                for b in builds { for bin in b.binaries {
                    print([b.version, bin.name, bin.arch, bin.accelerators.joined(separator: ","), b.file].joined(separator: "\t"))
                } }
            case .table:
                var t = TextTable(header: ["QEMU", "BINARY", "ARCH", "ACCEL", "SNAPSHOT"])
                for b in builds { for bin in b.binaries {
                    t.rows.append([b.version, bin.name, bin.arch, bin.accelerators.joined(separator: ","),
                                   "\(b.origin): \((b.file as NSString).lastPathComponent)"])
                } }
                print(t.render())
            }
        }
    }
}
