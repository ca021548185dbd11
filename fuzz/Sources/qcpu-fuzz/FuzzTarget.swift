import Foundation
import HostCPU
import LibvirtImport
import QMP
import SnapshotStore

/// One parser under the fuzzer: it reads the input and traps (so libFuzzer records a crash) when
/// a property of the parser fails: a refusal that is not one short line, or accepted input that
/// does not read back the same from the parser's own output.
enum FuzzTarget: String, CaseIterable {
    case json, replies, xml, cpuXML = "cpu-xml", cpuOption = "cpu-option", snapshot

    /// Runs the target on one input.
    func run(_ data: [UInt8]) {
        switch self {
        case .json: Self.json(data)
        case .replies: Self.replies(data)
        case .xml: Self.xml(data)
        case .cpuXML, .cpuOption: Self.guest(data, xml: self == .cpuXML)
        case .snapshot: Self.snapshot(data)
        }
    }

    /// Traps unless `message` is one line of at most 600 bytes without control characters.
    static func checkMessage(_ message: String, _ what: String) {
        if message.contains("\n") || message.contains("\r") || message.utf8.count > 600
            || message.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            fatalError("\(what): a refusal that is not one short line: \(message.debugDescription.prefix(2000))")
        }
    }

    static func json(_ data: [UInt8]) {
        do {
            let value = try JSONParser.parse(data)
            guard let again = try? JSONParser.parse(value.canonicalText), again == value,
                  (try? JSONParser.parse(value.prettyText)) == value else {
                fatalError("json: accepted, but its canonical or pretty text reads back differently")
            }
        } catch {
            checkMessage(error.description, "json")
        }
    }

    static func replies(_ data: [UInt8]) {
        do {
            let t = try Transcript(parsing: data, name: "fuzz.replies")
            guard (try? Transcript(parsing: t.text)) == t else { fatalError("replies: the transcript's text reads back differently") }
        } catch {
            guard error.code == .badTranscript else { fatalError("replies: error code \(error.code)") }
            checkMessage(error.description, "replies")
            return
        }
        do {
            let r = try LibvirtReplies(parsing: data, file: "caps_7.2.22_fuzz.replies")
            if let d = try? HostRecordImporter.data(r) { _ = d.fingerprint }
            let s = try LibvirtImporter(sourceDateEpoch: 0).snapshot(of: [r])
            do { try SnapshotWriter().write(s, to: scratch(".sqlite")) } catch {
                fatalError("replies: imported, then the snapshot writer failed: \(error)")
            }
        } catch {
            checkMessage(error.description, "import")
        }
    }

    static func xml(_ data: [UInt8]) {
        do {
            let root = try BoundedXML().parse(data)
            _ = root.children.count
            do { _ = try LibvirtCapsXML(bytes: data, file: "fuzz.xml") } catch { checkMessage(error.description, "caps xml") }
        } catch {
            checkMessage(error.description, "xml")
        }
    }

    static func guest(_ data: [UInt8], xml: Bool) {
        let text = String(decoding: data, as: UTF8.self)
        let isXML = text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<")
        do {
            let g = try GuestCPU.parse(text)
            if isXML {
                guard (try? GuestCPU.parse(g.libvirtXML)) == g else { fatalError("cpu-xml: \(g) reads back differently from its XML") }
            } else if !g.model.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                guard (try? GuestCPU.parse(g.option)) == g else { fatalError("cpu-option: \(g) reads back differently from \(g.option)") }
            }
        } catch {
            guard error.code == .badGuest else { fatalError("cpu: error code \(error.code)") }
            checkMessage(error.description, xml ? "cpu-xml" : "cpu-option")
        }
    }

    /// The input written to a file and opened, loaded and validated with the public reader API.
    static func snapshot(_ data: [UInt8]) {
        let path = scratch(".sqlite")
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { fatalError("cannot write \(path)") }
        do {
            let reader = try SnapshotReader(path: path)
            _ = try reader.meta()
            _ = try reader.counts()
            _ = try reader.load()
        } catch {}
        _ = try? SnapshotValidator().validate(path: path)
    }

    /// A scratch file of this process (in /dev/shm when there is one: no disk writes per input).
    static func scratch(_ suffix: String) -> String {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return dir + "/qcpu-fuzz-\(getpid())" + suffix
    }
}
