import Crypto

/// Signs webhook deliveries so a receiver can tell them from forgeries: HMAC-SHA256 with the
/// shared secret over `<timestamp>.<body>`, sent as
/// `X-AI-Usage-Signature: v1=<64 hex digits>` with `X-AI-Usage-Timestamp: <unix seconds>`.
/// The timestamp is signed too, so a receiver that refuses old timestamps also refuses replays.
public struct AlertSigner: Sendable {
    private let key: SymmetricKey

    public static let signatureHeader = "X-AI-Usage-Signature"
    public static let timestampHeader = "X-AI-Usage-Timestamp"
    public static let alertIdHeader = "X-AI-Usage-Alert-Id"

    /// - Parameter secret: the shared secret's bytes (at least 16).
    public init?(secret: String) {
        guard secret.utf8.count >= 16 else { return nil }
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// `v1=` and the lower-case hex HMAC-SHA256 of `<timestamp>.<body>`.
    public func signature(timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: key)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in code {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return "v1=" + String(decoding: hex, as: UTF8.self)
    }

    /// Whether `signature` is this secret's for the timestamp and body (constant time).
    public func verify(signature: String, timestamp: Int64, body: [UInt8]) -> Bool {
        let expected = Array(self.signature(timestamp: timestamp, body: body).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }
}
