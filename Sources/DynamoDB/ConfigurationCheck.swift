import ExactJSON

/// The shapes configuration values must have before they go near a URL, a header or a signature,
/// and how a refused value is quoted in the message that names its variable.
enum ConfigurationCheck {
    static let regionShape = "expected lowercase letters, digits and '-', e.g. us-east-1"

    /// `us-east-1`, `cn-north-1`, `us-gov-west-1`: 1–50 of `[a-z0-9-]`, starting with a letter.
    static func isRegion(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first), text.utf8.count <= 50 else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Why a credential cannot be sent (without quoting it), or `nil`: visible ASCII only, at most
    /// 8 KiB (session tokens run to a few KiB).
    static func credentialProblem(_ value: String) -> String? {
        if value.utf8.count > 8192 { return "is longer than 8 KiB" }
        for (offset, scalar) in value.unicodeScalars.enumerated() where !(0x21...0x7E).contains(scalar.value) {
            return "has a character a credential cannot hold (\(scalar.value < 0x80 ? "a space or control character" : "a non-ASCII character") at position \(offset + 1))"
        }
        return nil
    }

    /// A URL with any `user:password@` replaced by `****@`, so that a message can quote it.
    static func withoutUserInfo(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        let start = url.firstRange(of: "://")?.upperBound ?? url.startIndex
        guard start <= at else { return url }
        return String(url[..<start]) + SecretMasking.mask + String(url[at...])
    }

    /// A value as a message quotes it: a short prefix in quotes, control characters as `?`.
    static func quoted(_ value: String) -> String {
        "'\(InputEcho.short(value, limit: 60))'"
    }
}

extension DynamoDBConfiguration {
    /// Why `name` cannot be a DynamoDB table name (3–255 of `A-Z a-z 0-9 _ - .`, or a table ARN),
    /// quoting a short prefix of it; `nil` when it can.
    public static func tableNameProblem(_ name: String) -> String? {
        let isTableCharacter: (Unicode.Scalar) -> Bool = {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)
        }
        if name.hasPrefix("arn:") {
            let valid = name.utf8.count <= 1024 && name.unicodeScalars.allSatisfy { isTableCharacter($0) || $0 == ":" || $0 == "/" }
            return valid ? nil : "is not a table ARN: \(ConfigurationCheck.quoted(name))"
        }
        guard (3...255).contains(name.utf8.count), name.unicodeScalars.allSatisfy(isTableCharacter) else {
            return "is not a table name: \(ConfigurationCheck.quoted(name)) (3 to 255 letters, digits, '_', '-' or '.')"
        }
        return nil
    }
}

extension DynamoDBConfiguration {
    /// Why `region` cannot be a region name (quoting a short prefix of it); `nil` when it can.
    public static func regionProblem(_ region: String) -> String? {
        ConfigurationCheck.isRegion(region) ? nil : "is not a region name: \(ConfigurationCheck.quoted(region)) (\(ConfigurationCheck.regionShape))"
    }

    /// Why a credential cannot be sent in a header (without quoting it); `nil` when it can.
    public static func credentialProblem(_ value: String) -> String? {
        ConfigurationCheck.credentialProblem(value)
    }
}
