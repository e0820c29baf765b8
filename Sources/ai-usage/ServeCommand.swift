import AIUsageAPI
import ArgumentParser
import Foundation
import LambdaEmulator

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the API and its dashboard over HTTP on 127.0.0.1, like 'sam local start-api' without Docker.",
        discussion: """
            Each request becomes an API Gateway HTTP API (payload 2.0) event; the handler's proxy \
            response becomes the HTTP answer. By default the handler runs in this process, with \
            this shell's environment plus --env-vars; with --bootstrap the event goes through the \
            Runtime API emulator to that bootstrap (see 'ai-usage emulate'). A function that fails \
            or answers something that is not a proxy response gives 502 \
            {"message":"Internal server error"}, as SAM does. One line per request goes to \
            standard error. Runs until SIGINT or SIGTERM.

              curl 'http://127.0.0.1:3000/ai_usage?aggregation=day,service'
              open http://127.0.0.1:3000/ai_usage/dashboard in a browser (docs/dashboard.md)
            """
    )

    @Option(help: "The port on 127.0.0.1 (0 picks a free one).") var port: Int = 3000
    @OptionGroup var function: FunctionOptions

    func validate() throws {
        try function.validate()
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        try await reportingErrors {
            let signals = SignalTrap()
            let gateway: LocalAPIGateway
            let emulator: LambdaEmulator?
            let what: String
            if let bootstrap = function.bootstrap {
                let started = try function.emulator(bootstrap: bootstrap)
                emulator = started
                gateway = LocalAPIGateway(emulator: started)
                what = "through the bootstrap \(started.configuration.bootstrap)"
            } else {
                var environment = ProcessInfo.processInfo.environment
                for (name, value) in try function.environmentFileVariables() { environment[name] = value }
                let handler = AIUsageHandler(environment: environment)
                emulator = nil
                // As behind API Gateway: the answer is due within its 30 s integration limit.
                gateway = LocalAPIGateway(handler: { event in
                    await handler.invoke(event, deadline: .now + AIUsageHandler.gatewayTimeout - AIUsageHandler.responseReserve).body
                })
                what = "in-process"
            }
            let bound: Int
            do {
                bound = try await gateway.start(host: "127.0.0.1", port: port)
            } catch {
                await emulator?.shutdown()
                throw CLIError("cannot listen on 127.0.0.1:\(port): \(error)")
            }
            FileHandle.standardOutput.write(Data("Serving http://127.0.0.1:\(bound)/ai_usage (\(what)); Ctrl-C stops\n".utf8))
            let signal = await signals.next()
            FileHandle.standardError.write(Data("ai-usage: stopping (signal \(signal))\n".utf8))
            await gateway.stop()
            await emulator?.shutdown()
        }
    }
}
