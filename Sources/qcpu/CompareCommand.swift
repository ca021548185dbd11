import ArgumentParser
import Foundation
import HostCPU
import QMP

/// `qcpu compare`: a guest CPU against hosts.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a guest CPU (-cpu string or libvirt <cpu> XML) with hosts: identical, subset, superset, incompatible.",
        discussion: """
            GUEST is a -cpu string (Model,+feature,-feature,feature=on|off), a libvirt <cpu> \
            element, or @FILE holding either. The result says how the guest's features relate to \
            what each host offers under KVM, with QEMU's query-cpu-model-comparison meaning: \
            identical or subset run there; superset and incompatible do not, and MISSING lists \
            the features responsible. Exit status 0 when the guest runs on every host, 1 otherwise.
            """)

    @Argument(help: ArgumentHelp("The guest CPU: Model,+f,-f or <cpu ...>...</cpu> or @FILE.", valueName: "guest"))
    var guest: String

    @OptionGroup var options: HostQuestionOptions

    func run() async throws {
        let fails = try await reportingErrors { () async throws -> Bool in
            var text = guest
            if guest.hasPrefix("@") {
                let path = String(guest.dropFirst())
                let bytes: [UInt8]
                do { bytes = try InputFile.read(path, maxBytes: GuestCPU.maxLength) } catch {
                    throw HostCPUError(.badGuest, "\(path): the guest CPU file: \(error)")
                }
                guard let decoded = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
                    throw HostCPUError(.badGuest, "\(path): the guest CPU file is not text (binary data or not UTF-8)")
                }
                text = decoded
            }
            let cpu = try GuestCPU.parse(text)
            let fleet = try await options.fleet()
            let machine = fleet.machine
            let results = try fleet.perHost { p in
                CPUComparison(guest: try cpu.features(in: p.modelSets, context: "on \(p.machine) (host record \(p.host))"),
                              host: p.supported)
            }
            switch options.format {
            case .json:
                print(JSONValue.object(["schema": 1, "guest": .string(cpu.option), "hosts": .array(results.map { host, c in
                    ["host": .string(host), "machine": .string(machine), "result": .string(c.relation.rawValue),
                     "runs": .bool(c.runs), "missing": .array(c.missing.map { .string($0) }),
                     "extra": .array(c.extra.map { .string($0) })]
                })]).prettyText)
            case .plain:
                for (host, c) in results { print(([host, c.relation.rawValue] + c.missing).joined(separator: "\t")) }
            case .table:
                var t = TextTable(header: ["HOST", "RESULT", "EXTRA", "MISSING"])
                for (host, c) in results {
                    t.rows.append([host, c.relation.rawValue, String(c.extra.count), c.missing.joined(separator: " ")])
                }
                print(t.render())
            }
            return results.contains { !$0.value.runs }
        }
        if fails { throw ExitCode(ExitStatus.failure) }
    }
}
