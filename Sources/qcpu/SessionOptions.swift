import ArgumentParser

/// `--machine` and `--accel`: which session of QEMU a question is about.
struct SessionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @Option(help: "Accelerator: tcg or kvm.")
    var accel: String = "tcg"
}
