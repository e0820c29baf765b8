/// An error as the Runtime API takes it on `/invocation/{id}/error` and `/init/error`: the
/// body `{"errorMessage","errorType","stackTrace"}` plus the `Lambda-Runtime-Function-Error-Type`
/// header (`Category.Reason`).
///
/// Throw one from a handler (or from initialisation) to choose what is reported; any other
/// error is reported as `errorType` = its Swift type name, `errorMessage` = its description,
/// header `Function.Unhandled` (`Runtime.UnknownReason` during init).
public struct LambdaErrorReport: Error, Sendable, Hashable, CustomStringConvertible {
    public var errorType: String
    public var errorMessage: String
    public var stackTrace: [String]
    /// `Lambda-Runtime-Function-Error-Type`, e.g. `Function.Unhandled`, `Runtime.ConfigInvalid`.
    /// Only letters, digits, `.`, `_` and `-` are sent.
    public var functionErrorType: String

    public init(
        errorType: String,
        errorMessage: String,
        stackTrace: [String] = [],
        functionErrorType: String = "Function.Unhandled"
    ) {
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.stackTrace = stackTrace
        self.functionErrorType = functionErrorType
    }

    /// `error` itself when it is a report, else a report describing it.
    public init(describing error: any Error, functionErrorType: String = "Function.Unhandled") {
        if let report = error as? LambdaErrorReport {
            self = report
        } else {
            self.init(
                errorType: String(describing: type(of: error)),
                errorMessage: String(describing: error),
                functionErrorType: functionErrorType
            )
        }
    }

    public var description: String { "\(errorType): \(errorMessage)" }

    /// `{"errorMessage":"…","errorType":"…","stackTrace":[…]}`.
    public var jsonBody: [UInt8] {
        var json = #"{"errorMessage":"# + JSONText.quoted(errorMessage)
        json += #","errorType":"# + JSONText.quoted(errorType)
        json += #","stackTrace":["# + stackTrace.map(JSONText.quoted).joined(separator: ",") + "]}"
        return Array(json.utf8)
    }

    /// The header value, reduced to characters that cannot break the HTTP head.
    var headerValue: String {
        let kept = functionErrorType.unicodeScalars.filter { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "_" || scalar == "-")
        }
        let value = String(String.UnicodeScalarView(kept))
        return value.isEmpty ? "Function.Unknown" : value
    }
}
