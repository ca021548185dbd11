import Foundation
import Harvester
import HostCPU
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// The offline enforce preview against QEMU's own `unavailable-features`, on an Intel and an AMD
/// host (recordings), and on this machine's KVM (live).
@Suite struct EnforcePreviewTests {
    /// QEMU's `unavailable-features` per machine type and model, as recorded in each
    /// `<machine>+kvm.replies` session of a capture (the oracle: previews never read it).
    static func recordedUnavailable(_ directory: String) throws -> [String: [String: [String]]] {
        let sessions = directory + "/qemu-system-x86_64"
        var result: [String: [String: [String]]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: sessions) where file.hasSuffix("+kvm.replies") {
            let machine = String(file.dropLast("+kvm.replies".count))
            let transcript = try Transcript(contentsOf: sessions + "/" + file)
            guard let defs = transcript.exchanges.first(where: { $0.command["execute"]?.stringValue == "query-cpu-definitions" })
            else { continue }
            var models: [String: [String]] = [:]
            for d in defs.reply["return"]?.arrayValue ?? [] {
                guard let name = d["name"]?.stringValue else { continue }
                models[name] = (d["unavailable-features"]?.arrayValue ?? []).compactMap(\.stringValue)
            }
            result[machine] = models
        }
        return result
    }

    /// Every (machine type, model) of `oracle`: offline blockers vs the list QEMU reported.
    static func compare(_ record: HostRecordFile, with oracle: [String: [String: [String]]]) throws -> (rows: Int, mismatches: [String]) {
        var rows = 0
        var mismatches: [String] = []
        for (machine, models) in oracle.sorted(by: { $0.key < $1.key }) {
            let profile = try record.profile(machine: machine)
            for (model, unavailable) in models.sorted(by: { $0.key < $1.key }) {
                let qemu = Set(unavailable.compactMap { record.space.resolve($0) })
                let offline = profile.blockers(of: model).map(Set.init)
                rows += 1
                if offline != qemu { mismatches.append("\(machine) \(model): qcpu \(offline?.sorted() ?? ["(unknown model)"]) QEMU \(qemu.sorted())") }
            }
        }
        return (rows, mismatches)
    }

    @Test func recordedIntelCaptureMatchesQEMUExactly() async throws {
        let record = try HostRecordFile(path: try await TestSupport.recordedHostRecord())
        let (rows, mismatches) = try Self.compare(record, with: try Self.recordedUnavailable(TestSupport.fixture("host-x86_64")))
        #expect(rows == 2 * 132)
        #expect(mismatches == [])
        #expect(record.release?.version == "7.2.22")
        // QEMU turns these on in KVM's supported set on every host, and `-cpu host` leaves them off.
        #expect(record.extraFeatures == ["kvm-hint-dedicated", "topoext"])
        let q35 = try record.profile(machine: "q35")
        #expect(q35.machine == "pc-q35-7.2")
        #expect(q35.blockers(of: "qemu64") == ["pni"])
        #expect(q35.blockers(of: "EPYC")?.contains("topoext") == false)
        #expect(q35.nonMigratable == ["invtsc"])
        // microvm's split irqchip lets KVM offer kvm-msi-ext-dest-id, which its models then carry.
        let microvm = try record.profile(machine: "microvm")
        #expect(microvm.supported.contains("kvm-msi-ext-dest-id"))
        #expect(!q35.supported.contains("kvm-msi-ext-dest-id"))
    }

