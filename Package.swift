// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "qcpu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "qcpu", targets: ["qcpu"]),
        .library(name: "QMP", targets: ["QMP"]),
        .library(name: "SnapshotStore", targets: ["SnapshotStore"]),
        .library(name: "Harvester", targets: ["Harvester"]),
        .library(name: "CPUQuery", targets: ["CPUQuery"]),
        .library(name: "CPUDiff", targets: ["CPUDiff"]),
        .library(name: "CPUHistory", targets: ["CPUHistory"]),
        .library(name: "HostCPU", targets: ["HostCPU"]),
        .library(name: "LibvirtImport", targets: ["LibvirtImport"]),
        .library(name: "Exports", targets: ["Exports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "QMP",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "SnapshotStore",
            dependencies: [
                "QMP",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "Harvester",
            dependencies: [
                "QMP", "SnapshotStore",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "LibvirtImport",
            dependencies: ["QMP", "SnapshotStore", "Harvester", "HostCPU"]),
        .target(
            name: "CPUQuery",
            dependencies: ["QMP", "SnapshotStore"]),
        .target(
            name: "HostCPU",
            dependencies: ["QMP", "SnapshotStore", "CPUQuery"]),
        .target(
            name: "Exports",
            dependencies: ["QMP", "SnapshotStore", "CPUQuery", "HostCPU", "LibvirtImport"]),
        .target(
            name: "CPUDiff",
            dependencies: ["QMP", "SnapshotStore"]),
        .target(
            name: "CPUHistory",
            dependencies: ["QMP", "SnapshotStore", "CPUQuery"]),
        .executableTarget(
            name: "qcpu",
            dependencies: [
                "QMP", "SnapshotStore", "Harvester", "CPUQuery", "CPUDiff", "CPUHistory", "HostCPU", "LibvirtImport", "Exports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "qcpu-bench", dependencies: ["CPUQuery", "HostCPU", "SnapshotStore", "QCPUTestSupport"]),
        .target(
            name: "QCPUTestSupport", dependencies: ["QMP", "SnapshotStore", "Harvester", "CPUQuery", "HostCPU"],
            path: "Tests/QCPUTestSupport", resources: [.copy("Fixtures")]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "QCPUTestSupport"]),
        .testTarget(name: "SnapshotStoreTests", dependencies: ["SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "HostCPUTests", dependencies: ["HostCPU", "Harvester", "CPUQuery", "SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "HarvesterTests", dependencies: ["Harvester", "SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "CPUDiffTests", dependencies: ["CPUDiff", "SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "CPUHistoryTests", dependencies: ["CPUHistory", "CPUQuery", "SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "LibvirtImportTests", dependencies: ["LibvirtImport", "Harvester", "SnapshotStore", "CPUQuery", "HostCPU", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "ExportsTests", dependencies: ["Exports", "HostCPU", "CPUQuery", "LibvirtImport", "SnapshotStore", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "CPUQueryTests", dependencies: ["CPUQuery", "SnapshotStore", "Harvester", "QMP", "QCPUTestSupport"]),
        .testTarget(name: "qcpuTests", dependencies: ["SnapshotStore", "HostCPU", "QMP", "QCPUTestSupport"], resources: [.copy("Expected")]),
    ]
)
