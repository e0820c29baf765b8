/// The generic Lambda custom runtime (placeholder until the runtime loop lands).
public enum LambdaRuntimeInfo {
    /// The Runtime API version this runtime speaks.
    public static let apiVersion = "2018-06-01"
}
