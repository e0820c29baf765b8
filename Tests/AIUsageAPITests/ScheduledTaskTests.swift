import AIUsage
import AIUsageAPI
import Foundation
import TestSupport
import Testing

/// A scheduled rollup task names its range; a range the handler cannot finish, or a date it
/// cannot read, is refused before any request reaches the table. (Found by `make fuzz`: a `from`
/// of 0026-11-27 made the handler compact 730,000 days, one at a time, until its timeout.)
@Suite struct ScheduledTaskTests {
    @Test(arguments: [
        (#"{"ai_usage_task":"rollup","from":"0026-11-27","to":"2025-11-28"}"#, "the rollup task's range 0026-11-27..2025-11-28 spans more than 3660 days; give a shorter from/to"),
        (#"{"ai_usage_task":"rollup","from":"0026-11-27"}"#, "the rollup task's range 0026-11-27..2026-11-29 spans more than 3660 days; give a shorter from/to"),
        (#"{"ai_usage_task":"rollup","from":"2026-13-01"}"#, "the rollup task's from must be a date as YYYY-MM-DD, got '2026-13-01'"),
        (#"{"ai_usage_task":"rollup","to":17}"#, "the rollup task's to must be a date as YYYY-MM-DD, got not a string"),
        (#"{"ai_usage_task":"rollup","from":"2026-11-20","to":"2026-11-10"}"#, "the rollup task's from (2026-11-20) is after its to (2026-11-10)"),
    ])
    func anUnfinishableOrUnreadableRangeIsRefusedBeforeAnyRead(_ event: String, _ message: String) async throws {
        let table = try FaultResponder { _, _ in .reset }
        defer { table.stop() }
        let handler = HandlerTests().handler(table)
        let (body, failed) = await handler.invoke(Array(event.utf8))
        let answer = try HandlerTests().answer(body)
        #expect(failed)
        #expect(answer.status == 400)
        #expect(answer.json?["error"]?.stringValue == message)
        #expect(table.requests.isEmpty)
    }

    @Test func tenYearsLessADayIsStillCompacted() async throws {
        // 3,659 days is within the limit: the task runs (here the table resets every connection,
        // so it fails as unavailable, which shows it got past the check).
        let table = try FaultResponder { _, _ in .reset }
        defer { table.stop() }
        let handler = HandlerTests().handler(table)
        let first = CivilDate(year: 2026, month: 11, day: 29).adding(days: -3659)
        let (body, failed) = await handler.invoke(Array(#"{"ai_usage_task":"rollup","from":"\#(first)"}"#.utf8))
        #expect(failed)
        #expect((try JSONValue.parse(body))["code"]?.stringValue == "TransportError")
        #expect(!table.requests.isEmpty || table.connectionCount > 0)
    }
}
