#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation  // only where FoundationEssentials is not its own module (Apple platforms)
#endif

/// A Lambda function: event bytes in, response bytes out.
///
/// A thrown error is reported to the Runtime API as the invocation's error (see
/// `LambdaErrorReport`) and the runtime goes on with the next invocation. Invocations run one
/// at a time, each in a task of its own.
public protocol LambdaHandler: Sendable {
    func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8]
}

/// A Lambda function on Codable values: the event is decoded from JSON and the output encoded
/// to JSON (FoundationEssentials' `JSONDecoder`/`JSONEncoder`). Run it as is, or wrap it with
/// `CodableLambdaAdapter` where a `LambdaHandler` is needed.
public protocol CodableLambdaHandler: Sendable {
    associatedtype Event: Decodable
    associatedtype Output: Encodable
    func handle(_ event: Event, context: LambdaContext) async throws -> Output
}

/// A `CodableLambdaHandler` as a `LambdaHandler`.
///
/// An event that does not decode is reported as an error of type `Runtime.DecodingError`, an
/// output that does not encode as `Runtime.EncodingError`; the handler is not called for the
/// first.
public struct CodableLambdaAdapter<Wrapped: CodableLambdaHandler>: LambdaHandler {
    public let wrapped: Wrapped
    /// Applied to a fresh encoder for each invocation (key strategy, output formatting…).
    private let configureEncoder: @Sendable (JSONEncoder) -> Void
    private let configureDecoder: @Sendable (JSONDecoder) -> Void

    public init(
        _ wrapped: Wrapped,
        configureDecoder: @escaping @Sendable (JSONDecoder) -> Void = { _ in },
        configureEncoder: @escaping @Sendable (JSONEncoder) -> Void = { _ in }
    ) {
        self.wrapped = wrapped
        self.configureDecoder = configureDecoder
        self.configureEncoder = configureEncoder
    }

    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let decoded: Wrapped.Event
        do {
            let decoder = JSONDecoder()
            configureDecoder(decoder)
            decoded = try decoder.decode(Wrapped.Event.self, from: Data(event))
        } catch {
            throw LambdaErrorReport(
                errorType: "Runtime.DecodingError",
                errorMessage: "the event is not a valid \(Wrapped.Event.self): \(error)"
            )
        }
        let output = try await wrapped.handle(decoded, context: context)
        do {
            let encoder = JSONEncoder()
            configureEncoder(encoder)
            return Array(try encoder.encode(output))
        } catch {
            throw LambdaErrorReport(
                errorType: "Runtime.EncodingError",
                errorMessage: "the output \(Wrapped.Output.self) could not be encoded: \(error)"
            )
        }
    }
}

/// A handler made of a closure.
public struct ClosureLambdaHandler: LambdaHandler {
    private let body: @Sendable ([UInt8], LambdaContext) async throws -> [UInt8]

    public init(_ body: @escaping @Sendable (_ event: [UInt8], _ context: LambdaContext) async throws -> [UInt8]) {
        self.body = body
    }

    public func handle(_ event: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        try await body(event, context)
    }
}