    /// The AMD EPYC KVM guest (shared/hosts), QEMU 7.2.22 and 10.0.2, replayed on any machine.
    @Test(arguments: [("qemu-7.2.22", 5 * 132), ("qemu-10.0.2", 4 * 154)])
    func recordedAMDCaptureMatchesQEMUExactly(release: String, expectedRows: Int) async throws {
        let dir = TestSupport.amdRecordings + "/" + release
        let record = try HostRecordFile(path: try await TestSupport.replayedHostRecord(dir, named: "amd-" + release))
        #expect(record.fingerprint.vendor == "AuthenticAMD")
        #expect(record.release?.version == String(release.dropFirst("qemu-".count)))
        let (rows, mismatches) = try Self.compare(record, with: try Self.recordedUnavailable(dir))
        #expect(rows == expectedRows)
        #expect(mismatches == [])
        // topoext, which EPYC models carry, is never a blocker there (QEMU adds it to KVM's set).
        let q35 = try record.profile(machine: release == "qemu-7.2.22" ? "pc-q35-7.2" : "pc-q35-10.0")
        #expect(q35.blockers(of: "EPYC-Rome")?.contains("topoext") == false)
        #expect(q35.blockers(of: "EPYC-Rome")?.contains("pni") == true)
        // The recording predates the runtime probe: the record says so instead of guessing.
        #expect(!record.runtimeProbed)
    }

    /// On this machine with KVM: every model on every machine type of the installed QEMU, against
    /// a QEMU per machine type asked `query-cpu-definitions` under KVM.
    @Test func liveCaptureOfEveryMachineTypeMatchesQEMUExactly() async throws {
        guard TestSupport.kvmUsable else {
            await #expect(throws: HarvestError.self) { _ = try await TestSupport.liveHostRecord() }
            return
        }
        let record = try HostRecordFile(path: try await TestSupport.liveHostRecord())
        #expect(record.runtimeProbed)
        var oracle: [String: [String: [String]]] = [:]
        let reader = try SnapshotReader(path: record.path)
        for m in try reader.machines(binary: record.binary) {
            guard try reader.session(binary: record.binary, machine: m.name, accel: "kvm")?.status == "ok" else { continue }
            oracle[m.name] = try await QEMUProcess.withSession(
                executable: TestSupport.qemuX86, arguments: QEMUProcess.standardArguments(machine: m.name, accel: "kvm")
            ) { client in
                var models: [String: [String]] = [:]
                for d in try await client.execute("query-cpu-definitions").arrayValue ?? [] {
                    guard let name = d["name"]?.stringValue else { continue }
                    models[name] = (d["unavailable-features"]?.arrayValue ?? []).compactMap(\.stringValue)
                }
                return models
            }
        }
        let (rows, mismatches) = try Self.compare(record, with: oracle)
        #expect(rows > 7_000)
        #expect(mismatches == [])
    }

    @Test func captureOfABinaryThatCannotUseKVMIsRefusedWithAReason() async throws {
        // qemu-system-aarch64 cannot use this x86 host's KVM: a host record has nothing to describe.
        var options = HarvestOptions()
        options.binaries = ["/usr/bin/qemu-system-aarch64"]
        options.machineGlobs = ["virt-7.2"]
        do {
            _ = try await HostCapture(options: options).run()
            Issue.record("a binary without KVM gave a host record")
        } catch let error as HarvestError {
            #expect(error.code == .noKVM)
            #expect(error.message.contains("KVM"))
        }
        let status = try TestSupport.runQCPU(["host", "capture", "--qemu", "/usr/bin/qemu-system-aarch64", "--machine", "virt-7.2",
                                              "-o", try TestSupport.temporaryDirectory() + "/h.sqlite"])
        #expect(status.status == 69)
        #expect(status.stderr.contains("KVM"))
    }
}

/// Records written before light records (every model's KVM expansion inside) are still read.
@Suite struct OldHostRecordTests {
    @Test func aFullRecordOfTheOldFormatAnswersFromItsOwnRows() async throws {
        let path = try TestSupport.temporaryDirectory() + "/old.sqlite"
        try await TestSupport.writeOldFormatHostRecord(to: path)
        let record = try HostRecordFile(path: path)
        #expect(record.release == nil)
        let (rows, mismatches) = try EnforcePreviewTests.compare(
            record, with: try EnforcePreviewTests.recordedUnavailable(TestSupport.fixture("host-x86_64")))
        #expect(rows == 2 * 132)
        #expect(mismatches == [])
        // Its own recorded unavailable-features are kept for reference.
        #expect(try record.profile(machine: "pc-q35-7.2").recordedUnavailable["qemu64"] == ["pni"])
    }
}
