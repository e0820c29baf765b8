import DynamoDB
import Testing

/// What `SecretMasking.mask` hides, shape by shape, and what it leaves for the reader.
@Suite struct SecretMaskingTests {
    @Test(arguments: [
        // (input, expected)
        ("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
         "Authorization: AWS4-HMAC-SHA256 Credential=****, SignedHeaders=host;x-amz-date, Signature=****"),
        ("x-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE+/==\nx-amz-target:DynamoDB_20120810.Query",
         "x-amz-security-token:****\nx-amz-target:DynamoDB_20120810.Query"),
        ("X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2F&X-Amz-Signature=abc123", "X-Amz-Security-Token=****&X-Amz-Signature=****"),
        ("The security token included in the request is invalid for key ASIAQEXAMPLE7KEY1234.", "The security token included in the request is invalid for key ASIA****."),
        ("'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/dynamodb/aws4_request\nabc'", "'AWS4-HMAC-SHA256\n20150830T123600Z\n****/aws4_request\nabc'"),
        ("Requested resource not found", "Requested resource not found"),
        ("User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized", "User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized"),
    ])
    func masksByShape(_ input: String, _ expected: String) {
        #expect(SecretMasking.mask(input) == expected)
    }

    @Test func masksTheCallersOwnSecretsAnywhere() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        let token = "session-token-of-moto-shape-0123456789"
        let text = "secret \(secret) in prose, token=\(token); key AKIDEXAMPLE"
        #expect(SecretMasking.mask(text, secrets: [secret, token, "AKIDEXAMPLE"]) == "secret **** in prose, token=****; key ****")
    }

    @Test func ignoresSecretsTooShortToSearchFor() {
        // An empty or tiny "secret" would mask every letter of a message.
        #expect(SecretMasking.mask("a plain message", secrets: ["", "a"]) == "a plain message")
    }
}
