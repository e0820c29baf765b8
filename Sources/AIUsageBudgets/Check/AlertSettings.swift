import AIUsage

/// The alert settings both the Lambda and the CLI take from the environment:
/// - `AI_USAGE_ALERT_CHANNELS`: the channels of budgets that name none (`webhook:<url>`,
///   `slack:<url>`, `stdout`, comma-separated);
/// - `AI_USAGE_ALERT_SECRET`: the webhook signing secret (at least 16 bytes); never logged;
/// - `AI_USAGE_REPORT_URL`: the public `…/ai_usage/report` URL alerts link to;
/// - `AI_USAGE_ALERT_MAX_ATTEMPTS` (6, 1–50) and `AI_USAGE_ALERT_RETRY_SECONDS` (300, 0–86400):
///   the outbox's retry policy.
public struct AlertSettings: Sendable {
    public var channels: [AlertChannel] = []
    public var signer: AlertSigner?
    public var reportURL: String?
    public var maxAttempts = 6
    public var retrySeconds: Int64 = 300

    public init() {}

    /// The settings, or one sentence naming the variable that is wrong (its value is never quoted
    /// for the secret).
    public static func fromEnvironment(_ environment: [String: String]) -> Result<AlertSettings, BudgetError> {
        var settings = AlertSettings()
        do throws(BudgetError) {
            if let text = environment["AI_USAGE_ALERT_CHANNELS"], !text.isEmpty {
                do throws(BudgetError) {
                    settings.channels = try AlertChannel.parseList(text)
                } catch {
                    throw BudgetError.invalid("AI_USAGE_ALERT_CHANNELS: \(error.description)")
                }
            }
            if let secret = environment["AI_USAGE_ALERT_SECRET"], !secret.isEmpty {
                guard let signer = AlertSigner(secret: secret) else {
                    throw BudgetError.invalid("AI_USAGE_ALERT_SECRET must be at least 16 bytes (its value is not shown)")
                }
                settings.signer = signer
            }
            if let url = environment["AI_USAGE_REPORT_URL"], !url.isEmpty {
                guard (url.hasPrefix("https://") || url.hasPrefix("http://")), url.utf8.count <= 1024,
                      url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !url.contains("?"), !url.contains("#") else {
                    throw BudgetError.invalid("AI_USAGE_REPORT_URL must be an http(s) URL without spaces, query or fragment, e.g. https://api.example.com/prod/ai_usage/report")
                }
                settings.reportURL = url
            }
            settings.maxAttempts = try integer("AI_USAGE_ALERT_MAX_ATTEMPTS", environment, default: 6, range: 1...50)
            settings.retrySeconds = Int64(try integer("AI_USAGE_ALERT_RETRY_SECONDS", environment, default: 300, range: 0...86_400))
        } catch {
            return .failure(error)
        }
        return .success(settings)
    }

    private static func integer(_ name: String, _ environment: [String: String], default value: Int, range: ClosedRange<Int>) throws(BudgetError) -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw BudgetError.invalid("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(InputEcho.short(text, limit: 40))'")
        }
        return number
    }
}
