import Foundation
import QMP
import SnapshotStore

/// `manifest.json` of a `--record` directory: what transcripts cannot hold (binary sizes and
/// digests, the host of KVM sessions, sessions QEMU refused to start), so `--replay` can
/// rebuild the same snapshot.
public struct RecordingManifest: Sendable, Equatable {
    /// The note every manifest carries.
    public static let provenance =
        "QMP conversations with a real QEMU, recorded by `qcpu harvest --record`; nothing here is hand-written"
    /// The binaries recorded.
    public var binaries: [BinaryFile]
    /// The host of the KVM sessions, if any.
    public var host: HostRecord?
    /// Sessions QEMU refused to start: session name → QEMU's message.
    public var refused: [String: String]
    /// The `--accel`, `--machine` and `--model` options of the recording; a replay uses them
    /// unless it is given its own.
    public var accelerators: [String], machineGlobs: [String], modelGlobs: [String]

    /// Creates a manifest.
    public init(binaries: [BinaryFile], host: HostRecord?, refused: [String: String],
                accelerators: [String] = [], machineGlobs: [String] = [], modelGlobs: [String] = []) {
        self.binaries = binaries
        self.host = host
        self.refused = refused
        self.accelerators = accelerators
        self.machineGlobs = machineGlobs
        self.modelGlobs = modelGlobs
    }

    /// The manifest as JSON.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "provenance": .string(Self.provenance),
            "binaries": .array(binaries.map { ["name": .string($0.name), "size": .number(String($0.size)),
                                               "sha256": .string($0.sha256)] }),
            "refused": .object(refused.mapValues { .string($0) }),
            "options": ["accel": .array(accelerators.map { .string($0) }),
                        "machine": .array(machineGlobs.map { .string($0) }),
                        "model": .array(modelGlobs.map { .string($0) })],
        ]
        if let host { object["host"] = host.json }
        return .object(object)
    }

    /// Writes `manifest.json` into `directory`.
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        try Data((json.prettyText + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Adds the sessions a probe saw refused to the manifest in `directory` (when recording):
    /// a replay then takes the same path.
    static func addRefusals(_ refusals: [String: String], in directory: String?) throws {
        guard let directory, !refusals.isEmpty else { return }
        var manifest = try read(from: directory)
        manifest.refused.merge(refusals) { _, new in new }
        try manifest.write(to: directory)
    }

    /// Reads `manifest.json` from `directory`.
    public static func read(from directory: String) throws(HarvestError) -> RecordingManifest {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONParser.parse(Array(data))
        else { throw HarvestError(.badRecording, "\(path): missing or not JSON; was the directory made by --record?") }
        let binaries = (json["binaries"]?.arrayValue ?? []).compactMap { b -> BinaryFile? in
            guard let name = b["name"]?.stringValue, let size = b["size"]?.intValue, let sha = b["sha256"]?.stringValue
            else { return nil }
            return BinaryFile(path: name, name: name, size: Int64(size), sha256: sha)
        }
        var host: HostRecord?
        if let h = json["host"] {
            host = HostRecord(
                vendor: h["vendor"]?.stringValue ?? "", family: h["family"]?.intValue ?? 0,
                model: h["model"]?.intValue ?? 0, stepping: h["stepping"]?.intValue ?? 0,
                modelName: h["model-name"]?.stringValue ?? "", microcode: h["microcode"]?.stringValue ?? "",
                kernel: h["kernel"]?.stringValue ?? "")
        }
        let refused = (json["refused"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        func list(_ key: String) -> [String] { json["options"]?[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        return RecordingManifest(binaries: binaries, host: host, refused: refused, accelerators: list("accel"),
                                 machineGlobs: list("machine"), modelGlobs: list("model"))
    }
}
