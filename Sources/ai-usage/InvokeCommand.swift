import AIUsage
import AIUsageAPI
import ArgumentParser
import Foundation
import LambdaRuntime

struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Run the GET /ai_usage handler in-process on recorded Lambda events.",
        discussion: """
            Each EVENT is a JSON file (an API Gateway REST or HTTP API event, a Function URL event, \
            or a direct invocation {"queryStringParameters": {...}}); '-' reads one event from \
            standard input. Each handler result (the proxy response object) is printed as one JSON \
            line, in order; with --pretty the answer's body is printed as indented JSON after a \
            header line instead. The table and AWS settings come from the environment, as in \
            Lambda, with --env-vars (SAM's format) on top; each event gets a context like the \
            emulator's: a fresh request id and a deadline --timeout seconds away. Exits 1 if an \
            event could not be read or an answer is a 5xx.
            """
    )

    @OptionGroup var function: FunctionOptions
    @Argument(help: "Event files ('-' for standard input).") var events: [String]
    @Flag(help: "Print each answer's status and its body as indented JSON, for people.") var pretty = false

    func validate() throws {
        if function.bootstrap != nil || function.concurrency != 1 {
            throw ValidationError("--bootstrap and --concurrency do not apply to invoke, which runs the handler in-process; use 'ai-usage emulate' to run a bootstrap")
        }
        if events.isEmpty { throw ValidationError("give at least one event file (or '-' for standard input)") }
    }

    func run() async throws {
        try await reportingErrors {
            let environment = ProcessInfo.processInfo.environment.merging(try function.environmentFileVariables()) { $1 }
                .merging(["AWS_LAMBDA_FUNCTION_NAME": function.functionName, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(function.memory)]) { $1 }
            let handler = AIUsageHandler(environment: environment)
            var failed = false
            for path in events {
                let bytes: [UInt8]
                do {
                    bytes = path == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                } catch {
                    FileHandle.standardError.write(Data("ai-usage: cannot read the event \(path): \(error.localizedDescription)\n".utf8))
                    failed = true
                    continue
                }
                let context = LambdaContext.local(timeout: .milliseconds(Int(function.timeout * 1000)), environment: environment)
                let result = await handler.invoke(bytes, requestId: context.requestId, deadline: context.deadline - AIUsageHandler.responseReserve).body
                let parsed = try? JSONValue.parse(result)
                let status = parsed?["statusCode"]?.intValue ?? 0
                if status >= 500 { failed = true }
                if pretty {
                    print("== \(path): HTTP \(status)")
                    if let body = parsed?["body"]?.stringValue, let json = try? JSONValue.parse(body) {
                        print(json.serialized(pretty: true))
                    } else {
                        print(parsed?["body"]?.stringValue ?? "")
                    }
                } else {
                    print(String(decoding: result, as: UTF8.self))
                }
            }
            if failed { throw CLIError("an event could not be read or its answer was a 5xx (see above)") }
        }
    }
}
