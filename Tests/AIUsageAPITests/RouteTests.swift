import AIUsageAPI
import Testing

@Suite struct RouteTests {
    @Test func theRouteIsAIUsage() {
        #expect(AIUsageAPI.route == "/ai_usage")
    }
}
