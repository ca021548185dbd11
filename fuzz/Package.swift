// swift-tools-version: 6.1
// qcpu's libFuzzer targets: a package of its own, so the main package's `swift build` and
// `make test` never build it. `make fuzz` builds it with -sanitize=fuzzer and runs each target.
import PackageDescription

let package = Package(
    name: "qcpu-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "qcpu", path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (in the runtime -sanitize=fuzzer links).
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "qcpu-fuzz",
            dependencies: [
                "CFuzzer",
                .product(name: "QMP", package: "qcpu"),
                .product(name: "SnapshotStore", package: "qcpu"),
                .product(name: "HostCPU", package: "qcpu"),
                .product(name: "LibvirtImport", package: "qcpu"),
            ]),
    ]
)
