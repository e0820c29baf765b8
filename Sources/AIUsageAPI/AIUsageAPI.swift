/// `AIUsageHandler`: API Gateway events in, `GET /ai_usage` cost reports out (see docs/api.md).
public enum AIUsageAPI {
    /// The route this API answers, under any stage or base-path prefix.
    public static let route = "/ai_usage"
}
