import AIUsage
import CurlHTTP

/// Delivers one alert payload to one channel over `HTTPTransport` (or to standard output).
/// A delivery succeeds on a 2xx answer; anything else is a failure with a reason for the log,
/// never quoting the URL's path (a Slack webhook's path is its secret) or the signing secret.
public struct AlertSender: Sendable {
    public let transport: any HTTPTransport
    public let signer: AlertSigner?
    /// Where `stdout` deliveries go (one JSON line each).
    public let standardOutput: @Sendable (String) -> Void
    private let clock: @Sendable () -> UTCTimestamp

    public init(
        transport: any HTTPTransport, signer: AlertSigner?,
        standardOutput: @escaping @Sendable (String) -> Void = { print($0) },
        clock: @escaping @Sendable () -> UTCTimestamp = { .now() }
    ) {
        self.transport = transport
        self.signer = signer
        self.standardOutput = standardOutput
        self.clock = clock
    }

    /// Why a delivery failed, in words safe for a log.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Each delivery waits at most this long.
    public static let timeouts = HTTPTimeouts(connect: .seconds(3), total: .seconds(10))

    public func deliver(_ payload: JSONValue, to channel: AlertChannel) async throws(Failure) {
        let alertId = payload["id"]?.stringValue ?? ""
        switch channel {
        case .stdout:
            standardOutput(payload.serialized())
        case .webhook(let url):
            guard let signer else {
                throw Failure(description: "AI_USAGE_ALERT_SECRET is not set (at least 16 bytes): webhook alerts are always signed")
            }
            let body = payload.serializedBytes()
            let timestamp = clock().microsecondsSinceEpoch / 1_000_000
            let headers: HTTPHeaders = [
                "Content-Type": "application/json",
                AlertSigner.timestampHeader: String(timestamp),
                AlertSigner.signatureHeader: signer.signature(timestamp: timestamp, body: body),
                AlertSigner.alertIdHeader: alertId,
            ]
            try await post(url, headers: headers, body: body, channel: channel)
        case .slack(let url):
            try await post(url, headers: ["Content-Type": "application/json"], body: SlackMessage.body(payload), channel: channel)
        }
    }

    private func post(_ url: String, headers: HTTPHeaders, body: [UInt8], channel: AlertChannel) async throws(Failure) {
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeouts: Self.timeouts.clampedToDeadline()))
        } catch {
            throw Failure(description: "\(channel): \(error.kind.rawValue)")
        }
        guard (200..<300).contains(response.status) else {
            throw Failure(description: "\(channel): HTTP \(response.status)")
        }
    }
}
