import DynamoDB

/// Where daily rollups live in the usage table: one partition of their own, `AI_USAGE_ROLLUP`,
/// with no index keys, so no raw-item query (table, GSI1, GSI2, GSI3) can ever return them.
///
/// Two ranges of sort keys, each with every day's items together, days in order:
///
/// | sort key | item |
/// |---|---|
/// | `DAY#<date>#!DIRTY` | the dirty marker: a raw item for this day was written late |
/// | `DAY#<date>#0MANIFEST` | the manifest: the day is compacted (group counts and digest) |
/// | `DAY#<date>#C#<hash>` | one summary group's sums: service × model × operation (see `docs/architecture.md`, "Daily rollups") |
/// | `FINE#<date>#G#<hash>` | one fine group's sums: the same by environment and user too |
///
/// A report without an environment or user filter reads the `DAY#` range alone (a handful of
/// summary groups a day); one with them reads the `DAY#` range for the markers and manifests,
/// then the `FINE#` range.
///
/// The open window: today and yesterday (UTC) are never compacted and always read from raw
/// items. A writer marks a day dirty when it writes an item dated before its own today; that
/// covers the days compaction may have closed even with a writer's clock a day behind.
public enum RollupKeys {
    public static let partition = "AI_USAGE_ROLLUP"
    /// Today and yesterday are open: compaction closes a day once it is 2 days old.
    public static let openDays = 2

    /// `DAY#<date>#`: before every key of that day.
    public static func dayPrefix(_ date: String) -> String { "DAY#\(date)#" }
    /// `DAY#<date>#~`: after every key of that day.
    public static func dayEnd(_ date: String) -> String { "DAY#\(date)#~" }
    public static func dirtyKey(_ date: String) -> String { "DAY#\(date)#!DIRTY" }
    public static func manifestKey(_ date: String) -> String { "DAY#\(date)#0MANIFEST" }
    /// A summary group's key, in the day's `DAY#` range.
    public static func summaryGroupKey(_ date: String, hash: String) -> String { "DAY#\(date)#C#\(hash)" }
    /// `FINE#<date>#`: before every fine group of that day.
    public static func finePrefix(_ date: String) -> String { "FINE#\(date)#" }
    /// `FINE#<date>#~`: after every fine group of that day.
    public static func fineEnd(_ date: String) -> String { "FINE#\(date)#~" }
    /// A fine group's key.
    public static func fineGroupKey(_ date: String, hash: String) -> String { "FINE#\(date)#G#\(hash)" }

    /// The last day compaction may close when today is `today`.
    public static func lastClosedDay(today: CivilDate) -> CivilDate { today.adding(days: -openDays) }

    /// Whether a writer whose today is `today` must mark `date` dirty: any day before its today.
    public static func marksDirty(date: CivilDate, today: CivilDate) -> Bool { date < today }

    /// The dirty marker for `date`: a fresh `token` each time, so compaction can tell whether
    /// another late write came while it worked.
    public static func dirtyMarker(date: String, token: String, markedAt: String) -> Item {
        [
            "PK": .s(partition), "SK": .s(dirtyKey(date)), "TYPE": .s("AIUsageRollupDirty"),
            "day": .s(date), "token": .s(token), "marked_at": .s(markedAt),
        ]
    }
}
