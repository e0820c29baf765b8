/// The `--env-vars` file of `sam local invoke`: a JSON object whose `Parameters` section applies
/// to every function and whose section named after a function applies to that one, over it.
///
/// ```json
/// {"Parameters": {"AWS_REGION": "eu-west-1"}, "AIUsageFunction": {"DYNAMODB_TABLE_NAME": "Metrics"}}
/// ```
///
/// Values may be strings, numbers or booleans (written as their JSON text); `null` leaves a
/// variable out. Sections for other functions are ignored.
public enum SAMEnvironmentFile {
    /// The variables for `functionName` from the file's bytes.
    public static func variables(from bytes: [UInt8], functionName: String) throws(LambdaEmulatorError) -> [String: String] {
        let root: EmulatorJSON
        do {
            root = try EmulatorJSON.parse(bytes)
        } catch {
            throw LambdaEmulatorError("the environment file is not valid JSON (\(error))")
        }
        guard let sections = root.members else {
            throw LambdaEmulatorError("the environment file must be a JSON object like {\"\(functionName)\": {\"NAME\": \"value\"}}")
        }
        var result: [String: String] = [:]
        for name in ["Parameters", functionName] {
            guard let section = sections.last(where: { $0.key == name })?.value else { continue }
            guard let members = section.members else {
                throw LambdaEmulatorError("\"\(name)\" in the environment file must be an object of variables")
            }
            for member in members {
                switch member.value {
                case .string(let text): result[member.key] = text
                case .number(let text): result[member.key] = text
                case .bool(let flag): result[member.key] = flag ? "true" : "false"
                case .null: result[member.key] = nil
                case .array, .object:
                    throw LambdaEmulatorError("\(name).\(member.key) in the environment file must be a string, a number or a boolean")
                }
            }
        }
        return result
    }
}
