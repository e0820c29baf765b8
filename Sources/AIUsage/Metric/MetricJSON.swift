import DynamoDB
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AIUsageMetric {
    /// The metric as one JSON object with the item's snake_case names (no keys, no index
    /// attributes). Numbers are exact: `cost_usd` is written from its decimal text.
    public var json: JSONValue {
        var members: [JSONValue.Member] = [
            .init(key: "service", value: .string(service)), .init(key: "model", value: .string(model)),
            .init(key: "operation", value: .string(operation)), .init(key: "timestamp", value: .string(timestamp.iso8601)),
            .init(key: "request_id", value: .string(requestId)), .init(key: "api_calls", value: .number(apiCalls)),
        ]
        func add(_ name: String, _ value: JSONValue?) { if let value { members.append(.init(key: name, value: value)) } }
        func add(_ name: String, _ value: Int?) { add(name, value.map { JSONValue.number($0) }) }
        func add(_ name: String, _ value: String?) { add(name, value.map { JSONValue.string($0) }) }
        add("input_tokens", inputTokens)
        add("output_tokens", outputTokens)
        add("total_tokens", totalTokens)
        add("cost_usd", costUSD.map { JSONValue.number($0) })
        add("priced_with", pricedWith)
        add("latency_ms", latencyMs)
        add("user_id", userId)
        add("job_id", jobId)
        add("batch_id", batchId)
        add("github_pr", githubPR)
        add("environment", environment)
        add("error", error)
        if !metadata.isEmpty { add("metadata", AttributeValue.m(metadata).json) }
        return .object(members)
    }
}

extension AttributeValue {
    /// Plain JSON for display: numbers keep their exact text, binary becomes base64 text.
    public var json: JSONValue {
        switch self {
        case .s(let text): .string(text)
        case .n(let text): ExactDecimal(text).map { JSONValue.number($0) } ?? .string(text)
        case .b(let bytes): .string(Data(bytes).base64EncodedString())
        case .bool(let value): .bool(value)
        case .null: .null
        case .m(let map): .object(map.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: $0.value.json) })
        case .l(let list): .array(list.map(\.json))
        case .ss(let values): .array(values.map { .string($0) })
        case .ns(let values): .array(values.map { AttributeValue.n($0).json })
        case .bs(let values): .array(values.map { .string(Data($0).base64EncodedString()) })
        }
    }
}
