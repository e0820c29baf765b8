import LambdaEmulator
import Testing

@Suite struct ConfigurationTests {
    @Test func samEnvironmentFilesApplyParametersThenTheFunctionsOwnSection() throws {
        let file = #"""
            {"Parameters": {"SHARED": "p", "OVERRIDDEN": "p", "COUNT": 3, "FLAG": true},
             "AIUsageFunction": {"OVERRIDDEN": "own", "TABLE": "Metrics", "SHARED": null},
             "OtherFunction": {"TABLE": "not ours"}}
            """#
        let variables = try SAMEnvironmentFile.variables(from: Array(file.utf8), functionName: "AIUsageFunction")
        #expect(variables == ["OVERRIDDEN": "own", "COUNT": "3", "FLAG": "true", "TABLE": "Metrics"])
        #expect(try SAMEnvironmentFile.variables(from: Array(#"{"Other": {"A": "b"}}"#.utf8), functionName: "AIUsageFunction") == [:])
    }

    @Test func badSAMEnvironmentFilesSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("[1]", #"the environment file must be a JSON object like {"F": {"NAME": "value"}}"#),
            (#"{"F": 1}"#, #""F" in the environment file must be an object of variables"#),
            (#"{"Parameters": {"A": [1]}}"#, "Parameters.A in the environment file must be a string, a number or a boolean"),
            ("{", "the environment file is not valid JSON (expected a string key but the input ended at byte 1)"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: LambdaEmulatorError.self) {
                try SAMEnvironmentFile.variables(from: Array(text.utf8), functionName: "F")
            }
            #expect(error?.message == message)
        }
    }

    @Test func theProcessEnvironmentLayersHostDefaultsFunctionAndSandbox() {
        let configuration = LambdaEmulatorConfiguration(
            bootstrap: "/var/task/bootstrap", functionName: "Fn", handler: "swift.bootstrap", timeout: .milliseconds(2500),
            memorySize: 512,
            environment: ["TZ": "Europe/Paris", "AWS_LAMBDA_FUNCTION_NAME": "ignored", "TABLE": "T", "AWS_REGION": "ap-south-1"],
            hostEnvironment: [
                "PATH": "/bin", "HOME": "/root", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_DEFAULT_REGION": "eu-north-1", "AWS_LAMBDA_RUNTIME_API": "stale:1", "SECRET_OF_THE_SHELL": "no",
            ]
        )
        let environment = configuration.processEnvironment(runtimeAPI: "127.0.0.1:4242")
        var expected: [String: String] = [
            "PATH": "/bin", "HOME": "/root", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-north-1",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Fn", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_RUNTIME_DIR": "/var/task", "TZ": "Europe/Paris", "TABLE": "T",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:4242", "_HANDLER": "swift.bootstrap", "LAMBDA_TASK_ROOT": "/var/task",
            "AWS_LAMBDA_FUNCTION_NAME": "Fn", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_FUNCTION_TIMEOUT": "3",
        ]
        let stream = environment["AWS_LAMBDA_LOG_STREAM_NAME"] ?? ""
        #expect(stream.wholeMatch(of: /\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}/) != nil)
        expected["AWS_LAMBDA_LOG_STREAM_NAME"] = stream
        #expect(environment == expected)
        #expect(configuration.invokedFunctionARN == "arn:aws:lambda:us-east-1:012345678912:function:Fn")
        #expect(configuration.timeoutMessage == "Task timed out after 2.50 seconds")
    }

    @Test func theRegionDefaultsToUsEast1() {
        let environment = LambdaEmulatorConfiguration(bootstrap: "/b", hostEnvironment: [:]).processEnvironment(runtimeAPI: "x:1")
        #expect(environment["AWS_REGION"] == "us-east-1")
        #expect(environment["AWS_DEFAULT_REGION"] == "us-east-1")
        #expect(environment["PATH"] == "/usr/local/bin:/usr/bin:/bin")
    }
}
