import DynamoDB
import Testing

@Suite struct ConfigurationTests {
    let base = ["AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"]

    func configuration(_ changes: [String: String?]) throws(DynamoDBError) -> DynamoDBConfiguration {
        var environment = base
        for (name, value) in changes { environment[name] = value }
        return try DynamoDBConfiguration.fromEnvironment(environment)
    }

    @Test func defaultsToTheRegionalAWSEndpoint() throws {
        let config = try configuration([:])
        #expect(config.region == "eu-west-1")
        #expect(config.endpoint.url == "https://dynamodb.eu-west-1.amazonaws.com/")
        #expect(config.endpoint.hostHeader == "dynamodb.eu-west-1.amazonaws.com")
        #expect(config.credentials.sessionToken == nil)
    }

    @Test func regionFallsBackToAWSDefaultRegion() throws {
        #expect(try configuration(["AWS_REGION": nil, "AWS_DEFAULT_REGION": "ap-south-1"]).region == "ap-south-1")
        #expect(try configuration(["AWS_DEFAULT_REGION": "ap-south-1"]).region == "eu-west-1")
    }

    @Test func endpointPrecedence() throws {
        #expect(try configuration(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"]).endpoint.hostHeader == "127.0.0.1:9000")
        let both = try configuration(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000"])
        #expect(both.endpoint.url == "http://localhost:8000/")
    }

    @Test func sessionTokenIsRead() throws {
        #expect(try configuration(["AWS_SESSION_TOKEN": "TOKEN"]).credentials.sessionToken == "TOKEN")
    }

    @Test(arguments: [
        ("AWS_REGION", "AWS_REGION is not set"),
        ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID is not set"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY is not set"),
    ])
    func missingVariablesAreNamed(_ variable: String, _ expected: String) {
        #expect {
            try configuration([variable: nil])
        } throws: { error in
            guard let error = error as? DynamoDBError else { return false }
            return error.kind == .configuration && error.message.hasPrefix(expected)
        }
    }

    @Test func malformedEndpointIsNamed() {
        #expect {
            try configuration(["AWS_ENDPOINT_URL_DYNAMODB": "localhost:8000"])
        } throws: { error in
            (error as? DynamoDBError)?.message.hasPrefix("AWS_ENDPOINT_URL_DYNAMODB is not an http(s) URL: 'localhost:8000'") == true
        }
    }

    @Test func secretsStayOutOfDescriptions() throws {
        let config = try configuration(["AWS_SESSION_TOKEN": "TOKEN"])
        #expect(!"\(config.credentials)".contains("SECRET"))
        #expect(!"\(config.credentials)".contains("TOKEN"))
    }

    @Test(arguments: [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "/"),
        ("https://dynamodb.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "/"),
        ("https://example.com:443/", "example.com", "/"),
        ("http://example.com:80", "example.com", "/"),
        ("http://[::1]:8000/base", "[::1]:8000", "/base"),
        ("HTTP://LocalHost:8000", "localhost:8000", "/"),
    ])
    func endpointHostHeaderMatchesWhatCurlSends(_ url: String, _ host: String, _ path: String) throws {
        let endpoint = try #require(Endpoint(url))
        #expect(endpoint.hostHeader == host)
        #expect(endpoint.path == path)
    }

    @Test(arguments: ["", "localhost", "ftp://x", "http://", "http://host:0", "http://host:99999", "http://user@host"])
    func invalidEndpoints(_ url: String) {
        #expect(Endpoint(url) == nil)
    }
}
