import AIUsage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The optional local mirror (`TRACK_TO_FILE=true`): one metric JSON object per line.
enum MetricLog {
    static func append(_ metric: AIUsageMetric, to path: String) {
        let line = metric.json.serialized() + "\n"
        guard let file = fopen(path, "a") else { return }
        _ = line.withCString { fputs($0, file) }
        fclose(file)
    }
}
