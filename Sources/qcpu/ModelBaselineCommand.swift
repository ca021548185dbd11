import ArgumentParser
import HostCPU
import QMP

/// `qcpu model-baseline`: QEMU's query-cpu-model-baseline of CPU models, offline.
struct ModelBaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-baseline",
        abstract: "Baseline CPU models the way QEMU's query-cpu-model-baseline does (s390x), offline.",
        discussion: """
            Each MODEL is a -cpu string or a libvirt <cpu> element. Two models give exactly \
            QEMU's answer: the newest CPU definition both can be, as its static -base model with \
            the features both have switched on or off. More models are folded pairwise, as \
            libvirt's hypervisor-cpu-baseline does.
            """)

    @Argument(help: ArgumentHelp("Two or more models.", valueName: "model"))
    var models: [String]

    @OptionGroup var options: ModelAlgebraOptions

    func validate() throws {
        if models.count < 2 { throw ValidationError("give at least two models") }
    }

    func run() async throws {
        try await reportingErrors {
            let opened = try options.open()
            let algebra = opened.algebra
            var result = try algebra.baseline(try options.model(models[0], in: opened), try options.model(models[1], in: opened))
            for next in models.dropFirst(2) {
                result = try algebra.baseline(result.model, try options.model(next, in: opened))
            }
            switch options.format {
            case .json:
                print(JSONValue.object(["schema": 1, "model": [
                    "name": .string(result.name), "props": .object(result.props.mapValues { .bool($0) })]]).prettyText)
            case .plain, .table:
                print(result.option(in: algebra))
            }
        }
    }
}
