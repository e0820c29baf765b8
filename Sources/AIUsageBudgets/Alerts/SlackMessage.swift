import AIUsage

/// An alert as a Slack incoming-webhook message: a header, the figures as fields (scope,
/// period, spend, limit, percent, remaining, projected), the report link, and a plain `text`
/// for notifications.
enum SlackMessage {
    static func body(_ payload: JSONValue) -> [UInt8] {
        func text(_ key: String) -> String { payload[key]?.stringValue ?? payload[key]?.numberText ?? "–" }
        func money(_ key: String) -> String {
            guard let value = payload[key]?.decimalValue else { return "–" }
            return BudgetAlert.money(value)
        }
        let level = text("level")
        let emoji = switch level {
        case "info": ":information_source:"
        case "warning": ":warning:"
        case "projected": ":chart_with_upwards_trend:"
        default: ":rotating_light:"
        }
        func field(_ label: String, _ value: String) -> JSONValue {
            .object([.init(key: "type", value: "mrkdwn"), .init(key: "text", value: .string("*\(label)*\n\(escape(value))"))])
        }
        var blocks: [JSONValue] = [
            .object([
                .init(key: "type", value: "header"),
                .init(key: "text", value: .object([
                    .init(key: "type", value: "plain_text"),
                    .init(key: "text", value: .string("\(level.uppercased()): budget alert for \(text("scope"))")),
                ])),
            ]),
            .object([
                .init(key: "type", value: "section"),
                .init(key: "fields", value: .array([
                    field("Scope", text("scope")),
                    field("Period", "\(text("period")) \(text("period_label"))"),
                    field("Spend", money("spend_usd")),
                    field("Limit", money("limit_usd")),
                    field("Percent", "\(text("percent"))%"),
                    field("Remaining", money("remaining_usd")),
                    field("Projected", money("projected_spend_usd")),
                    field("Budget", "\(text("budget_scope")) (\(text("budget_kind")))"),
                ])),
            ]),
        ]
        var context = "alert \(text("id"))"
        if let url = payload["report_url"]?.stringValue { context = "<\(url)|Report> · " + context }
        blocks.append(.object([
            .init(key: "type", value: "context"),
            .init(key: "elements", value: .array([.object([.init(key: "type", value: "mrkdwn"), .init(key: "text", value: .string(context))])])),
        ]))
        return JSONValue.object([
            .init(key: "text", value: .string("\(emoji) \(escape(text("message")))")),
            .init(key: "blocks", value: .array(blocks)),
        ]).serializedBytes()
    }

    /// Slack's three control characters in mrkdwn text.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}
