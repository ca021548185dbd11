import Foundation
import QCPUTestSupport
import QMP
import Testing

@Suite struct TranscriptTests {
    let path = TestSupport.fixture("x86_64") + "/qemu-system-x86_64/pc-q35-7.2+tcg.replies"

    @Test func parsesARecordedTranscript() throws {
        let transcript = try Transcript(contentsOf: path)
        let first = try #require(transcript.exchanges.first)
        #expect(first.command["execute"] == "qmp_capabilities")
        #expect(first.command["id"] == "libvirt-1")
        #expect(transcript.exchanges[1].command["execute"] == "query-cpu-definitions")
        let defs = try #require(transcript.exchanges[1].reply["return"]?.arrayValue)
        let cascadelake = try #require(defs.first { $0["name"] == "Cascadelake-Server" })
        #expect(cascadelake["alias-of"] == "Cascadelake-Server-v1")
        #expect(transcript.exchanges.last?.command["execute"] == "quit")
    }

    @Test func rendersTheSameText() throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try Transcript(parsing: text).text == text)
    }

    @Test func rejectsACommandWithoutReply() {
        #expect {
            _ = try Transcript(parsing: "{\"execute\": \"query-kvm\", \"id\": \"libvirt-1\"}\n")
        } throws: { error in
            (error as? QMPError)?.code == .badTranscript
        }
    }

    @Test func replayAnswersRecordedCommandsAndRefusesOthers() async throws {
        let transcript = try Transcript(contentsOf: path)
        let client = QMPClient(transport: TranscriptTransport(transcript: transcript, name: "pc-q35-7.2"))
        try await client.start()
        let defs = try await client.execute("query-cpu-definitions")
        #expect(defs.arrayValue?.count == 132)  // QEMU lists every model; the harvester filters
        await #expect {
            try await client.execute("query-kvm")
        } throws: { error in
            (error as? QMPError)?.code == .transcriptMismatch
        }
    }
}
