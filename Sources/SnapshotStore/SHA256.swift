import CSnapshotSupport

/// SHA-256 (FIPS 180-4), for the content digest snapshots carry.
public struct SHA256 {
    private var context = qcpu_sha256()

    /// Starts a digest.
    public init() { qcpu_sha256_init(&context) }

    /// Adds the UTF-8 bytes of `text`.
    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { bytes in qcpu_sha256_update(&context, bytes.baseAddress, bytes.count) }
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { qcpu_sha256_update(&context, $0.baseAddress, $0.count) }
    }

    /// The digest in lower-case hex (64 characters).
    public mutating func finalize() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { qcpu_sha256_final(&context, $0.baseAddress) }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: out.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The digest of `text`.
    public static func hex(_ text: String) -> String {
        var h = SHA256()
        h.update(text)
        return h.finalize()
    }
}
