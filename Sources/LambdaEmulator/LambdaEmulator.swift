import LambdaRuntime
import NIOCore

/// A local Lambda Runtime API (placeholder until the emulator lands).
public enum LambdaEmulatorInfo {
    public static let apiVersion = LambdaRuntimeInfo.apiVersion
}
