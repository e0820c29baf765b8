// Placeholder: the Lambda entry point lands with the runtime loop.
import LambdaRuntime
print("bootstrap: Runtime API \(LambdaRuntimeInfo.apiVersion) not wired yet")
