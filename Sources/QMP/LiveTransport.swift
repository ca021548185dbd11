import Subprocess

/// The transport over a live QEMU's stdin and stdout: one JSON message per line.
final class LiveTransport: QMPTransport {
    private let writer: StandardInputWriter
    private var iterator: SubprocessOutputSequence.Iterator
    private let watchdog: Watchdog
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    /// Lines longer than this are garbage, not QMP.
    static let maxLine = 32 << 20

    init(writer: StandardInputWriter, iterator: SubprocessOutputSequence.Iterator, watchdog: Watchdog) {
        self.writer = writer
        self.iterator = iterator
        self.watchdog = watchdog
    }

    func greeting(timeout: Duration) async throws(QMPError) -> JSONValue {
        try await receive(timeout: timeout)
    }

    func send(_ command: JSONValue) async throws(QMPError) {
        var bytes: [UInt8] = []
        command.write(to: &bytes, indent: nil, level: 0)
        bytes.append(0x0A)
        let written: Int
        do { written = try await writer.write(bytes) } catch {
            throw QMPError(.processExited, "cannot write to QEMU: \(error)")
        }
        if written != bytes.count { throw QMPError(.processExited, "QEMU closed its input") }
    }

    func receive(timeout: Duration) async throws(QMPError) -> JSONValue {
        try Self.parse(try await readLine(timeout: timeout))
    }

    func receiveRaw(timeout: Duration) async throws(QMPError) -> [UInt8]? {
        try await readLine(timeout: timeout)
    }

    /// Parses one line QEMU printed as a QMP message.
    static func parse(_ line: [UInt8]) throws(QMPError) -> JSONValue {
        do {
            let value = try JSONParser.parse(line)
            guard case .object = value else {
                throw QMPError(.protocolViolation, "QEMU sent a JSON \(value.kind), not an object")
            }
            return value
        } catch let error as JSONParser.SyntaxError {
            let text = String(decoding: line.prefix(120), as: UTF8.self)
            throw QMPError(.protocolViolation, "QEMU sent garbage (\(error)): \(text)")
        } catch let error as QMPError {
            throw error
        } catch {
            throw QMPError(.protocolViolation, "\(error)")
        }
    }

    /// Reads and discards output until QEMU closes stdout.
    func drain(timeout: Duration) async throws(QMPError) {
        while !ended {
            do { _ = try await readLine(timeout: timeout) } catch where error.code == .processExited {
                return
            }
        }
    }

    private func readLine(timeout: Duration) async throws(QMPError) -> [UInt8] {
        watchdog.arm(timeout)
        defer { watchdog.disarm() }
        var scanned = start
        while true {
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[start..<end])
                start = nl + 1
                if start > 1 << 16 { buffer.removeFirst(start); start = 0 }
                if line.isEmpty { scanned = start; continue }
                return line
            }
            scanned = buffer.count
            if buffer.count - start > Self.maxLine {
                throw QMPError(.protocolViolation, "QEMU sent a line longer than \(Self.maxLine) bytes")
            }
            let chunk: SubprocessOutputSequence.Buffer?
            do { chunk = try await iterator.next() } catch {
                throw QMPError(.processExited, "reading QEMU output failed: \(error)")
            }
            guard let chunk else {
                ended = true
                if watchdog.fired { throw QMPError(.timeout, "QEMU did not answer within \(timeout)") }
                throw QMPError(.processExited, "QEMU closed its output")
            }
            chunk.withUnsafeBytes { buffer.append(contentsOf: $0) }
        }
    }
}
