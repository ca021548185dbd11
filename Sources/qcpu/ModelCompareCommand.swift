import ArgumentParser
import HostCPU
import QMP

/// `qcpu model-compare`: QEMU's query-cpu-model-comparison of two CPU models, offline.
struct ModelCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-compare",
        abstract: "Compare two CPU models the way QEMU's query-cpu-model-comparison does (s390x), offline.",
        discussion: """
            A and B are -cpu strings (z14,vx=off,msa9=on) or libvirt <cpu> elements. The result \
            is identical, subset (A runs where B does), superset or incompatible, weighing the \
            CPU generation and GA level ('type' among the responsible properties) as well as the \
            features, from the snapshot's expansions and its recorded CPU model table. Exit \
            status 0 for identical or subset, 1 otherwise.
            """)

    @Argument(help: ArgumentHelp("Model A (the guest).", valueName: "a"))
    var a: String

    @Argument(help: ArgumentHelp("Model B (what A is compared against).", valueName: "b"))
    var b: String

    @OptionGroup var options: ModelAlgebraOptions

    func run() async throws {
        let runs = try await reportingErrors { () throws -> Bool in
            let opened = try options.open()
            let c = opened.algebra.compare(try options.model(a, in: opened), try options.model(b, in: opened))
            switch options.format {
            case .json:
                print(JSONValue.object(["schema": 1, "result": .string(c.result.rawValue),
                                        "responsible-properties": .array(c.responsible.map { .string($0) })]).prettyText)
            case .plain:
                print(([c.result.rawValue] + c.responsible).joined(separator: "\t"))
            case .table:
                print("\(c.result.rawValue)\(c.responsible.isEmpty ? "" : ": " + c.responsible.joined(separator: " "))")
            }
            return c.result == .identical || c.result == .subset
        }
        if !runs { throw ExitCode(ExitStatus.failure) }
    }
}
