/// Masks what must never reach a log line or a terminal: signatures, session tokens, access key
/// ids, secret keys and `Credential=` scopes, wherever AWS (or a server posing as it) echoes them.
///
/// AWS's `InvalidSignatureException` quotes the canonical request it expected, and that includes
/// the `x-amz-security-token` header every Lambda role credential carries. `mask` rewrites such
/// text so that it still says what went wrong, with each secret replaced by `****`.
public enum SecretMasking {
    /// What replaces a secret.
    public static let mask = "****"

    /// `text` with every secret masked: the literal `secrets` given (the caller's own credentials,
    /// caught in any context), then by shape:
    /// - `Signature=<hex>`, `Credential=<key/scope>` and `x-amz-security-token: <token>` (header,
    ///   canonical-request and query forms, any case);
    /// - AWS access key ids (`AKIA…`, `ASIA…` and the other IAM prefixes): the prefix stays;
    /// - credential scopes (`20261204/us-east-1/dynamodb/aws4_request`).
    public static func mask(_ text: String, secrets: [String] = []) -> String {
        var result = text
        for secret in secrets where secret.utf8.count >= 8 {
            result = result.replacing(secret, with: mask)
        }
        // Header or parameter name, then the value up to a delimiter.
        result = result.replacing(#/(?i)(signature\s*=\s*)[0-9a-f]+/#) { "\($0.output.1)\(mask)" }
        result = result.replacing(#/(?i)(credential\s*=\s*)[^\s,"'&]+/#) { "\($0.output.1)\(mask)" }
        result = result.replacing(#/(?i)(x-amz-security-token\s*[:=]\s*)[^\s,"'&<]+/#) { "\($0.output.1)\(mask)" }
        result = result.replacing(#/(?i)(x-amz-signature\s*[:=]\s*)[^\s,"'&<]+/#) { "\($0.output.1)\(mask)" }
        result = result.replacing(#/\b(AKIA|ASIA|AIDA|AROA|AGPA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,}\b/#) {
            "\($0.output.1)\(mask)"
        }
        result = result.replacing(#/\b[0-9]{8}/[a-z0-9-]+/[a-z0-9-]+/aws4_request\b/#) { _ in "\(mask)/aws4_request" }
        return result
    }
}
