import LambdaEmulator
import Testing

@Suite struct EmulatorAPIVersionTests {
    @Test func servesTheRuntimeAPIOf2018() { #expect(LambdaEmulatorInfo.apiVersion == "2018-06-01") }
}
