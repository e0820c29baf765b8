import LambdaRuntime
import Testing

@Suite struct RuntimeAPIVersionTests {
    @Test func speaksTheRuntimeAPIOf2018() { #expect(LambdaRuntimeInfo.apiVersion == "2018-06-01") }
}
