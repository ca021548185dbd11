import Foundation
import Synchronization

/// A single updating progress line on stderr, shown only on a terminal.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let width = Mutex(0)

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ text: String) {
        guard enabled else { return }
        let line = String(text.prefix(79))
        width.withLock { w in
            let pad = String(repeating: " ", count: max(0, w - line.count))
            FileHandle.standardError.write(Data("\r\(line)\(pad)".utf8))
            w = line.count
        }
    }

    func finish() {
        guard enabled else { return }
        width.withLock { w in
            if w > 0 { FileHandle.standardError.write(Data("\r\(String(repeating: " ", count: w))\r".utf8)) }
            w = 0
        }
    }
}
